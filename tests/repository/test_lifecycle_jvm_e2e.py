"""End to end on the second engine: the iris lifecycle on classic Spark with Delta Lake (several
times slower than Sail to start and run, so one small project proves it), in a lakehouse that holds
the raw table already: the ingest job MERGEs into it (no row added) and the rest is created anew.
The raw table is written without Spark (the `deltalake` package), so this test needs no other run.
"""

import os
import shutil

import pandas as pd
import pytest
from deltalake import DeltaTable, write_deltalake

from common.local.spark import classic_pyspark_installed
from projects.iris.data import RAW_COLUMNS, load_iris
from tests.repository.test_lifecycle_e2e import _DEV, _mlops, _models_table, _registry, _table

SCHEMA = f"dev.{_DEV['schemas']['iris']['name']}"
MODEL = f"{SCHEMA}.{_DEV['registered_models']['iris_model']['name']}"


def _jvm():
    """Classic Spark, when Java and the full pyspark are there; .ci/run sets MLOPS_REQUIRE_JVM=1 (with
    which ./mlops installs requirements-jvm.txt), making their absence a failure."""
    ready = (shutil.which("java") is not None and classic_pyspark_installed()) or os.environ.get("MLOPS_REQUIRE_JVM") == "1"
    reason = ("classic Spark needs Java 17 on PATH and the full pyspark (`MLOPS_SPARK_ENGINE=jvm ./mlops --help` "
              "installs it; set MLOPS_REQUIRE_JVM=1 to make this a failure)")
    return pytest.mark.skipif(not ready, reason=reason)


@pytest.mark.e2e
@_jvm()
def test_the_iris_lifecycle_on_classic_spark_merges_into_the_table_it_finds(tmp_path):
    lakehouse = tmp_path / "lakehouse"
    raw = lakehouse / "tables" / SCHEMA.replace(".", "/") / "flowers"
    flowers = load_iris()
    # The snapshot the ingest job lands (its observed_at in the bundle), as a UTC timestamp like Spark's.
    flowers.insert(1, "observed_at", pd.Timestamp("2026-01-31", tz="UTC"))
    write_deltalake(str(raw), flowers[RAW_COLUMNS])

    output = _mlops("jvm", lakehouse, "lifecycle", "iris")
    assert "raw_rows: 150" in output and "check_metrics.retrain: false" in output, output[-3000:]
    assert [e["operation"] for e in DeltaTable(str(raw)).history()][0] == "MERGE"
    assert len(DeltaTable(str(raw)).to_pandas()) == 150  # the same rows: none added
    assert len(_table(lakehouse, f"{SCHEMA}.flower_features")) == 150
    assert len(_table(lakehouse, f"{SCHEMA}.iris_predictions")) == 150
    row = _models_table(output)[MODEL]
    assert row[2:4] == ["1", "Challenger,"] and row[-2] == "150" and float(row[-1]) <= 0.5
    assert str(_registry(lakehouse).get_model_version_by_alias(MODEL, "Champion").version) == "1"
