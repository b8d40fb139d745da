"""The one runtime seam: everything that differs between a Databricks workspace and a laptop.

On Databricks (detected from DATABRICKS_RUNTIME_VERSION) the runtime's own Spark session,
`FeatureEngineeringClient`, the workspace MLflow tracking server and the Unity Catalog registry
are used. Locally:

- Spark: a Sail Spark Connect server started in this process (engine ``sail``, the default);
  any Spark Connect URL from ``MLOPS_SPARK_REMOTE`` (Databricks Connect included); or classic JVM
  Spark with Delta Lake (engine ``jvm``, needs Java 17; Delta jars come from Maven Central).
- Tables, the feature store and MLflow live under one lakehouse folder (``MLOPS_LAKEHOUSE``,
  default ``<repository>/.lakehouse``).
"""

from __future__ import annotations

import logging
import os
import shutil
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
        return SparkSession.builder.getOrCreate()
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
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # UDF workers use this environment
    # `remote("local[*]")` starts a Spark Connect server on a local JVM, so the code path is
    # the same Spark Connect client as with Sail and Databricks serverless.
    return (
        SparkSession.builder.remote("local[2]")
        .config("spark.jars.packages", DELTA_JVM_PACKAGE)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.warehouse.dir", str(lakehouse_dir() / "spark-warehouse"))
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={lakehouse_dir()}")
        .getOrCreate()
    )


def feature_store_client():
    """`FeatureEngineeringClient` on Databricks; the local Delta-backed implementation elsewhere."""
    if is_databricks():
        from databricks.feature_engineering import FeatureEngineeringClient

        return FeatureEngineeringClient()
    from common.feature_store import LocalFeatureStoreClient

    return LocalFeatureStoreClient(get_spark())


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
    import warnings

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in ("mlflow.pyfunc", "mlflow.models.evaluation", "mlflow.models.flavor_backend_registry"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")


def mlflow_tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{lakehouse_dir() / 'mlflow.db'}"


def set_experiment(name: str):
    """Create the experiment on first use; locally its artifacts go to the lakehouse folder."""
    import mlflow

    configure_mlflow()
    if not is_databricks() and mlflow.get_experiment_by_name(name) is None:
        mlflow.create_experiment(name, artifact_location=(lakehouse_dir() / "mlartifacts").as_uri())
    return mlflow.set_experiment(name)


def get_dbutils():
    """The workspace's `dbutils`, or the local one of the task being run."""
    if is_databricks():
        from pyspark.dbutils import DBUtils  # only on a Databricks runtime

        return DBUtils(get_spark())
    from common import dbutils_local

    return dbutils_local.current()
