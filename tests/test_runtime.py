"""The runtime seam picks the local implementation on a laptop, without touching a network."""

import pytest

from common import runtime
from common.feature_store import LocalFeatureStoreClient


def test_engine_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("MLOPS_SPARK_REMOTE", raising=False)
    monkeypatch.delenv("MLOPS_SPARK_ENGINE", raising=False)
    assert runtime.spark_engine() == "sail"
    monkeypatch.setenv("MLOPS_SPARK_ENGINE", "JVM")
    assert runtime.spark_engine() == "jvm"
    monkeypatch.setenv("MLOPS_SPARK_REMOTE", "sc://example:15002")
    assert runtime.spark_engine() == "remote"


def test_unknown_engine_lists_the_engines(monkeypatch):
    monkeypatch.delenv("MLOPS_SPARK_REMOTE", raising=False)
    monkeypatch.setenv("MLOPS_SPARK_ENGINE", "duckdb")
    with pytest.raises(ValueError, match="MLOPS_SPARK_ENGINE='duckdb' is not an engine; choose one of sail, jvm"):
        runtime.spark_engine()


def test_databricks_is_detected_from_the_runtime_environment(monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    assert not runtime.is_databricks()
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    assert runtime.is_databricks()


def test_local_services_live_in_the_lakehouse(spark, lakehouse):
    assert runtime.lakehouse_dir() == lakehouse
    assert runtime.mlflow_tracking_uri() == f"sqlite:///{lakehouse / 'mlflow.db'}"
    assert isinstance(runtime.feature_store_client(), LocalFeatureStoreClient)
    assert runtime.get_spark() is spark  # one session per process
    assert type(runtime.get_dbutils()).__name__ == "LocalDbutils"


def test_experiment_artifacts_stay_in_the_lakehouse(lakehouse):
    experiment = runtime.set_experiment("/tests/runtime-experiment")
    assert experiment.artifact_location == (lakehouse / "mlartifacts").as_uri()
