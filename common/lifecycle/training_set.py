"""The training set: each label of the raw table joined, point in time, to the features its entity
had when the label was observed; and the holdout split, stable across runs and jobs."""

from __future__ import annotations

import hashlib

import pandas as pd

# The very class that `databricks.feature_engineering` exports, from the module that defines it: that
# package imports its client on import, which needs classic pyspark (py4j, SparkContext), and a laptop
# has Spark Connect's client alone (requirements-local.txt).
from databricks.ml_features.entities.feature_lookup import FeatureLookup
from pyspark.sql import functions as F

from common import tables
from common.lifecycle.spec import ModelSpec


def feature_lookups(spec: ModelSpec, feature_table: str) -> list[FeatureLookup]:
    keys = spec.keys[0] if len(spec.keys) == 1 else list(spec.keys)
    return [FeatureLookup(table_name=feature_table, lookup_key=keys, timestamp_lookup_key=spec.timestamp)]


def segment_rows(spark, spec: ModelSpec, table: str, columns: list[str]):
    """The table's rows of the model's segment (all rows when it has none), non-empty, as `columns`."""
    df = tables.read_table(spark, table, columns=[*columns, *spec.segment], non_empty=True)
    for column, value in spec.segment.items():
        df = df.filter(F.col(column) == value)
    if spec.segment and df.isEmpty():
        chosen = ", ".join(f"{c} = {v!r}" for c, v in spec.segment.items())
        raise tables.TableContentError(f"Table {table} has no row with {chosen}")
    return df.select(*columns)


def build_training_set(spark, fe, spec: ModelSpec, raw_table: str, feature_table: str,
                       sample_fraction: float = 1.0):
    """The feature store's training set and its rows in pandas, sorted by the keys (then the other
    columns): the labels of the model's segment, or of a stable sample of its entities when
    `sample_fraction` < 1."""
    if not 0 < sample_fraction <= 1:
        raise ValueError(f"sample_fraction must be in (0, 1], not {sample_fraction}")
    raw = segment_rows(spark, spec, raw_table, [*spec.keys, spec.timestamp, spec.label])
    spine = raw.select(*spec.keys, spec.timestamp, spec.label_values(F.col(spec.label)).alias(spec.label))
    training_set = fe.create_training_set(df=spine, feature_lookups=feature_lookups(spec, feature_table),
                                          label=spec.label, exclude_columns=[spec.timestamp])
    pdf = training_set.load_df().toPandas()
    if sample_fraction < 1:
        pdf = pdf[_buckets(spec, pdf, "sample") < sample_fraction]
    # Sorted by every column, keys first: an entity with several labels (one per snapshot or
    # cut-off) comes back from Spark in any order, and a model fitted on rows in another order
    # (LightGBM's bagging, for one) is another model.
    order = [*spec.keys, *(c for c in pdf.columns if c not in spec.keys)]
    return training_set, pdf.sort_values(order, ignore_index=True)


def feature_columns(spec: ModelSpec, pdf: pd.DataFrame) -> list[str]:
    """Every column of the training rows but the keys and the label."""
    return [c for c in pdf.columns if c not in (*spec.keys, *spec.feature_keys, spec.label)]


def split_holdout(spec: ModelSpec, pdf: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split by a hash of the entity's keys: stable across runs and jobs, so validation sees the
    same held-out entities that training left out."""
    held_out = _buckets(spec, pdf, str(seed)) < fraction
    return pdf[~held_out].reset_index(drop=True), pdf[held_out].reset_index(drop=True)


def _buckets(spec: ModelSpec, pdf: pd.DataFrame, salt: str) -> pd.Series:
    """Each row's entity (its keys joined by "|") hashed with `salt` to a number in [0, 1], the same
    in every run."""
    entity = pdf[spec.keys[0]].astype(str)
    for key in spec.keys[1:]:
        entity = entity + "|" + pdf[key].astype(str)
    prefix = f"{salt}:".encode()
    return pd.Series([int(hashlib.sha256(prefix + e.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF for e in entity],
                     index=pdf.index, dtype="float64")
