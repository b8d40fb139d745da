"""End to end: README's main command, `mlops lifecycle`, on Sail, in a process of its own, for every
project (and one the scaffold adds); then iris's again in a new process (a rerun on the tables and
registry the first left: MERGEs, a second version, an audited promotion). test_lifecycle_jvm_e2e.py runs iris
on classic Spark, the second engine.

What it leaves behind is read back without Spark (the `deltalake` package and the MLflow client),
so the assertions do not share the code under test.
"""

import os
import subprocess
import sys

import pytest
from deltalake import DeltaTable
from mlflow import MlflowClient

from common.local.identity import local_user
from conftest import ROOT
from localrun.bundle import load_bundle
from localrun.scaffold import new_project
from tests.localrun.test_scaffold_e2e import NAME, repository_copy

# What the dev target names the schema and the model: development mode prefixes them per user.
_DEV = load_bundle(ROOT, "dev").resources
SCHEMA = f"dev.{_DEV['schemas']['churn']['name']}"
MODEL = f"{SCHEMA}.{_DEV['registered_models']['churn_model']['name']}"
TELCO_ROWS = 7043
IRIS = f"dev.{_DEV['schemas']['iris']['name']}"
IRIS_MODEL = f"{IRIS}.{_DEV['registered_models']['iris_model']['name']}"
FLOWERS = 150


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

    # A second run in a new process (iris, the quickest) finds every table again. Its retrained
    # model clears the absolute threshold, the only one iris sets, so it replaces the Champion, and
    # the promotion is recorded on both versions.
    second = _mlops("sail", lakehouse, "lifecycle", "iris", cwd=repo)
    assert "model_validation.validation_status: PASSED" in second and "model_deployment.promoted: True" in second
    for table in ("flowers", "flower_features", "iris_predictions"):
        assert len(_table(lakehouse, f"{IRIS}.{table}")) == FLOWERS, table
    features = DeltaTable(str(lakehouse / "tables" / IRIS.replace(".", "/") / "flower_features"))
    assert features.history()[0]["operation"] == "MERGE"
    assert set(_table(lakehouse, f"{IRIS}.iris_predictions").model_version) == {"2"}  # rescored, not added
    registry = _registry(lakehouse)
    champion = registry.get_model_version_by_alias(IRIS_MODEL, "Champion")
    assert str(champion.version) == "2"
    assert (champion.tags["champion_action"], champion.tags["champion_replaced"]) == ("promotion", "1")
    assert champion.tags["champion_by"] == local_user()
    assert registry.get_model_version(IRIS_MODEL, "1").tags["replaced_by"] == "2"
    assert len(_table(lakehouse, f"{IRIS}.monitoring_metrics")) == 2  # one check per run
