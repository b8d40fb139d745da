"""The one runtime seam: everything that differs between a Databricks workspace and a laptop.

On Databricks (detected from DATABRICKS_RUNTIME_VERSION) the runtime's own Spark session,
`FeatureEngineeringClient`, the workspace MLflow tracking server and the Unity Catalog registry
are used, and the SDK's `WorkspaceClient` is built on first use, with bounded timeouts. Locally:

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
import sys
import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("sail", "jvm")
DELTA_JVM_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"

log = logging.getLogger(__name__)


def is_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def lakehouse_dir() -> Path:
    path = Path(os.environ.get("MLOPS_LAKEHOUSE") or REPO_ROOT / ".lakehouse").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def spark_engine() -> str:
    """Which local engine serves Spark: ``sail``, ``jvm`` or ``remote`` (a Spark Connect URL)."""
    if os.environ.get("MLOPS_SPARK_REMOTE"):
        return "remote"
    engine = os.environ.get("MLOPS_SPARK_ENGINE", "sail").lower()
    if engine not in ENGINES:
        raise ValueError(f"MLOPS_SPARK_ENGINE={engine!r} is not an engine; choose one of {', '.join(ENGINES)}")
    return engine


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
    elif engine == "jvm":
        spark = _jvm_session()
    else:
        spark = SparkSession.builder.remote(_sail_url()).getOrCreate()
    from common import tables

    tables.register_all(spark)
    return spark


_servers: list = []  # keeps the Sail server alive: it shuts down when garbage-collected


@lru_cache(maxsize=1)
def _sail_url() -> str:
    # Sail runs inside this process on a free port; it stops when the process exits.
    logging.getLogger("sail").setLevel(logging.WARNING)
    os.environ.setdefault("RUST_LOG", "error")
    from pysail.spark import SparkConnectServer

    server = SparkConnectServer(ip="127.0.0.1", port=0)
    server.start(background=True)
    _servers.append(server)
    host, port = server.listening_address
    return f"sc://{host}:{port}"


def _jvm_session():
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        raise RuntimeError("MLOPS_SPARK_ENGINE=jvm needs Java 17 on PATH or JAVA_HOME; the default engine (sail) needs none")
    from pyspark.sql import SparkSession

    lakehouse = lakehouse_dir()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # UDF workers use this environment
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # the driver binds to this machine only
    # `remote("local[*]")` starts a Spark Connect server on a local JVM, so the code path is
    # the same Spark Connect client as with Sail and Databricks serverless.
    builder = (
        SparkSession.builder.remote("local[2]")
        .config("spark.jars.packages", DELTA_JVM_PACKAGE)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        # The catalog is in memory (no Derby metastore); local tables are registered in each session.
        .config("spark.sql.warehouse.dir", str(lakehouse / "spark-warehouse"))
        # Short local sessions: the quick JIT compiler alone and the serial GC start faster on 2 cores.
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        # Sail and Databricks read and write timestamps in UTC; the JVM would use the machine's zone.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.connect.grpc.binding.address", "127.0.0.1")  # this machine only
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # Small local data on 2 cores: few partitions. Delta reads its log in 50 by default.
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.databricks.delta.snapshotPartitions", "2")
    )
    log_file = lakehouse / "logs" / "spark-jvm.log"
    try:
        with _output_to(log_file), warnings.catch_warnings():
            # The client sets every option again on the started server, which refuses the
            # static ones (jars, extensions, warehouse...) it was already started with.
            warnings.filterwarnings("ignore", message="Failed to set spark")
            return builder.getOrCreate()
    except Exception as error:
        lines = log_file.read_text(errors="replace").splitlines(keepends=True) if log_file.exists() else []
        tail = "".join(lines[-20:])
        message = f"The local JVM Spark session did not start; its output is in {log_file}:\n{tail}"
        raise RuntimeError(message) from error


@contextmanager
def _output_to(log_file: Path):
    """Send the console output of processes started meanwhile (the JVM and its UDF workers) to
    `log_file`: Ivy's dependency report, JVM warnings and Spark's logs would flood the jobs' output."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with open(log_file, "ab") as log:
        for fd in saved:
            os.dup2(log.fileno(), fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)


def feature_store_class() -> type:
    """Which feature store client this environment uses; choosing it needs no workspace."""
    if is_databricks():
        from databricks.feature_engineering import FeatureEngineeringClient

        return FeatureEngineeringClient
    from common.feature_store import LocalFeatureStoreClient

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


def configure_mlflow() -> None:
    """Point MLflow at the workspace and Unity Catalog, or at the sqlite store in the lakehouse."""
    import mlflow

    if is_databricks():
        mlflow.set_tracking_uri("databricks")
        mlflow.set_registry_uri("databricks-uc")
        return
    _quiet_local_mlflow()
    uri = mlflow_tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


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
    from common import dbutils_local

    return dbutils_local.current()


def _notebook_global(name: str):
    """A name the Databricks notebook defines for its user (`dbutils`, `spark`), if any."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return None if shell is None else shell.user_ns.get(name)
