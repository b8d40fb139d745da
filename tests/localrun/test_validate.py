"""localrun/validate/ and `mlops validate`: a small valid bundle in tmp_path, one planted mistake at a
time, each reported once with its file, line and key; and the repository's own bundle."""
import json
from pathlib import Path
from textwrap import dedent

import pytest

from common.projects import STAGES
from conftest import ROOT as REPO
from localrun.cli import main
from localrun.validate import validate_bundle

RESOURCE = "projects/demo/resources/demo-resource.yml"

ROOT_YML = """
bundle:
  name: demo
include:
  - resources/*.yml
  - projects/*/resources/*.yml
variables:
  catalog:
    description: Catalog of the target.
    default: dev
targets:
  dev:
    mode: development
    default: true
  prod:
    mode: production
    variables:
      catalog: prod
"""

DEMO_YML = """
resources:
  jobs:
    demo_features:
      name: ${bundle.target}-demo-features
      tags: {project: demo, stage: features}
      tasks:
        - task_key: ingest
          notebook_task:
            notebook_path: ../notebooks/Step.py
            base_parameters:
              table: ${var.catalog}.demo.raw
        - task_key: compute
          depends_on:
            - task_key: ingest
          notebook_task:
            notebook_path: ../notebooks/Step.py
    demo_training:
      name: ${bundle.target}-demo-training
      tags: {project: demo, stage: training}
      max_concurrent_runs: 1
      tasks:
        - task_key: train
          notebook_task:
            notebook_path: ../notebooks/Step.py
            base_parameters:
              model_name: ${resources.registered_models.demo_model.name}
              experiment_name: ${resources.experiments.demo_experiment.name}
    demo_inference:
      name: ${bundle.target}-demo-inference
      tags: {project: demo, stage: inference}
      tasks:
        - task_key: score
          notebook_task:
            notebook_path: ../notebooks/Step.py
    demo_monitoring:
      name: ${bundle.target}-demo-monitoring
      tags: {project: demo, stage: monitoring}
      tasks:
        - task_key: check
          notebook_task:
            notebook_path: ../notebooks/Step.py
        - task_key: retrain
          depends_on:
            - task_key: check
          run_job_task:
            job_id: ${resources.jobs.demo_training.id}
    demo_deployment:
      name: ${bundle.target}-demo-deployment
      tags: {project: demo, stage: deployment}
      tasks:
        - task_key: deploy
          notebook_task:
            notebook_path: ../notebooks/Step.py
  registered_models:
    demo_model:
      name: demo_model
      catalog_name: ${var.catalog}
      schema_name: demo
  experiments:
    demo_experiment:
      name: /Shared/demo/${bundle.target}/demo-experiment
"""


