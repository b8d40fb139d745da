"""What each target resolves to, as `mlops validate -t <target> -o json` prints it."""

import re

import pytest

from conftest import ROOT
from localrun.bundle import load_bundle

TABLE_OR_MODEL = re.compile(r"^[a-z_]+\.[a-z_]+\.[a-z_]+$")


def _names(bundle):
    """Every three-level table or model name in every task parameter."""
    for job in bundle.jobs.values():
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


def test_prod_grants_the_ml_engineers_group():
    assert load_bundle(ROOT, "prod").to_dict()["permissions"] == [{"group_name": "ml-engineers", "level": "CAN_MANAGE"}]


def test_dev_is_per_user(monkeypatch):
    monkeypatch.setenv("DATABRICKS_USER", "ada.lovelace@example.com")
    bundle = load_bundle(ROOT)
    assert (bundle.target, bundle.mode) == ("dev", "development")
    names = {key: job["name"] for key, job in bundle.jobs.items()}
    assert names.pop("reset_project") == "[dev ada_lovelace] dev-reset-project"
    assert all(name.startswith("[dev ada_lovelace] dev-churn-") for name in names.values())
    resources = bundle.to_dict()["resources"]
    experiment = resources["experiments"]["churn_experiment"]["name"]
    assert experiment == ("/Workspace/Users/ada.lovelace@example.com/.bundle/mlops-monorepo/dev/experiments/"
                          "[dev ada_lovelace] churn-experiment")
    # Unity Catalog names take the prefix in the CLI's normalised form, and the jobs use it.
    assert resources["registered_models"]["churn_model"]["name"] == "dev_ada_lovelace_churn_model"
    training = resources["jobs"]["churn_model_training"]["tasks"][0]["notebook_task"]["base_parameters"]
    assert training["model_name"] == "dev.churn.dev_ada_lovelace_churn_model"
    assert training["experiment_name"] == experiment
    assert all(n.startswith("dev.") for n in _names(bundle))


@pytest.mark.parametrize(("prefix", "catalog_prefix"), [
    ("[dev ${workspace.current_user.short_name}] ", "dev_${workspace.current_user.short_name}_"),
    ("[Team A] ", "team_a_"),
    ("ci-", "ci_"),
])
def test_unity_catalog_names_take_the_prefix_normalised_as_the_cli_does(prefix, catalog_prefix):
    from localrun.bundle import catalog_prefix_of

    assert catalog_prefix_of(prefix) == catalog_prefix


def test_production_targets_keep_names_as_written():
    resources = load_bundle(ROOT, "prod").to_dict()["resources"]
    assert resources["registered_models"]["churn_model"]["name"] == "churn_model"
    assert resources["experiments"]["churn_experiment"]["name"] == "/Shared/mlops-monorepo/prod/churn-experiment"
