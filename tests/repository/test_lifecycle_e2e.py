"""End to end: README's main command, `mlops lifecycle`, on Sail in a fresh process for every
project, then churn's again (a rerun on the tables and registry the first left); and churn's once
on classic Spark (the second engine), over the raw and feature tables the first Sail
run left: there the feature job MERGEs into an existing table and the other tables are created anew.

What it leaves behind is read back without Spark (the `deltalake` package and the MLflow client),
so the assertions do not share the code under test.
"""

import os
import subprocess
import sys

import pytest
from deltalake import DeltaTable
from mlflow import MlflowClient

from conftest import ROOT
from localrun.bundle import load_bundle
from localrun.scaffold import new_project
from tests.localrun.test_scaffold_e2e import NAME, repository_copy

# What the dev target names the schema and the model: development mode prefixes them per user.
_DEV = load_bundle(ROOT, "dev").resources
SCHEMA = f"dev.{_DEV['schemas']['churn']['name']}"
MODEL = f"{SCHEMA}.{_DEV['registered_models']['churn_model']['name']}"
TELCO_ROWS = 7043
CREDIT = f"dev.{_DEV['schemas']['credit_risk']['name']}"
CREDIT_MODEL = f"{CREDIT}.{_DEV['registered_models']['credit_risk_model']['name']}"
APPLICATIONS = 4454


def _mlops(engine: str, lakehouse, *args: str, cwd=ROOT) -> str:
    env = {**os.environ, "MLOPS_LAKEHOUSE": str(lakehouse), "MLOPS_SPARK_ENGINE": engine}
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run([sys.executable, "-m", "localrun", *args], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _table(lakehouse, name):
    return DeltaTable(str(lakehouse / "tables" / name.replace(".", "/"))).to_pandas()


def _registry(lakehouse) -> MlflowClient:
    store = f"sqlite:///{lakehouse / 'mlflow.db'}"
    return MlflowClient(tracking_uri=store, registry_uri=store)


def _models_table(output: str) -> dict[str, list[str]]:
    """The lifecycle's closing table: model name -> its row's cells (project first)."""
    table = output[output.index("project  "):].splitlines()[2:]
    return {line.split()[1]: line.split() for line in table if line.strip()}


def _every_model_registered(output: str, lakehouse) -> None:
    """Each registered model the bundle declares was trained, promoted and used for scoring."""
    rows = _models_table(output)
    registry = _registry(lakehouse)
    project_of = {schema["name"]: project for project, schema in _DEV["schemas"].items()}
    for model in _DEV["registered_models"].values():
        project, name = project_of[model["schema_name"]], f"dev.{model['schema_name']}.{model['name']}"
        assert name in rows, (name, list(rows))
        assert rows[name][0] == project and "Challenger," in rows[name] and int(rows[name][-1]) > 0
        assert str(registry.get_model_version_by_alias(name, "Champion").version) == "1"


def _check_first_run(output: str, lakehouse) -> None:
    for line in (f"compute_features.feature_rows: {TELCO_ROWS}", "train.model_version: 1",
                 "model_validation.validation_status: PASSED", "model_deployment.aliases: ['Challenger', 'Champion']",
                 f"batch_inference.rows_scored: {TELCO_ROWS}", "check_metrics.retrain: false"):
        assert line in output, output[-3000:]

    features = _table(lakehouse, f"{SCHEMA}.customer_features")
    assert len(features) == TELCO_ROWS
    assert not features.duplicated(["customer_id", "feature_timestamp"]).any()
    predictions = _table(lakehouse, f"{SCHEMA}.churn_predictions")
    assert len(predictions) == TELCO_ROWS
    assert set(predictions.model_version) == {"1"} and set(predictions.model_name) == {MODEL}

    champion = _registry(lakehouse).get_model_version_by_alias(MODEL, "Champion")
    assert str(champion.version) == "1"
    assert champion.tags["validation_status"] == "PASSED"
    assert float(champion.tags["validation_roc_auc"]) > 0.75


@pytest.mark.e2e
def test_lifecycle_runs_every_job_and_a_rerun_duplicates_nothing(tmp_path):
    repo, lakehouse = repository_copy(tmp_path / "repo"), tmp_path / "lakehouse"
    new_project(NAME, repo)
    output = _mlops("sail", lakehouse, "lifecycle", cwd=repo)
    _check_first_run(output, lakehouse)
    _every_model_registered(output, lakehouse)
    prefix = _DEV["schemas"]["churn"]["name"].removesuffix("churn")  # dev_<you>_
    generated = _models_table(output)[f"dev.{prefix}{NAME}.{prefix}{NAME}_model"]
    assert generated[0] == NAME and generated[3:5] == ["Challenger,", "Champion"] and generated[-1] == "500"

    # A second run in a new process (credit risk's, the quickest with a Champion to beat) finds every
    # table again. The retrained model is no better, so the dev target's dry-run validation keeps
    # the Champion where it was.
    second = _mlops("sail", lakehouse, "lifecycle", "credit_risk", cwd=repo)
    assert "model_validation.validation_status: FAILED" in second
    assert "model_deployment.promoted: False" in second
    for table in ("credit_applications", "application_features", "credit_risk_predictions"):
        assert len(_table(lakehouse, f"{CREDIT}.{table}")) == APPLICATIONS, table
    features = DeltaTable(str(lakehouse / "tables" / CREDIT.replace(".", "/") / "application_features"))
    assert features.history()[0]["operation"] == "MERGE"
    registry = _registry(lakehouse)
    assert str(registry.get_model_version_by_alias(CREDIT_MODEL, "Champion").version) == "1"
    assert str(registry.get_model_version_by_alias(CREDIT_MODEL, "Challenger").version) == "2"
    assert len(_table(lakehouse, f"{CREDIT}.monitoring_metrics")) == 2  # one check per run