@pytest.fixture
def bundle(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DATABRICKS_USER", "jane.doe@example.com")
    monkeypatch.delenv("BUNDLE_VAR_catalog", raising=False)
    files = {
        "databricks.yml": ROOT_YML,
        "resources/README.md": "shared resources\n",
        RESOURCE: DEMO_YML,
        "projects/demo/notebooks/Step.py": "# Databricks notebook source\nprint('step')\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(dedent(text).lstrip())
    return tmp_path


def line_of(root: Path, file: str, text: str) -> int:
    """The 1-based line where `text` first occurs in `file`."""
    content = (root / file).read_text()
    assert text in content, f"{text!r} not in {file}"
    return content[:content.index(text)].count("\n") + 1


def plant(root: Path, file: str, old: str, new: str) -> int:
    """Replace the first occurrence of `old` in `file` by `new`; the line where it starts."""
    line = line_of(root, file, old)
    (root / file).write_text((root / file).read_text().replace(old, new, 1))
    return line


def only_problem(root: Path) -> str:
    report = validate_bundle(root)
    assert not report.ok
    assert len(report.problems) == 1, "\n".join(report.lines())
    assert report.lines()[-1] == "1 problem (targets validated: dev, prod)"
    return report.lines()[0]


def test_valid_bundle_passes_for_every_target(bundle):
    report = validate_bundle(bundle)
    assert report.ok, "\n".join(report.lines())
    assert report.lines() == ["target dev: OK (5 jobs, 1 registered model, 1 experiment)",
                              "target prod: OK (5 jobs, 1 registered model, 1 experiment)"]


def test_misspelt_task_key(bundle):
    line = plant(bundle, RESOURCE, "          notebook_task:\n            notebook_path: ../notebooks/Step.py\n"
                 "            base_parameters:\n              model_name",
                 "          notebok_task:\n            notebook_path: ../notebooks/Step.py\n"
                 "            base_parameters:\n              model_name")
    assert only_problem(bundle) == (f"{RESOURCE}:{line}: resources.jobs.demo_training.tasks[0]: "
                                    "unknown key 'notebok_task' (did you mean 'notebook_task'?)")


def test_wrong_type(bundle):
    line = plant(bundle, RESOURCE, "max_concurrent_runs: 1", 'max_concurrent_runs: "one"')
    assert only_problem(bundle) == (f"{RESOURCE}:{line}: resources.jobs.demo_training.max_concurrent_runs: "
                                    "expected an integer, not 'one'")


def test_wrong_type_after_resolution_names_the_targets(bundle):
    """The schema allows any ${var.x}; the databricks-bundles classes see the resolved value."""
    line = plant(bundle, RESOURCE, "max_concurrent_runs: 1", "max_concurrent_runs: ${var.catalog}")
    report = validate_bundle(bundle)
    key = f"{RESOURCE}:{line}: resources.jobs.demo_training.max_concurrent_runs"
    assert report.lines() == [f"{key}: expected an integer, not 'dev' (target dev)",
                              f"{key}: expected an integer, not 'prod' (target prod)",
                              "2 problems (targets validated: dev, prod)"]


def test_undeclared_variable(bundle):
    line = plant(bundle, RESOURCE, "${var.catalog}.demo.raw", "${var.catalgo}.demo.raw")
    assert only_problem(bundle) == (
        f"{RESOURCE}:{line}: resources.jobs.demo_features.tasks[0].notebook_task.base_parameters.table: "
        "${var.catalgo}: variable 'catalgo' is not declared (did you mean 'catalog'?); declared variables: catalog")


def test_missing_notebook(bundle):
    line = plant(bundle, RESOURCE, "notebook_path: ../notebooks/Step.py\n    demo_monitoring",
                 "notebook_path: ../notebooks/Stepp.py\n    demo_monitoring")
    assert only_problem(bundle) == (
        f"{RESOURCE}:{line}: resources.jobs.demo_inference.tasks[0].notebook_task.notebook_path: notebook "
        "'../notebooks/Stepp.py' does not exist: no file projects/demo/notebooks/Stepp.py "
        "(did you mean '../notebooks/Step.py'?)")


def test_depends_on_a_missing_task(bundle):
    line = plant(bundle, RESOURCE, "            - task_key: ingest", "            - task_key: ingets")
    assert only_problem(bundle) == (
        f"{RESOURCE}:{line}: resources.jobs.demo_features.tasks[1].depends_on[0].task_key: depends on task "
        "'ingets', which job 'demo_features' does not have (did you mean 'ingest'?); tasks: compute, ingest")


def test_run_job_task_naming_a_missing_job(bundle):
    line = plant(bundle, RESOURCE, "${resources.jobs.demo_training.id}", "${resources.jobs.demo_train.id}")
    assert only_problem(bundle) == (
        f"{RESOURCE}:{line}: resources.jobs.demo_monitoring.tasks[1].run_job_task.job_id: run_job_task runs job "
        "'demo_train', which is not declared (did you mean 'demo_training'?); jobs: demo_deployment, "
        "demo_features, demo_inference, demo_monitoring, demo_training")


def test_duplicate_job_name(bundle):
    line = plant(bundle, RESOURCE, "name: ${bundle.target}-demo-inference", "name: ${bundle.target}-demo-training")
    first = line_of(bundle, RESOURCE, "name: ${bundle.target}-demo-training")
    assert only_problem(bundle) == (
        f"{RESOURCE}:{line}: resources.jobs.demo_inference.name: job name '${{bundle.target}}-demo-training' is "
        f"also the name of resources.jobs.demo_training ({RESOURCE}:{first})")


def test_misspelt_target_key(bundle):
    line = plant(bundle, "databricks.yml", "    mode: production", "    mdoe: production")
    assert only_problem(bundle) == f"databricks.yml:{line}: targets.prod: unknown key 'mdoe' (did you mean 'mode'?)"


def test_target_mode_must_be_development_or_production(bundle):
    line = plant(bundle, "databricks.yml", "    mode: production", "    mode: prod")
    assert only_problem(bundle) == (f"databricks.yml:{line}: targets.prod.mode: mode must be development or "
                                    "production, not 'prod'")


def test_misspelt_top_level_key(bundle):
    line = plant(bundle, RESOURCE, "resources:", "resoures:")
    report = validate_bundle(bundle)
    assert report.lines()[0] == f"{RESOURCE}:{line}: unknown key 'resoures' (did you mean 'resources'?)"


def test_every_project_declares_every_stage(bundle):
    assert STAGES == ("features", "training", "inference", "monitoring")
    plant(bundle, RESOURCE, "stage: monitoring", "stage: monitor")
    assert only_problem(bundle) == (
        "projects/demo/resources: resources.jobs: project 'demo' has no job tagged stage: monitoring (with "
        "project: demo); every project needs the stages features, training, inference, monitoring and a "
        "deployment job (stage: deployment) that its new model versions start")
    (bundle / "projects/empty").mkdir()
    report = validate_bundle(bundle)
    empty = [str(p) for p in report.problems if p.file == "projects/empty/resources"]
    assert len(empty) == len(STAGES) + 1 + 2  # the stages, the deployment job, a model and an experiment
    assert "projects/empty/resources: resources.registered_models: project 'empty' declares no registered model " \
           "in projects/empty/resources/*.yml" in empty


def test_problems_are_all_collected(bundle):
    plant(bundle, RESOURCE, "max_concurrent_runs: 1", 'max_concurrent_runs: "one"')
    plant(bundle, RESOURCE, "${var.catalog}.demo.raw", "${var.catalgo}.demo.raw")
    plant(bundle, RESOURCE, "            - task_key: ingest", "            - task_key: ingets")
    plant(bundle, "databricks.yml", "    mode: production", "    mdoe: production")
    report = validate_bundle(bundle)
    assert len(report.problems) == 4, "\n".join(report.lines())
    assert report.lines()[-1] == "4 problems (targets validated: dev, prod)"


def test_command_exit_codes_and_output(bundle, monkeypatch, capsys):
    monkeypatch.chdir(bundle)
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "target dev: OK (5 jobs, 1 registered model, 1 experiment)"
    assert main(["validate", "-t", "prod", "-o", "json"]) == 0
    resolved = json.loads(capsys.readouterr().out)
    assert resolved["bundle"]["target"] == "prod"
    assert resolved["resources"]["registered_models"]["demo_model"]["catalog_name"] == "prod"
    plant(bundle, RESOURCE, "max_concurrent_runs: 1", 'max_concurrent_runs: "one"')
    assert main(["validate", "-t", "dev"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "1 problem (targets validated: dev)" and "max_concurrent_runs" in out[0]
    assert main(["validate", "-t", "qa"]) == 1
    assert "Unknown target 'qa'" in capsys.readouterr().err


def test_repository_bundle_is_valid_for_every_target(monkeypatch):
    monkeypatch.setenv("DATABRICKS_USER", "ci@example.com")
    report = validate_bundle(REPO)
    assert report.targets == ["dev", "test", "staging", "prod"]
    assert report.ok, "\n".join(report.lines())


def test_a_value_a_dropdown_widget_refuses(bundle):
    """The notebook would refuse it at run time, after training had registered a version."""
    (bundle / "projects/demo/notebooks/Step.py").write_text(
        "# Databricks notebook source\ndbutils.widgets.dropdown('mode', 'a', ['a', 'b'], 'Mode')\n")
    line = plant(bundle, RESOURCE, "              table: ${var.catalog}.demo.raw",
                 "              table: ${var.catalog}.demo.raw\n              mode: c")
    assert only_problem(bundle) == (
        f"{RESOURCE}:{line + 1}: resources.jobs.demo_features.tasks[0].notebook_task.base_parameters.mode: gives "
        "widget 'mode' of projects/demo/notebooks/Step.py (task 'ingest') the value 'c', which the notebook refuses "
        "at run time: its choices are a, b")
    plant(bundle, RESOURCE, "mode: c", "mode: '{{job.parameters.mode}}'")  # known at run time only
    assert validate_bundle(bundle).ok


def test_the_repository_bundle_refuses_a_validation_mode_its_notebook_refuses():
    report = validate_bundle(REPO, ["dev"], {"validation_mode": "strict"})
    refused = [p for p in report.lines() if "gives widget 'validation_mode'" in p]
    deployment_jobs = [key for key in report.bundles["dev"].jobs if key.endswith("_model_deployment")]
    assert len(refused) == len(deployment_jobs) > 0 and all("its choices are disabled, dry_run, enabled" in p for p in refused)
