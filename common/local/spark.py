"""Local Spark sessions: a Sail Spark Connect server in this process (the default), or classic JVM
Spark with Delta Lake (needs Java 17 and the full pyspark of requirements-jvm.txt; the Delta jars
come from Maven Central). Both are reached through the Spark Connect client, as Databricks
serverless is."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import sys
import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from common.env import lakehouse_dir

DELTA_JVM_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"

QUIET_RUST_LOG = "error,sail_delta_lake::transaction=off"
_servers: list = []  # keeps the Sail server alive: it shuts down when garbage-collected


def sail_session():
    from pyspark.sql import SparkSession

    return SparkSession.builder.remote(sail_url()).getOrCreate()


@lru_cache(maxsize=1)
def sail_url() -> str:
    """The address of a Sail server started inside this process on a free port; it stops with the process."""
    logging.getLogger("sail").setLevel(logging.WARNING)
    # Errors only, and not a commit that lost to another writer's: common.tables tries it again.
    os.environ.setdefault("RUST_LOG", QUIET_RUST_LOG)
    from pysail.spark import SparkConnectServer

    server = SparkConnectServer(ip="127.0.0.1", port=0)
    server.start(background=True)
    _servers.append(server)
    host, port = server.listening_address
    return f"sc://{host}:{port}"


def classic_pyspark_installed() -> bool:
    """True with the full pyspark (requirements-jvm.txt), False with Spark Connect's client alone
    (`pyspark-client`, requirements-local.txt), which has no JVM side: no `pyspark.core`."""
    return importlib.util.find_spec("pyspark.core") is not None


def jvm_session():
    """Classic Spark with Delta Lake on a local JVM; its console output goes to
    ``<lakehouse>/logs/spark-jvm.log``."""
    missing = []
    if not classic_pyspark_installed():
        missing.append("the full pyspark, with Spark's jars, where this environment has Spark Connect's client "
                       "alone (run `MLOPS_SPARK_ENGINE=jvm ./mlops --help` once: it adds requirements-jvm.txt to .venv)")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        missing.append("Java 17 on PATH or JAVA_HOME")
    if missing:
        raise RuntimeError(f"MLOPS_SPARK_ENGINE=jvm needs {' and '.join(missing)}; the default engine (sail) needs neither")
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
        # Tiny local tables: compiling generated Java for each query costs more than running it
        # interpreted (the iris lifecycle: 15 % less JVM time).
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
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
