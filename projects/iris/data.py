"""Raw flowers: the 150 iris measurements that ship with scikit-learn, one snapshot at a time."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from common import tables

SPECIES = ("setosa", "versicolor", "virginica")
MEASUREMENTS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
# The raw table: its columns with their Spark types (any number where a number is written), and its key.
RAW_SCHEMA = {"flower_id": "string", "observed_at": "timestamp", **dict.fromkeys(MEASUREMENTS, "double"),
              "species": "string"}
RAW_COLUMNS = list(RAW_SCHEMA)
RAW_KEYS = ["flower_id", "observed_at"]


def load_iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris as sklearn_iris

    frame = sklearn_iris(as_frame=True).frame
    frame.columns = [*MEASUREMENTS, "target"]  # "sepal length (cm)" -> sepal_length
    frame.insert(0, "flower_id", [f"F{n:03d}" for n in range(len(frame))])
    frame["species"] = [SPECIES[t] for t in frame.pop("target")]
    return frame


def ingest_raw_data(spark, raw_table: str, observed_at: datetime) -> int:
    """Land the flowers as one snapshot, keyed by flower and snapshot time; a rerun replaces it."""
    pdf = load_iris()
    pdf.insert(1, "observed_at", pd.Timestamp(observed_at))
    tables.merge_into(spark, spark.createDataFrame(pdf[RAW_COLUMNS]), raw_table, RAW_KEYS)
    return len(pdf)
