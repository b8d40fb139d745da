"""The quality monitors every target declares, and what their creation on a fresh target relies on."""

import io

import pytest
import yaml

from common.projects import model_spec
from conftest import ROOT
from localrun.bundle import load_bundle
from localrun.runner import JobFailed, run_job
from localrun.validate.monitors import PROBLEM_TYPES, predictions_tables

TARGETS = ["dev", "test", "staging", "prod"]


@pytest.fixture(scope="module")
def bundles():
    return {t: load_bundle(ROOT, t) for t in TARGETS}  # BUNDLE_VAR_service_principal: conftest sets it


@pytest.mark.parametrize("target", TARGETS)
def test_every_predictions_table_has_a_monitor_created_after_the_run_that_makes_its_tables(bundles, target):
    """The deploy ordering a fresh target relies on: the direct engine creates a resource after every
    resource it references, and a job run's creation waits for the run to succeed. So each monitor
    names its tables through a job run (`${resources.job_runs.<key>.job_parameters...}`) whose job
    creates them (CreatePredictionTables.py), and the bundle pins the engine that has job runs."""
    bundle = bundles[target]
    raw = load_bundle(ROOT, target, resolve=False).resources
    monitors, runs = bundle.resources["quality_monitors"], raw["job_runs"]
    assert yaml.safe_load((ROOT / "databricks.yml").read_text())["bundle"]["engine"] == "direct"
    assert sorted(m["table_name"] for m in monitors.values()) == sorted(predictions_tables(bundle))
    for key, monitor in raw["quality_monitors"].items():
        for field, parameter in (("table_name", "predictions_table"), ("baseline_table_name", "baseline_table")):
            run_key, _, named = monitor[field].removeprefix("${resources.job_runs.").removesuffix("}").partition(".")
            assert named == f"job_parameters.{parameter}", (key, field)
            job = bundle.jobs[runs[run_key]["job_id"].removeprefix("${resources.jobs.").removesuffix(".id}")]
            assert [t["notebook_task"]["notebook_path"].rsplit("/", 1)[-1] for t in job["tasks"]] == \
                ["CreatePredictionTables.py"]
        assert monitors[key]["output_schema_name"] == monitors[key]["table_name"].rsplit(".", 1)[0]


def test_each_monitor_has_its_models_problem_type_and_baseline(bundles):
    bundle = bundles["prod"]
    written = predictions_tables(bundle)
    runs = bundle.resources["job_runs"]
    for key, monitor in bundle.resources["quality_monitors"].items():
        run = next(r for r in runs.values() if r["job_parameters"]["predictions_table"] == monitor["table_name"])
        scored = written[monitor["table_name"]]
        spec = model_spec(scored.project, run["job_parameters"].get("variant", ""))
        assert monitor["inference_log"]["problem_type"] == PROBLEM_TYPES[spec.problem], key
        assert monitor["baseline_table_name"] == f"{scored.model_name}_baseline", key


def test_the_tables_job_names_a_missing_parameter(spark):
    with pytest.raises(JobFailed, match="parameter 'predictions_table' is empty"):
        run_job(load_bundle(ROOT, "dev"), "churn_prediction_tables", out=io.StringIO(),
                spark_factory=lambda: spark)
