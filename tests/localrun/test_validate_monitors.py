"""localrun/validate/monitors.py: a small bundle with a quality monitor on its predictions table, one
planted mistake at a time, each reported once with its file, line and key."""
from pathlib import Path

import pytest

from localrun.validate import validate_bundle
from tests.localrun.test_validate import RESOURCE, bundle, line_of, only_problem, plant  # noqa: F401

MONITOR_FILE = "projects/demo/resources/quality-monitor-resource.yml"
MONITOR_YML = """resources:
  jobs:
    demo_batch_inference:
      name: ${bundle.target}-demo-batch-inference
      tags: {project: demo, stage: setup}
      tasks:
        - task_key: score
          notebook_task:
            notebook_path: ../notebooks/BatchInference.py
            base_parameters:
              project: demo
              output_table: ${var.catalog}.demo.predictions
              model_name: ${var.catalog}.demo.${resources.registered_models.demo_model.name}
    demo_prediction_tables:
      name: ${bundle.target}-demo-prediction-tables
      tags: {project: demo, stage: setup}
      tasks:
        - task_key: create_tables
          notebook_task:
            notebook_path: ../notebooks/CreatePredictionTables.py
  job_runs:
    demo_tables_run:
      job_id: ${resources.jobs.demo_prediction_tables.id}
      job_parameters:
        predictions_table: ${var.catalog}.demo.predictions
        baseline_table: ${var.catalog}.demo.${resources.registered_models.demo_model.name}_baseline
  quality_monitors:
    demo_predictions:
      table_name: ${resources.job_runs.demo_tables_run.job_parameters.predictions_table}
      baseline_table_name: ${resources.job_runs.demo_tables_run.job_parameters.baseline_table}
      output_schema_name: ${var.catalog}.demo
      assets_dir: ${workspace.root_path}/monitors/demo_predictions
      inference_log:
        problem_type: PROBLEM_TYPE_CLASSIFICATION
        model_id_col: model_version
        prediction_col: prediction
        label_col: label
        timestamp_col: scored_at
        granularities: ["1 day"]
"""


@pytest.fixture
def monitored(bundle: Path) -> Path:  # noqa: F811 - the fixture imported above
    for notebook in ("BatchInference.py", "CreatePredictionTables.py"):
        (bundle / "projects/demo/notebooks" / notebook).write_text("# Databricks notebook source\n")
    (bundle / "projects/demo/model.py").write_text('SPEC = dict(problem="binary")\n')
    (bundle / MONITOR_FILE).write_text(MONITOR_YML)
    return bundle


def test_a_monitor_on_a_predictions_table_made_by_a_job_run_passes(monitored):
    report = validate_bundle(monitored)
    assert report.ok, "\n".join(report.lines())
    assert report.lines()[0].endswith("1 job run, 1 quality monitor)")


def dev_problem(root: Path) -> str:
    """The one problem of target dev (names resolve per target, and so do these messages)."""
    report = validate_bundle(root, ["dev"])
    assert len(report.problems) == 1, "\n".join(report.lines())
    return report.lines()[0]


KEY = "resources.quality_monitors.demo_predictions"


def test_a_table_no_batch_inference_writes(monitored):
    plant(monitored, MONITOR_FILE, "predictions_table: ${var.catalog}.demo.predictions",
          "predictions_table: ${var.catalog}.demo.predictionz")
    line = line_of(monitored, MONITOR_FILE, "      table_name:")
    assert dev_problem(monitored) == (
        f"{MONITOR_FILE}:{line}: {KEY}.table_name: 'dev.demo.predictionz' is no predictions table: no batch "
        "inference task writes it (did you mean 'dev.demo.predictions'?); predictions tables: dev.demo.predictions")


def test_a_problem_type_that_does_not_fit_the_model(monitored):
    line = plant(monitored, MONITOR_FILE, "PROBLEM_TYPE_CLASSIFICATION", "PROBLEM_TYPE_REGRESSION")
    assert only_problem(monitored) == (
        f"{MONITOR_FILE}:{line}: {KEY}.inference_log.problem_type: 'PROBLEM_TYPE_REGRESSION' does not fit project "
        "demo's model (binary in projects/demo/model.py): PROBLEM_TYPE_CLASSIFICATION")


def test_a_missing_baseline(monitored):
    plant(monitored, MONITOR_FILE, "      baseline_table_name: ${resources.job_runs.demo_tables_run.job_parameters"
          ".baseline_table}\n", "")
    line = line_of(monitored, MONITOR_FILE, "    demo_predictions:")
    assert dev_problem(monitored) == (
        f"{MONITOR_FILE}:{line}: {KEY}: missing baseline_table_name: drift is measured against the Champion's "
        "training rows, dev.demo.dev_jane_doe_demo_model_baseline")


def test_a_table_name_written_out_is_not_created_before_the_monitor(monitored):
    line = plant(monitored, MONITOR_FILE, "table_name: ${resources.job_runs.demo_tables_run.job_parameters"
                 ".predictions_table}", "table_name: ${var.catalog}.demo.predictions")
    assert only_problem(monitored) == (
        f"{MONITOR_FILE}:{line}: {KEY}.table_name: must be ${{resources.job_runs.<key>.job_parameters."
        "predictions_table}, the job run that creates the table: a monitor cannot be created on a missing table, "
        "and a fresh target has none until that run (CreatePredictionTables.py) has made it")


def test_a_job_run_of_a_job_that_creates_no_table(monitored):
    plant(monitored, MONITOR_FILE, "job_id: ${resources.jobs.demo_prediction_tables.id}",
          "job_id: ${resources.jobs.demo_training.id}")
    assert "job run 'demo_tables_run' runs job 'demo_training', which has no CreatePredictionTables.py task" in \
        validate_bundle(monitored, ["dev"]).lines()[0]


@pytest.mark.parametrize(("column", "wrong"), [("label_col", "churn"), ("model_id_col", "model_name")])
def test_a_column_batch_inference_does_not_write(monitored, column, wrong):
    right = {"label_col": "label", "model_id_col": "model_version"}[column]
    line = plant(monitored, MONITOR_FILE, f"{column}: {right}", f"{column}: {wrong}")
    assert only_problem(monitored) == (f"{MONITOR_FILE}:{line}: {KEY}.inference_log.{column}: '{wrong}': batch "
                                       f"inference writes this column as '{right}'")


def test_metric_tables_outside_the_table_schema(monitored):
    line = plant(monitored, MONITOR_FILE, "output_schema_name: ${var.catalog}.demo",
                 "output_schema_name: ${var.catalog}.elsewhere")
    assert dev_problem(monitored) == (f"{MONITOR_FILE}:{line}: {KEY}.output_schema_name: 'dev.elsewhere': the "
                                      "metric tables go beside the table, in dev.demo")
