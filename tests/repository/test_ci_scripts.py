"""The small scripts CI runs beside the Databricks CLI: .ci/project_jobs.py (a project's job keys by
stage, from the bundle's tags), .ci/bundle_validate.sh (the validation report for the pull request) and
.ci/package_champions.py (the release's image of each model's Champion)."""
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
PACKAGE_CHAMPIONS = REPO / ".ci" / "package_champions.py"


def _script(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


project_jobs = _script("project_jobs", PROJECT_JOBS)
package_champions = _script("package_champions", PACKAGE_CHAMPIONS)


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


# --- .ci/package_champions.py, with stand-ins for ./mlops package and docker

FAKE_MLOPS = """#!/usr/bin/env bash
# stand-in for `./mlops package MODEL --output DIR`: what localrun/cli.py prints, or its refusals
if [ "$1" != package ] || [ "$3" != --output ]; then echo "usage: $*" >&2; exit 2; fi
case "$2" in
  *.untried) echo "Error: Registered model $2 has no Champion alias: there is no version to package yet" >&2; exit 1;;
  *.broken) echo "Error: Registered model $2 does not exist in the registry databricks-uc" >&2; exit 1;;
esac
mkdir -p "$4"
echo "Packaged $2 version 3 (Champion) into $4"
echo "Build and serve it on port 8080:"
echo "  docker build -t ${2//[._]/-}:v3 $4"
"""
FAKE_DOCKER = """#!/usr/bin/env bash
echo "$*" >> "$DOCKER_LOG"
"""


@pytest.fixture
def fake_tools(tmp_path: Path) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("mlops", FAKE_MLOPS), ("docker", FAKE_DOCKER)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "IMAGE_REGISTRY"}
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}", "DOCKER_LOG": str(tmp_path / "docker.log")}


def _models(*names: str) -> dict:
    return {"resources": {
        "schemas": {"s": {"name": "sales", "catalog_name": "prod"}},
        "registered_models": {n: {"name": n, "catalog_name": "prod", "schema_name": "${resources.schemas.s.name}"}
                              for n in names}}}


def _package_champions(config: dict, tmp_path: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    bundle_json = tmp_path / "bundle.json"
    bundle_json.write_text(json.dumps(config))
    return subprocess.run([sys.executable, "-I", "-S", str(PACKAGE_CHAMPIONS), "--bundle", str(bundle_json),
                           "--output", str(tmp_path / "images"), "--mlops", str(tmp_path / "bin" / "mlops"), *args],
                          env=env, check=False, capture_output=True, text=True)


def test_the_release_packages_every_registered_model_of_prod():
    config = load_bundle(REPO, target="prod").to_dict()
    assert package_champions.registered_models(config) == [
        "prod.churn.churn_model", "prod.clv.clv_repurchase_de", "prod.clv.clv_repurchase_fr",
        "prod.clv.clv_value_bucket_de", "prod.clv.clv_value_bucket_fr", "prod.credit_risk.credit_risk_model",
        "prod.iris.iris_model"]


def test_a_model_without_a_champion_is_skipped_and_any_other_failure_fails_after_every_model(fake_tools, tmp_path):
    result = _package_champions(_models("a_model", "untried", "broken", "z_model"), tmp_path, fake_tools)
    assert result.returncode == 1, result.stdout + result.stderr
    images = tmp_path / "images"
    assert (tmp_path / "docker.log").read_text().splitlines() == [
        f"build -t prod-sales-a-model:v3 {images}/prod.sales.a_model",
        f"build -t prod-sales-z-model:v3 {images}/prod.sales.z_model"]  # the one after the failure too
    assert ("skipped: prod.sales.untried has no Champion yet, so no image (it gets one once a version is "
            "promoted)") in result.stdout
    assert "failed: ./mlops package prod.sales.broken:\nError: Registered model prod.sales.broken does not exist" \
        in result.stderr
    assert result.stdout.splitlines()[-3:] == [
        "images built: 2 (prod.sales.a_model, prod.sales.z_model)", "no Champion yet: 1 (prod.sales.untried)",
        "failed: 1 (prod.sales.broken)"]


def test_with_a_registry_each_image_is_tagged_for_it_and_pushed(fake_tools, tmp_path):
    env = {**fake_tools, "IMAGE_REGISTRY": "ghcr.io/acme/"}
    result = _package_champions(_models("a_model", "untried"), tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr  # no Champion yet fails no release
    assert (tmp_path / "docker.log").read_text().splitlines() == [
        f"build -t prod-sales-a-model:v3 -t ghcr.io/acme/prod-sales-a-model:v3 {tmp_path}/images/prod.sales.a_model",
        "push ghcr.io/acme/prod-sales-a-model:v3"]


def test_a_model_name_the_configuration_does_not_resolve_is_one_clear_error(fake_tools, tmp_path):
    config = _models("a_model")
    config["resources"]["registered_models"]["a_model"]["schema_name"] = "${resources.schemas.gone.name}"
    result = _package_champions(config, tmp_path, fake_tools)
    assert result.returncode == 1
    assert result.stderr == ("error: registered model a_model: cannot resolve ${resources.schemas.gone.name} "
                             "from the bundle configuration\n")
    assert not (tmp_path / "docker.log").exists()
