"""Development-mode names exactly as the Databricks CLI derives them from the signed-in user: the
short name (lower case, any run of other characters than letters and digits one '_', trimmed), the
"[dev <short>] " prefix of jobs and experiments, and "dev_<short>_" before Unity Catalog names.
Each row was checked against `databricks bundle validate -o json` (CLI v1.12.1)."""

import pytest

from conftest import ROOT
from localrun.bundle import load_bundle

SP = "9f1c2d3e-aaaa-bbbb-cccc-0123456789ab"

NAMES = [
    # user name                      short name                              domain-friendly name
    ("Jane.O-Brien+ml@example.com", "jane_o_brien_ml", "jane-o-brien-ml"),
    ("ADA.LOVELACE@EXAMPLE.COM", "ada_lovelace", "ada-lovelace"),
    ("__x..y__@example.com", "x_y", "x-y"),
    ("1st.user@example.com", "1st_user", "1st-user"),
    ("john--doe+test@example.com", "john_doe_test", "john-doe-test"),
    ("Élodie.Müller@example.com", "élodie_müller", "elodie-muller"),
    (SP, SP.replace("-", "_"), SP),  # a service principal signs in with its application ID
]


@pytest.mark.parametrize(("user", "short", "friendly"), NAMES)
def test_dev_names_follow_the_cli(user, short, friendly, monkeypatch):
    monkeypatch.setenv("DATABRICKS_USER", user)
    bundle = load_bundle(ROOT, "dev")
    shown = bundle.to_dict()
    assert shown["workspace"]["current_user"] == {"userName": user, "short_name": short,
                                                  "domain_friendly_name": friendly}
    assert shown["workspace"]["root_path"] == f"/Workspace/Users/{user}/.bundle/mlops-monorepo/dev"
    assert shown["presets"]["name_prefix"] == f"[dev {short}] "
    resources = shown["resources"]
    assert resources["jobs"]["churn_model_training"]["name"] == f"[dev {short}] dev-churn-model-training"
    assert resources["experiments"]["churn_experiment"]["name"].endswith(f"/[dev {short}] churn-experiment")
    assert resources["schemas"]["churn"]["name"] == f"dev_{short}_churn"
    assert resources["registered_models"]["churn_model"]["name"] == f"dev_{short}_churn_model"
    # The local runner reads and writes the same tables as the workspace would.
    params = bundle.jobs["churn_feature_engineering"]["tasks"][1]["notebook_task"]["base_parameters"]
    assert params["feature_table"] == f"dev.dev_{short}_churn.customer_features"


@pytest.mark.parametrize(("prefix", "catalog_prefix"), [
    ("[dev jane_o_brien_ml] ", "dev_jane_o_brien_ml_"),
    ("[Team A] ", "team_a_"),
    ("ci-", "ci"),  # no closing bracket, so no '_' is added: "cichurn_model", as the CLI names it
    ("  [x]  ", "x_"),
])
def test_unity_catalog_names_take_a_preset_prefix_normalised_as_the_cli_does(prefix, catalog_prefix):
    from localrun.bundle import catalog_prefix_of

    assert catalog_prefix_of(prefix) == catalog_prefix
