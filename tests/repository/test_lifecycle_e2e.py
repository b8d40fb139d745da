"""End to end: README's main command, `mlops lifecycle`, run twice in fresh processes on Sail, and
once on classic Spark (the second engine), over the raw and feature tables the first Sail run left:
there the feature job MERGEs into an existing table and the other tables are created anew.

What it leaves behind is read back without Spark (the `deltalake` package and the MLflow client),
so the assertions do not share the code under test.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable
from mlflow import MlflowClient

from conftest import ROOT
from localrun.bundle import load_bundle

# What the dev target names the schema and the model: development mode prefixes them per user.
_DEV = load_bundle(ROOT, "dev").resources
SCHEMA = f"dev.{_DEV['schemas']['churn']['name']}"
MODEL = f"{SCHEMA}.{_DEV['registered_models']['churn_model']['name']}"
TELCO_ROWS = 7043


def _jvm():
    """Classic Spark, when Java is there; .ci/run sets MLOPS_REQUIRE_JVM=1, making its absence a failure."""
    ready = shutil.which("java") is not None or os.environ.get("MLOPS_REQUIRE_JVM") == "1"
    reason = "classic Spark needs Java 17 on PATH (set MLOPS_REQUIRE_JVM=1 to make this a failure)"
    return pytest.mark.skipif(not ready, reason=reason)


def _mlops(engine: str, lakehouse, *args: str) -> str:
    env = {**os.environ, "MLOPS_LAKEHOUSE": str(lakehouse), "MLOPS_SPARK_ENGINE": engine}
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run([sys.executable, "-m", "localrun", *args], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _table(lakehouse, name):
    return DeltaTable(str(lakehouse / "tables" / name.replace(".", "/"))).to_pandas()


def _registry(lakehouse) -> MlflowClient:
    store = f"sqlite:///{lakehouse / 'mlflow.db'}"
    return MlflowClient(tracking_uri=store, registry_uri=store)


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


# The tables of the feature stage, which the classic-engine run starts from.
FEATURE_STAGE_TABLES = ("telco_customers", "customer_features")


@pytest.fixture(scope="module")
def first_sail_run(tmp_path_factory):
    """README's main command once on Sail; its output, its lakehouse, and a copy of the feature
    stage's tables as that first run left them (the test below goes on changing the lakehouse)."""
    lakehouse = tmp_path_factory.mktemp("sail") / "lakehouse"
    output = _mlops("sail", lakehouse, "lifecycle")
    kept = tmp_path_factory.mktemp("feature-stage")
    schema = Path(*SCHEMA.split("."))
    for table in FEATURE_STAGE_TABLES:
        shutil.copytree(lakehouse / "tables" / schema / table, kept / "tables" / schema / table)
    return output, lakehouse, kept


@pytest.mark.e2e
def test_lifecycle_runs_every_job_and_a_rerun_duplicates_nothing(first_sail_run):
    output, lakehouse, _ = first_sail_run
    _check_first_run(output, lakehouse)

    # A second run in a new process finds every table again. The retrained model is no better,
    # so the dev target's dry-run validation keeps the Champion where it was.
    second = _mlops("sail", lakehouse, "lifecycle")
    assert "model_validation.validation_status: FAILED" in second
    assert "model_deployment.promoted: False" in second
    assert len(_table(lakehouse, f"{SCHEMA}.customer_features")) == TELCO_ROWS
    assert len(_table(lakehouse, f"{SCHEMA}.churn_predictions")) == TELCO_ROWS
    registry = _registry(lakehouse)
    assert str(registry.get_model_version_by_alias(MODEL, "Champion").version) == "1"
    assert str(registry.get_model_version_by_alias(MODEL, "Challenger").version) == "2"
    assert len(_table(lakehouse, f"{SCHEMA}.monitoring_metrics")) == 2  # one check per run


@pytest.mark.e2e
@_jvm()
def test_lifecycle_on_classic_spark_merges_into_the_tables_it_finds(first_sail_run, tmp_path):
    """One lifecycle on the second engine (several times slower than Sail to start and run), in a
    lakehouse that holds the first Sail run's raw and feature tables and nothing else: the feature
    job MERGEs into the feature table (no row added), the rest is created anew."""
    lakehouse = tmp_path / "lakehouse"
    shutil.copytree(first_sail_run[2], lakehouse)
    _check_first_run(_mlops("jvm", lakehouse, "lifecycle", "churn"), lakehouse)  # one project proves the engine
    features = DeltaTable(str(lakehouse / "tables" / Path(*SCHEMA.split(".")) / "customer_features"))
    assert "MERGE" in [entry["operation"] for entry in features.history()]
