"""What each target resolves to, as `mlops validate -t <target> -o json` prints it."""

import re

import pytest

from conftest import ROOT
from localrun.bundle import load_bundle

TABLE_OR_MODEL = re.compile(r"^[a-z_]+\.[a-z_]+\.[a-z_]+$")


def _names(bundle, jobs=None):
    """Every three-level table or model name in every task parameter (of `jobs`, default all)."""
    for key, job in bundle.jobs.items():
        if jobs is not None and key not in jobs:
            continue
        for task in job["tasks"]:
            for value in (task.get("notebook_task") or {}).get("base_parameters", {}).values():
                if isinstance(value, str) and TABLE_OR_MODEL.match(value):
                    yield value


@pytest.mark.parametrize("target", ["test", "staging", "prod"])
def test_shared_targets_run_as_the_service_principal_in_their_own_catalog(target):
    bundle = load_bundle(ROOT, target, variables={"service_principal": "11111111-2222-3333-4444-555555555555"})
    resolved = bundle.to_dict()
    assert bundle.mode == "production"
    assert resolved["run_as"] == {"service_principal_name": "11111111-2222-3333-4444-555555555555"}
    names = list(_names(bundle))
    assert names and all(n.startswith(f"{target}.") for n in names), names
    assert resolved["resources"]["registered_models"]["churn_model"]["catalog_name"] == target
    assert all(job["name"].startswith(f"{target}-") for job in bundle.jobs.values())
    assert all(job["email_notifications"]["on_failure"] for job in bundle.jobs.values())


SP = "11111111-2222-3333-4444-555555555555"  # conftest gives it, as CI does


@pytest.mark.parametrize("target", ["test", "staging", "prod"])
def test_production_targets_deploy_where_only_the_service_principal_writes(target, monkeypatch):
    monkeypatch.setenv("DATABRICKS_USER", SP)  # CI deploys as the service principal
    resolved = load_bundle(ROOT, target).to_dict()
    assert resolved["workspace"]["root_path"] == f"/Workspace/Users/{SP}/.bundle/mlops-monorepo/{target}"
    # The code folder and every job and experiment: the principal manages, the group only looks.
    assert resolved["permissions"] == [{"service_principal_name": SP, "level": "CAN_MANAGE"},
                                       {"group_name": "ml-engineers", "level": "CAN_VIEW"}]
    resources = resolved["resources"]
    for job in resources["jobs"].values():
        assert job["permissions"] == [{"level": "IS_OWNER", "service_principal_name": SP},
                                      {"level": "CAN_VIEW", "group_name": "ml-engineers"}]
        assert job["run_as"] == {"service_principal_name": SP}
    assert resources["experiments"]["churn_experiment"]["permissions"] == [
        {"level": "CAN_MANAGE", "service_principal_name": SP}, {"level": "CAN_READ", "group_name": "ml-engineers"}]
    # Unity Catalog: the group reads the schema's tables and loads its models; destroy protects data.
    schema = resources["schemas"]["churn"]
    assert schema["grants"] == [{"principal": "ml-engineers", "privileges": ["USE_SCHEMA", "SELECT", "EXECUTE"]}]
    assert schema["lifecycle"] == ({"prevent_destroy": True} if target in ("staging", "prod") else {})


def test_production_targets_need_the_service_principal(monkeypatch):
    from localrun.bundle import MissingVariable

    monkeypatch.delenv("BUNDLE_VAR_service_principal")
    assert load_bundle(ROOT, "dev").mode == "development"  # dev does not use it
    with pytest.raises(MissingVariable, match=r"Variable 'service_principal' \(databricks.yml\) has no value for "
                                              r"target prod: set the environment variable BUNDLE_VAR_service_principal"):
        load_bundle(ROOT, "prod")


