"""The local MLflow store: a sqlite file in the lakehouse, copied from an empty store that was
migrated once per environment. Creating one from scratch runs MLflow's whole chain of schema
migrations, about 10 s on 2 cores, in every new lakehouse (each test worker, each fresh run)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path


def ensure_store(db: Path) -> None:
    """Make `db` an empty, current MLflow store unless it exists; its default experiment keeps its
    artifacts in the lakehouse beside it."""
    if db.exists():
        return
    template = _migrated_template()
    partial = db.with_suffix(".partial")
    shutil.copyfile(template, partial)
    with sqlite3.connect(partial) as connection:
        connection.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                           ((db.parent / "mlartifacts" / "0").as_uri(),))
    os.replace(partial, db)  # whole or not at all, should two processes race


def _migrated_template() -> Path:
    """The empty store of this environment's MLflow version, created on first use."""
    import mlflow

    template = Path(sys.prefix) / f"mlflow-{mlflow.__version__}-empty-store.db"
    if not template.exists():
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        with tempfile.TemporaryDirectory() as folder:
            fresh = Path(folder) / "store.db"
            store = SqlAlchemyStore(f"sqlite:///{fresh}", Path(folder).as_uri())
            store.engine.dispose()
            shutil.copyfile(fresh, template.with_suffix(f".{os.getpid()}"))
            os.replace(template.with_suffix(f".{os.getpid()}"), template)
    return template
