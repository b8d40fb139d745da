"""Where this process runs, read from the environment alone: on a Databricks runtime or a laptop,
which local Spark engine, where the lakehouse folder is.

A leaf: it imports nothing of the repository, so the seam (common.runtime), tables and the laptop
stand-ins can all ask it without importing each other.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("sail", "jvm")


def is_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def spark_engine() -> str:
    """Which local engine serves Spark: ``sail``, ``jvm`` or ``remote`` (a Spark Connect URL)."""
    if os.environ.get("MLOPS_SPARK_REMOTE"):
        return "remote"
    engine = os.environ.get("MLOPS_SPARK_ENGINE", "sail").lower()
    if engine not in ENGINES:
        raise ValueError(f"MLOPS_SPARK_ENGINE={engine!r} is not an engine; choose one of {', '.join(ENGINES)}")
    return engine


def uses_local_tables() -> bool:
    """True when tables are Delta folders in the lakehouse; False on a workspace and on any remote
    Spark Connect server (Databricks Connect included), whose catalog holds them."""
    return not is_databricks() and spark_engine() != "remote"


def lakehouse_dir() -> Path:
    """The git-ignored folder of local tables, the feature store and MLflow (``MLOPS_LAKEHOUSE``)."""
    path = Path(os.environ.get("MLOPS_LAKEHOUSE") or REPO_ROOT / ".lakehouse").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