def test_dev_is_per_user(monkeypatch):
    monkeypatch.setenv("DATABRICKS_USER", "Ada.Lovelace@example.com")
    bundle = load_bundle(ROOT)
    assert (bundle.target, bundle.mode) == ("dev", "development")
    names = {key: job["name"] for key, job in bundle.jobs.items()}
    assert names.pop("reset_project") == "[dev ada_lovelace] dev-reset-project"
    assert names.pop("rollback_model") == "[dev ada_lovelace] dev-rollback-model"  # shared too
    for key, name in names.items():  # each project's jobs carry its name, and use its own schema
        project = bundle.jobs[key]["tags"]["project"]
        assert name.startswith(f"[dev ada_lovelace] dev-{project.replace('_', '-')}-")
        assert all(n.startswith(f"dev.dev_ada_lovelace_{project}.") for n in _names(bundle, [key]))
    resources = bundle.to_dict()["resources"]
    experiment = resources["experiments"]["churn_experiment"]["name"]
    assert experiment == ("/Workspace/Users/Ada.Lovelace@example.com/.bundle/mlops-monorepo/dev/experiments/"
                          "[dev ada_lovelace] churn-experiment")
    # Unity Catalog names take the prefix in the CLI's normalised form: a schema of one's own.
    assert resources["schemas"]["churn"]["name"] == "dev_ada_lovelace_churn"
    assert resources["registered_models"]["churn_model"]["name"] == "dev_ada_lovelace_churn_model"
    # -o json leaves ${resources...} for deploy time, as the CLI does; the runner resolves them.
    training = resources["jobs"]["churn_model_training"]["tasks"][0]["notebook_task"]["base_parameters"]
    assert training["model_name"] == "dev.${resources.schemas.churn.name}.${resources.registered_models.churn_model.name}"
    resolved = bundle.jobs["churn_model_training"]["tasks"][0]["notebook_task"]["base_parameters"]
    assert resolved["model_name"] == "dev.dev_ada_lovelace_churn.dev_ada_lovelace_churn_model"
    assert resolved["experiment_name"] == experiment
    # Development mode's presets: a dev tag, schedules paused, no permissions to manage.
    assert all(job["tags"]["dev"] == "ada_lovelace" for job in resources["jobs"].values())
    assert resources["jobs"]["churn_feature_engineering"]["schedule"]["pause_status"] == "PAUSED"
    assert "permissions" not in resources["jobs"]["churn_feature_engineering"]


def test_production_targets_keep_names_as_written():
    resources = load_bundle(ROOT, "prod").to_dict()["resources"]
    assert resources["registered_models"]["churn_model"]["name"] == "churn_model"
    assert resources["schemas"]["churn"]["name"] == "churn"
    assert resources["jobs"]["churn_feature_engineering"]["schedule"]["pause_status"] == "UNPAUSED"


@pytest.mark.parametrize("target", ["dev", "test", "staging", "prod"])
def test_a_fresh_target_deploys_with_no_model_version_and_each_model_has_a_deployment_job(target):
    bundle = load_bundle(ROOT, target, variables={"service_principal": SP})
    resources = bundle.to_dict()["resources"]
    # No serving endpoint and no version anywhere: nothing refers to a version that does not exist yet.
    assert "serving_endpoints" not in resources
    text = repr(bundle.jobs)
    assert not re.search(r"'(model_version|entity_version)': '\d", text) and "values.model_version" not in text
    deployment = {key: job for key, job in bundle.jobs.items() if job["tags"].get("stage") == "deployment"}
    assert {job["tags"]["project"] for job in deployment.values()} == {"churn", "clv", "credit_risk", "iris"}
    for key, job in deployment.items():
        assert [p["name"] for p in job["parameters"]] == ["model_name", "model_version"]
        assert [t["task_key"] for t in job["tasks"]] == ["model_validation", "approval", "model_deployment"]
        approval = job["tasks"][1]["notebook_task"]["base_parameters"]["approval_required"]
        assert approval is (target == "prod"), (key, approval)
    # Each training task connects its model to its project's deployment job (by id on a workspace).
    trains = [t for job in bundle.jobs.values() for t in job["tasks"]
              if t.get("notebook_task", {}).get("notebook_path", "").endswith("Train.py")]
    assert trains and all(t["notebook_task"]["base_parameters"]["deployment_job_id"] in deployment for t in trains)
