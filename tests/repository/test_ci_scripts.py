"""The small scripts CI runs beside the Databricks CLI: .ci/project_jobs.py (a project's job keys by
stage, from the bundle's tags) and .ci/bundle_validate.sh (the validation report for the pull request)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.projects import STAGES, lifecycle_jobs
from conftest import ROOT as REPO
from localrun.bundle import load_bundle

PROJECT_JOBS = REPO / ".ci" / "project_jobs.py"
BUNDLE_VALIDATE = REPO / ".ci" / "bundle_validate.sh"

_spec = importlib.util.spec_from_file_location("project_jobs", PROJECT_JOBS)
project_jobs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(project_jobs)


@pytest.fixture(scope="module")
def test_target() -> dict:
    """The test target's resolved configuration, as `bundle validate -o json` prints it."""
    return load_bundle(REPO, target="test").to_dict()


def test_stages_are_the_lifecycle_stages():
    assert project_jobs.STAGES is STAGES  # one definition, imported by the script


def test_integration_jobs_of_churn_come_from_the_bundle_tags(test_target, tmp_path):
    bundle_json = tmp_path / "bundle.json"
    bundle_json.write_text(json.dumps(test_target))
    result = subprocess.run([sys.executable, "-I", "-S", str(PROJECT_JOBS), "churn", "--stage", "features",
                             "--stage", "training", "--bundle", str(bundle_json)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["churn_feature_engineering", "churn_model_training"]


def test_every_stage_by_default_in_lifecycle_order_like_the_local_lifecycle(test_target):
    bundle = load_bundle(REPO, target="test")
    for project, keys in lifecycle_jobs(bundle.jobs).items():
        assert project_jobs.project_jobs(test_target, project) == keys


def test_stage_order_does_not_depend_on_the_file_order():
    config = {"resources": {"jobs": {
        "x_train": {"tags": {"project": "x", "stage": "training"}},
        "x_features": {"tags": {"project": "x", "stage": "features"}},
        "y_features": {"tags": {"project": "y", "stage": "features"}},
        "untagged": {},
    }}}
    assert project_jobs.project_jobs(config, "x", ["features", "training"]) == ["x_features", "x_train"]


def test_unknown_project_is_one_clear_error(test_target):
    result = subprocess.run([sys.executable, "-I", "-S", str(PROJECT_JOBS), "nope"], input=json.dumps(test_target),
                            check=False, capture_output=True, text=True)
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith("error: no job of the bundle is tagged project: nope (tagged projects: churn, ")
    assert "\n" not in message


def test_a_job_that_a_for_each_task_runs_is_left_to_it():
    fan = {"for_each_task": {"inputs": "[1]", "task": {"run_job_task": {"job_id": "${resources.jobs.x_one.id}"}}}}
    config = {"resources": {"jobs": {
        "x_all": {"tags": {"project": "x", "stage": "training"}, "tasks": [fan]},
        "x_one": {"tags": {"project": "x", "stage": "training"}, "tasks": []},
    }}}
    assert project_jobs.project_jobs(config, "x", ["training"]) == ["x_all"]


def test_missing_stage_is_named():
    config = {"resources": {"jobs": {"x_features": {"tags": {"project": "x", "stage": "features"}}}}}
    with pytest.raises(project_jobs.SelectionError, match="project x has no job tagged stage: training"):
        project_jobs.project_jobs(config, "x", ["features", "training"])


def test_input_that_is_not_json_is_reported():
    result = subprocess.run([sys.executable, "-I", "-S", str(PROJECT_JOBS), "churn"], input="Error: not logged in",
                            check=False, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("error: the bundle configuration is not JSON")


# --- .ci/bundle_validate.sh, with a stand-in `databricks` that fails for prod

FAKE_CLI = """#!/usr/bin/env bash
# stand-in for `databricks bundle validate --strict -t TARGET` (anything but --strict is refused)
if [ "$3" != "--strict" ]; then echo "Error: the report must validate with --strict" >&2; exit 2; fi
if [ "$5" = "prod" ]; then echo "Error: no workspace host for target prod" >&2; exit 1; fi
echo "Name: mlops-monorepo"; echo "Target: $5"; echo "Validation OK!"
"""


@pytest.fixture
def fake_cli(tmp_path: Path) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "databricks").write_text(FAKE_CLI)
    (bin_dir / "databricks").chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "REVISION": "0123456789abcdef"}


def test_bundle_validate_reports_every_target_and_fails_when_one_fails(fake_cli, tmp_path):
    report = tmp_path / "report.md"
    result = subprocess.run(["bash", str(BUNDLE_VALIDATE), str(report), "staging", "prod"], env=fake_cli,
                            check=False, capture_output=True, text=True)
    assert result.returncode == 1
    text = report.read_text()
    assert text.startswith("<!-- bundle-validate -->\n### `databricks bundle validate` at 0123456\n")
    assert "**staging**: passed" in text and "Validation OK!" in text
    assert "**prod**: failed" in text and "Error: no workspace host for target prod" in text
    assert "--- target prod: failed" in result.stdout  # the CI log shows it too


def test_bundle_validate_passes_when_every_target_passes(fake_cli, tmp_path):
    report = tmp_path / "report.md"
    result = subprocess.run(["bash", str(BUNDLE_VALIDATE), str(report), "staging"], env=fake_cli,
                            check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "**staging**: passed" in report.read_text()
