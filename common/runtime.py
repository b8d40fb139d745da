"""The one runtime seam: everything that differs between a Databricks workspace and a laptop.

On Databricks (detected from DATABRICKS_RUNTIME_VERSION) the runtime's own Spark session,
`FeatureEngineeringClient`, the workspace MLflow tracking server and the Unity Catalog registry
are used, and the SDK's `WorkspaceClient` is built on first use, with bounded timeouts. Locally
the stand-ins of common.local are chosen, imported here only:

- Spark: a Sail Spark Connect server started in this process (engine ``sail``, the default);
  any Spark Connect URL from ``MLOPS_SPARK_REMOTE`` (Databricks Connect included); or classic JVM
  Spark with Delta Lake (engine ``jvm``, needs Java 17; Delta jars come from Maven Central; the
  JVM's console output goes to ``<lakehouse>/logs/spark-jvm.log``).
- Tables, the feature store and MLflow live under one lakehouse folder (``MLOPS_LAKEHOUSE``,
  default ``<repository>/.lakehouse``).
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from functools import lru_cache
from pathlib import Path

from common import tables
from common.env import is_databricks, lakehouse_dir, spark_engine


@lru_cache(maxsize=1)
def get_spark():
    """The Spark session of this process, created once; local tables are registered in it."""
    from pyspark.sql import SparkSession

    if is_databricks():
        # The notebook's own `spark` (classic or serverless); a job's Python task may need to build it.
        return SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    engine = spark_engine()
    if engine == "remote":
        spark = SparkSession.builder.remote(os.environ["MLOPS_SPARK_REMOTE"]).getOrCreate()
    else:
        from common.local import spark as local_spark

        spark = local_spark.jvm_session() if engine == "jvm" else local_spark.sail_session()
    tables.register_all(spark)
    return spark


def feature_store_class() -> type:
    """Which feature store client this environment uses; choosing it needs no workspace."""
    if is_databricks():
        from databricks.feature_engineering import FeatureEngineeringClient

        return FeatureEngineeringClient
    from common.local.feature_store import LocalFeatureStoreClient

    return LocalFeatureStoreClient


def feature_store_client():
    """`FeatureEngineeringClient` on Databricks; the local Delta-backed implementation elsewhere."""
    client_class = feature_store_class()
    if is_databricks():
        return client_class()  # it finds the workspace and its Spark session by itself
    return client_class(get_spark())


# Bounds for every workspace call, and for the host probe the SDK makes when it builds the client:
# its default retry budget would block an unreachable host for 5 minutes.
WORKSPACE_HTTP_TIMEOUT_SECONDS = 30
WORKSPACE_RETRY_TIMEOUT_SECONDS = 120


@lru_cache(maxsize=1)
def workspace_client():
    """The Databricks SDK's `WorkspaceClient`, built on first use only: building it resolves
    credentials, which can block offline. On a workspace the runtime supplies host and credentials;
    elsewhere the SDK's usual sources (DATABRICKS_HOST and friends, ~/.databrickscfg) apply."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    config = Config(http_timeout_seconds=WORKSPACE_HTTP_TIMEOUT_SECONDS,
                    retry_timeout_seconds=WORKSPACE_RETRY_TIMEOUT_SECONDS)
    return WorkspaceClient(config=config)


def current_user() -> str:
    """Who this process acts as, for audit records: the workspace identity on Databricks (a job's
    run-as user or service principal), else the laptop's user (DATABRICKS_USER, else the login name)."""
    if is_databricks():
        return workspace_client().current_user.me().user_name
    from common.local.identity import local_user

    return local_user()


def connect_deployment_job(model_name: str, job_id: str) -> None:
    """Connect a registered model to its deployment job, so that every new version starts it (MLflow 3
    deployment jobs). The bundle's registered_models resource has no such field, so the Train task
    does this before it registers a version: on a fresh target its first run connects the model."""
    configure_mlflow()
    if is_databricks():
        from mlflow import MlflowClient

        client = MlflowClient()
        if str(client.get_registered_model(model_name).deployment_job_id or "") != str(job_id):
            client.update_registered_model(model_name, deployment_job_id=str(job_id))
        return
    from common.local import deployment_jobs

    deployment_jobs.connect(model_name, str(job_id))


def model_version_registered(model_name: str, version: str) -> None:
    """A new version of `model_name` exists. A workspace starts the model's deployment job by itself;
    locally the runner starts it once the job of the task that registered the version is done."""
    if not is_databricks():
        from common.local import deployment_jobs

        deployment_jobs.version_registered(model_name, version)


def point_serving_endpoint(endpoint: str, model_name: str, version: str) -> str:
    """Make the endpoint serve this model version, creating it if needed: Model Serving on a
    workspace, a local record (served by `./mlops serve`) elsewhere. Returns created, updated or unchanged."""
    if is_databricks():
        from common import serving_endpoints

        return serving_endpoints.point_endpoint(workspace_client(), endpoint, model_name, version)
    from common.local import serving

    return serving.point_endpoint(endpoint, model_name, version)


