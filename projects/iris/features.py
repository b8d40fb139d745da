"""Flower features: the four measurements and two shapes derived from them, as doubles."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from common import tables
from common.lifecycle.features import write_feature_table
from projects.iris.data import MEASUREMENTS, RAW_KEYS, RAW_SCHEMA

KEYS = ["flower_id", "feature_timestamp"]
# What the features read of the raw table, checked before any is computed (the label is never read).
SOURCE_SCHEMA = {column: kind for column, kind in RAW_SCHEMA.items() if column != "species"}
SOURCE_KEYS = RAW_KEYS


def compute_features(raw: DataFrame) -> DataFrame:
    """One row per flower and snapshot. The petal's area and its length over its width tell the
    three species apart better than any one measurement."""
    petal_length, petal_width = F.col("petal_length").cast("double"), F.col("petal_width").cast("double")
    return raw.select(
        "flower_id",
        F.col("observed_at").alias("feature_timestamp"),
        *(F.col(m).cast("double").alias(m) for m in MEASUREMENTS),
        (petal_length * petal_width).alias("petal_area"),
        (petal_length / F.greatest(petal_width, F.lit(0.1))).alias("petal_elongation"),
    )


def write_features(spark, fe, raw_table: str, feature_table: str) -> int:
    """Compute the features of every raw row and merge them into the feature table; returns its rows."""
    raw = tables.read_table(spark, raw_table, columns=SOURCE_SCHEMA, keys=SOURCE_KEYS, non_empty=True)
    return write_feature_table(spark, fe, compute_features(raw), feature_table, primary_keys=KEYS,
                               timeseries_column="feature_timestamp",
                               description="Iris flower features (projects/iris/features.py).")
