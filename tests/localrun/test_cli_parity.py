"""`mlops validate -t T -o json` against `databricks bundle validate -t T -o json`, on a bundle that
uses every rule they share (cli_parity/bundle). The JSON files beside it are the real CLI's output
(v1.12.1, written by tools/databricks_cli_check.py --write-fixtures): development mode's presets,
explicit presets, top-level permissions expanded onto jobs and experiments with the deployer as
owner, run_as on every job, Unity Catalog prefixes and ${resources...} left unresolved must match."""

import copy
import json
from pathlib import Path

import pytest

from localrun.bundle import load_bundle

HERE = Path(__file__).parent / "cli_parity"
DEVELOPER = "Jane.O-Brien+ml@example.com"
SERVICE_PRINCIPAL = "11111111-2222-3333-4444-555555555555"
# What only a workspace knows (the user's id and groups, the files to sync, deploy-time metadata).
WORKSPACE_ONLY = {"active", "displayName", "groups", "id"}
DEPLOY_ONLY = {"deployment", "edit_mode", "format"}


def _comparable(config: dict) -> dict:
    config = copy.deepcopy(config)
    for key in ("sync", "include"):
        config.pop(key, None)
    for key in WORKSPACE_ONLY:
        config["workspace"]["current_user"].pop(key, None)
    for job in config["resources"].get("jobs", {}).values():
        for key in DEPLOY_ONLY:
            job.pop(key, None)
        job["tasks"] = sorted(job["tasks"], key=lambda task: task["task_key"])  # the CLI sorts them
    return config


@pytest.mark.parametrize("target", ["dev", "staging", "prod"])
def test_validate_json_matches_the_cli(target, monkeypatch):
    monkeypatch.setenv("DATABRICKS_USER", DEVELOPER if target == "dev" else SERVICE_PRINCIPAL)
    monkeypatch.setenv("BUNDLE_VAR_service_principal", SERVICE_PRINCIPAL)
    cli = _comparable(json.loads((HERE / f"{target}.json").read_text()))
    ours = _comparable(json.loads(json.dumps(load_bundle(HERE / "bundle", target).to_dict())))
    for section in ("bundle", "presets", "permissions", "run_as", "workspace", "variables"):
        assert ours.get(section) == cli.get(section), section
    for kind, items in cli["resources"].items():
        for key, resource in items.items():
            assert ours["resources"][kind][key] == resource, f"resources.{kind}.{key}"
    assert ours["resources"].keys() == cli["resources"].keys()


def test_the_fixtures_cover_what_the_issue_lists():
    """The comparison above is only as good as what the CLI's output holds."""
    dev, staging, prod = (json.loads((HERE / f"{t}.json").read_text()) for t in ("dev", "staging", "prod"))
    assert dev["presets"]["name_prefix"] == "[dev jane_o_brien_ml] " and dev["presets"]["jobs_max_concurrent_runs"] == 4
    assert dev["resources"]["jobs"]["train"]["schedule"]["pause_status"] == "PAUSED"
    assert {"level": "IS_OWNER", "service_principal_name": SERVICE_PRINCIPAL} in \
        prod["resources"]["jobs"]["score"]["permissions"]
    assert prod["resources"]["jobs"]["score"]["run_as"] == {"service_principal_name": SERVICE_PRINCIPAL}
    assert staging["resources"]["jobs"]["train"]["tasks"][0]["run_job_task"]["job_id"] == "${resources.jobs.score.id}"
    assert staging["resources"]["registered_models"]["model"]["name"] == "staging_copy_model"