def served_model(endpoint: str) -> tuple[str, str]:
    """The model name and version the endpoint serves."""
    if is_databricks():
        entity = workspace_client().serving_endpoints.get(endpoint).config.served_entities[0]
        return entity.entity_name, str(entity.entity_version)
    from common.local import serving

    record = serving.served(endpoint)
    return record["model_name"], record["version"]


def query_serving_endpoint(endpoint: str, records: list[dict]) -> list:
    """The endpoint's predictions for `records` (one dict per row): through the SDK on a workspace;
    locally over HTTP from `./mlops serve <endpoint>` (at MLOPS_SERVING_URL, default http://127.0.0.1:5000)."""
    if is_databricks():
        return workspace_client().serving_endpoints.query(name=endpoint, dataframe_records=records).predictions
    from common.local import serving

    return serving.query(endpoint, records)


def has_quality_monitors() -> bool:
    """Whether predictions tables have quality monitors (Lakehouse Monitoring, a bundle resource):
    on a workspace. A laptop has none; the Evidently report stands in for their figures."""
    return is_databricks()


def quality_monitor_figures(spark, table_name: str, model_id_col: str, model_version: str, columns: list[str]):
    """On a workspace: refresh the quality monitor of `table_name`, wait for it, and return the
    latest window's figures of `model_version` (common.quality_monitors.MonitorFigures). None locally."""
    if not has_quality_monitors():
        return None
    from common import quality_monitors

    monitor = quality_monitors.refresh(workspace_client(), table_name)
    return quality_monitors.latest_figures(spark, monitor, model_id_col, model_version, columns)


def configure_mlflow() -> None:
    """Point MLflow at the workspace and Unity Catalog, or at the sqlite store in the lakehouse."""
    import mlflow

    if is_databricks():
        mlflow.set_tracking_uri("databricks")
        mlflow.set_registry_uri("databricks-uc")
        return
    _quiet_local_mlflow()
    uri = mlflow_tracking_uri()
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        from common.local.mlflow_store import ensure_store

        ensure_store(lakehouse_dir() / "mlflow.db")
    mlflow.set_tracking_uri(uri)
    # CI reading a workspace's models from outside it: MLFLOW_REGISTRY_URI=databricks-uc.
    mlflow.set_registry_uri(os.environ.get("MLFLOW_REGISTRY_URI") or uri)


def _quiet_local_mlflow() -> None:
    """Keep job output readable: no download progress bars, no advice meant for clusters."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in ("mlflow.pyfunc", "mlflow.models.evaluation", "mlflow.models.flavor_backend_registry"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")


def mlflow_tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{lakehouse_dir() / 'mlflow.db'}"


def set_experiment(name: str):
    """Create the experiment on first use; locally its artifacts (runs and models) go to a folder of
    its own in the lakehouse, which deleting the experiment removes."""
    import uuid

    import mlflow

    configure_mlflow()
    if not is_databricks() and mlflow.get_experiment_by_name(name) is None:
        folder = lakehouse_dir() / "mlartifacts" / uuid.uuid4().hex
        mlflow.create_experiment(name, artifact_location=folder.as_uri())
    return mlflow.set_experiment(name)


def delete_experiments(experiment_ids: list[str]) -> None:
    """Delete experiments with their runs. The local store keeps a deleted experiment's name (and
    refuses to create another under it), so there it is purged at once, artifacts included, as
    `mlflow gc` does; a workspace moves it to its trash."""
    from mlflow import MlflowClient

    configure_mlflow()
    client = MlflowClient()
    folders = [client.get_experiment(i).artifact_location for i in experiment_ids]
    for experiment_id in experiment_ids:
        client.delete_experiment(experiment_id)
    if experiment_ids and not is_databricks():
        import contextlib
        import io
        from urllib.parse import urlparse

        from mlflow.cli import gc

        with contextlib.redirect_stdout(io.StringIO()):  # a line per run: not news here
            gc.main(["--backend-store-uri", mlflow_tracking_uri(), "--experiment-ids", ",".join(experiment_ids)],
                    standalone_mode=False)
        artifacts = lakehouse_dir() / "mlartifacts"
        for folder in (Path(urlparse(f).path) for f in folders):
            if folder.parent == artifacts:  # its own folder (older experiments shared the parent)
                shutil.rmtree(folder, ignore_errors=True)


def get_dbutils():
    """The workspace's `dbutils`, or the local one of the task being run."""
    if is_databricks():
        notebook_dbutils = _notebook_global("dbutils")
        if notebook_dbutils is not None:
            return notebook_dbutils
        from pyspark.dbutils import DBUtils  # only on a Databricks runtime

        return DBUtils(get_spark())
    from common.local import dbutils as local_dbutils

    return local_dbutils.current()


def _notebook_global(name: str):
    """A name the Databricks notebook defines for its user (`dbutils`, `spark`), if any."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return None if shell is None else shell.user_ns.get(name)
