"""The runtime seam (common/runtime.py, reading common/env.py) picks the local implementation on a laptop,
without touching a network."""

import os

import pytest

from common import env, runtime
from common.local import spark as local_spark
from common.local.feature_store import LocalFeatureStoreClient


def test_engine_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("MLOPS_SPARK_REMOTE", raising=False)
    monkeypatch.delenv("MLOPS_SPARK_ENGINE", raising=False)
    assert env.spark_engine() == "sail"
    monkeypatch.setenv("MLOPS_SPARK_ENGINE", "JVM")
    assert env.spark_engine() == "jvm"
    monkeypatch.setenv("MLOPS_SPARK_REMOTE", "sc://example:15002")
    assert env.spark_engine() == "remote"


def test_unknown_engine_lists_the_engines(monkeypatch):
    monkeypatch.delenv("MLOPS_SPARK_REMOTE", raising=False)
    monkeypatch.setenv("MLOPS_SPARK_ENGINE", "duckdb")
    with pytest.raises(ValueError, match="MLOPS_SPARK_ENGINE='duckdb' is not an engine; choose one of sail, jvm"):
        env.spark_engine()


def test_databricks_is_detected_from_the_runtime_environment(monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    assert not env.is_databricks()
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    assert env.is_databricks()


def test_local_services_live_in_the_lakehouse(spark, lakehouse):
    assert env.lakehouse_dir() == lakehouse
    assert runtime.mlflow_tracking_uri() == f"sqlite:///{lakehouse / 'mlflow.db'}"
    assert isinstance(runtime.feature_store_client(), LocalFeatureStoreClient)
    assert runtime.get_spark() is spark  # one session per process
    assert type(runtime.get_dbutils()).__name__ == "LocalDbutils"


def test_each_experiment_keeps_its_artifacts_in_its_own_lakehouse_folder(lakehouse):
    first = runtime.set_experiment("/tests/runtime-experiment")
    second = runtime.set_experiment("/tests/runtime-experiment-2")
    folders = {first.artifact_location, second.artifact_location}
    assert len(folders) == 2
    assert all(f.startswith((lakehouse / "mlartifacts").as_uri() + "/") for f in folders)
    assert runtime.set_experiment("/tests/runtime-experiment").artifact_location == first.artifact_location


@pytest.fixture
def on_databricks(monkeypatch):
    """This process as a Databricks runtime sees it: the runtime's variable is set. What it cannot
    have here (the workspace) is never reached: each check stops at choosing the implementation."""
    import mlflow

    local = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    yield
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION")
    # Back to the local store for the tests that follow (MLflow keeps its URIs in the environment too).
    mlflow.set_tracking_uri(local[0])
    mlflow.set_registry_uri(local[1])


def _with_classic_pyspark():
    """`databricks.feature_engineering` imports classic pyspark (as a Databricks runtime has it), which
    .venv has with the JVM engine's requirements only; .ci/run installs them (MLOPS_REQUIRE_JVM=1)."""
    ready = local_spark.classic_pyspark_installed() or os.environ.get("MLOPS_REQUIRE_JVM") == "1"
    reason = "needs the full pyspark: `MLOPS_SPARK_ENGINE=jvm ./mlops --help` installs it"
    return pytest.mark.skipif(not ready, reason=reason)


@_with_classic_pyspark()
def test_on_databricks_the_feature_store_is_feature_engineering_client(on_databricks):
    from databricks.feature_engineering import FeatureEngineeringClient

    assert runtime.feature_store_class() is FeatureEngineeringClient


@_with_classic_pyspark()
def test_the_lifecycle_looks_features_up_with_the_feature_engineering_class():
    import databricks.feature_engineering

    from common.lifecycle import training_set

    assert training_set.FeatureLookup is databricks.feature_engineering.FeatureLookup


def test_the_jvm_engine_names_what_it_lacks_and_the_command_that_installs_it(monkeypatch):
    monkeypatch.setattr(local_spark, "classic_pyspark_installed", lambda: False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(RuntimeError) as error:
        local_spark.jvm_session()
    assert str(error.value) == (
        "MLOPS_SPARK_ENGINE=jvm needs the full pyspark, with Spark's jars, where this environment has Spark "
        "Connect's client alone (run `MLOPS_SPARK_ENGINE=jvm ./mlops --help` once: it adds requirements-jvm.txt "
        "to .venv) and Java 17 on PATH or JAVA_HOME; the default engine (sail) needs neither")


def test_on_databricks_mlflow_is_the_workspace_and_the_unity_catalog_registry(on_databricks):
    import mlflow

    runtime.configure_mlflow()
    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == ("databricks", "databricks-uc")


def test_on_databricks_spark_is_the_runtime_session(spark, on_databricks, monkeypatch):
    def no_local_server():
        raise AssertionError("a local Spark server was started on Databricks")

    monkeypatch.setattr(local_spark, "sail_session", no_local_server)
    monkeypatch.setattr(local_spark, "jvm_session", no_local_server)
    assert runtime.get_spark.__wrapped__() is spark  # the session already running, not a new one


def test_locally_the_feature_store_is_the_local_client(monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    assert runtime.feature_store_class() is LocalFeatureStoreClient


def test_a_spark_connect_url_keeps_mlflow_and_dbutils_local_but_tables_in_its_catalog(monkeypatch):
    monkeypatch.setenv("MLOPS_SPARK_REMOTE", "sc://workspace.example:443")
    assert env.spark_engine() == "remote"
    assert not env.uses_local_tables()  # tables live in the remote catalog, not in lakehouse folders
    assert runtime.mlflow_tracking_uri().startswith("sqlite:///")


def test_the_workspace_client_is_built_on_first_use_only_with_bounded_timeouts(spark, monkeypatch, tmp_path):
    runtime.workspace_client.cache_clear()
    runtime.feature_store_client()
    runtime.configure_mlflow()
    assert runtime.workspace_client.cache_info().currsize == 0  # local services never build it

    # A workspace that cannot answer (a closed port on this machine): building and calling fail
    # within the configured bounds instead of retrying for minutes.
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.databrickscfg
    monkeypatch.setenv("DATABRICKS_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("DATABRICKS_TOKEN", "not-a-real-token")
    monkeypatch.setattr(runtime, "WORKSPACE_HTTP_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(runtime, "WORKSPACE_RETRY_TIMEOUT_SECONDS", 1)
    try:
        client = runtime.workspace_client()
        assert runtime.workspace_client() is client
        assert (client.config.http_timeout_seconds, client.config.retry_timeout_seconds) == (1, 1)
        with pytest.raises(TimeoutError):
            client.current_user.me()
    finally:
        runtime.workspace_client.cache_clear()
