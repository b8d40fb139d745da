"""The training set: each label of the raw table joined, point in time, to the features its entity
had when the label was observed; and the holdout split, stable across runs and jobs."""

from __future__ import annotations

import hashlib

import pandas as pd
from databricks.feature_engineering import FeatureLookup
from pyspark.sql import functions as F

from common import tables
from common.lifecycle.spec import ModelSpec


def feature_lookups(spec: ModelSpec, feature_table: str) -> list[FeatureLookup]:
    keys = spec.keys[0] if len(spec.keys) == 1 else list(spec.keys)
    return [FeatureLookup(table_name=feature_table, lookup_key=keys, timestamp_lookup_key=spec.timestamp)]


def build_training_set(spark, fe, spec: ModelSpec, raw_table: str, feature_table: str):
    """The feature store's training set and its rows in pandas, sorted by the keys."""
    raw = tables.read_table(spark, raw_table, columns=[*spec.keys, spec.timestamp, spec.label], non_empty=True)
    spine = raw.select(*spec.keys, spec.timestamp, spec.label_values(F.col(spec.label)).alias(spec.label))
    training_set = fe.create_training_set(df=spine, feature_lookups=feature_lookups(spec, feature_table),
                                          label=spec.label, exclude_columns=[spec.timestamp])
    pdf = training_set.load_df().toPandas().sort_values(list(spec.keys), ignore_index=True)
    return training_set, pdf


def feature_columns(spec: ModelSpec, pdf: pd.DataFrame) -> list[str]:
    """Every column of the training rows but the keys and the label."""
    return [c for c in pdf.columns if c not in (*spec.keys, *spec.feature_keys, spec.label)]


def split_holdout(spec: ModelSpec, pdf: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split by a hash of the entity's keys: stable across runs and jobs, so validation sees the
    same held-out entities that training left out."""
    def bucket(entity: str) -> float:
        return int(hashlib.sha256(f"{seed}:{entity}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF

    entity = pdf[list(spec.keys)].astype(str).agg("|".join, axis=1)
    held_out = entity.map(bucket) < fraction
    return pdf[~held_out].reset_index(drop=True), pdf[held_out].reset_index(drop=True)
