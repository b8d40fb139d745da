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

from common import table_checks, tables
from common.lifecycle.spec import ModelSpec


def feature_lookups(spec: ModelSpec, feature_table: str) -> list[FeatureLookup]:
    keys = spec.keys[0] if len(spec.keys) == 1 else list(spec.keys)
    return [FeatureLookup(table_name=feature_table, lookup_key=keys, timestamp_lookup_key=spec.timestamp)]


def segment_rows(spark, spec: ModelSpec, table: str, columns: list[str]):
    """The table's rows of the model's segment (all rows when it has none), non-empty, as `columns`.
    Each row is one entity at one time: its keys and time are set and no two rows share them; the
    time has the type the point-in-time lookup compares (a timestamp unless the spec says otherwise)."""
    df = tables.read_table(spark, table, columns=[*columns, *spec.segment], non_empty=True)
    typed = {k: spec.key_types[k] for k in spec.prediction_keys if k in spec.key_types and k in columns}
    if spec.timestamp in columns:
        typed.setdefault(spec.timestamp, "timestamp")
    table_checks.require_types(df, typed, f"Table {table}")
    for column, value in spec.segment.items():
        df = df.filter(F.col(column) == value)
    if spec.segment and df.isEmpty():
        chosen = ", ".join(f"{c} = {v!r}" for c, v in spec.segment.items())
        raise table_checks.TableContentError(f"Table {table} has no row with {chosen}")
    table_checks.require_keys(df, [k for k in spec.prediction_keys if k in columns], f"Table {table}")
    return df.select(*columns)


def parse_sample_fraction(text: str) -> float:
    """The job parameter `sample_fraction` ("0.25") as a number in (0, 1], or a message naming it."""
    try:
        fraction = float(str(text).strip())
    except ValueError:
        fraction = float("nan")
    if not 0 < fraction <= 1:
        raise ValueError(f"The parameter sample_fraction must be a number in (0, 1] (the share of the entities to "
                         f"train on; 1 for all), not {text!r}")
    return fraction


# The number of rows left out of a training set for want of a label, in its pandas frame's attrs.
UNLABELLED_ROWS = "unlabelled_rows"


def build_training_set(spark, fe, spec: ModelSpec, raw_table: str, feature_table: str,
                       sample_fraction: float = 1.0):
    """The feature store's training set and its rows in pandas, sorted by the keys (then the other
    columns): the labelled rows of the model's segment, or of a stable sample of its entities when
    `sample_fraction` < 1. A row whose label is null (an outcome not known yet) is left out and
    counted (`pdf.attrs[UNLABELLED_ROWS]`); a label the model has no class for, a feature that is no
    number, or a row that found no features is refused, naming the table and the column."""
    if not 0 < sample_fraction <= 1:
        raise ValueError(f"sample_fraction must be in (0, 1], not {sample_fraction}")
    raw = segment_rows(spark, spec, raw_table, [*spec.keys, spec.timestamp, spec.label])
    spine = raw.select(*spec.keys, spec.timestamp, spec.label_values(F.col(spec.label)).alias(spec.label),
                       F.col(spec.label).alias("__raw_label"))
    unlabelled = _labelled_only(spine, spec, raw_table)
    spine = spine.filter(F.col(spec.label).isNotNull()).drop("__raw_label")
    training_set = fe.create_training_set(df=spine, feature_lookups=feature_lookups(spec, feature_table),
                                          label=spec.label, exclude_columns=[spec.timestamp])
    rows = training_set.load_df()
    _require_numbers(rows, spec, feature_table)
    pdf = rows.toPandas()
    _require_features(pdf, spec, raw_table, feature_table)
    if sample_fraction < 1:
        pdf = pdf[_buckets(spec, pdf, "sample") < sample_fraction]
    # Sorted by every column, keys first: an entity with several labels (one per snapshot or
    # cut-off) comes back from Spark in any order, and a model fitted on rows in another order
    # (LightGBM's bagging, for one) is another model.
    order = [*spec.keys, *(c for c in pdf.columns if c not in spec.keys)]
    pdf = pdf.sort_values(order, ignore_index=True)
    pdf.attrs[UNLABELLED_ROWS] = unlabelled
    return training_set, pdf


def _labelled_only(spine, spec: ModelSpec, raw_table: str) -> int:
    """How many rows have no label (null: not known yet), which training leaves out; refused when
    none has one, or when a label is set but the model has no class for it (spec.label_values gave
    null, e.g. a misspelt class)."""
    counts = spine.agg(F.count(F.lit(1)).alias("rows"),
                       F.sum(F.col("__raw_label").isNull().cast("int")).alias("unknown"),
                       F.sum((F.col("__raw_label").isNotNull() & F.col(spec.label).isNull()).cast("int"))
                       .alias("unmapped")).first()
    rows, unknown, unmapped = counts["rows"], counts["unknown"] or 0, counts["unmapped"] or 0
    where = f"Table {raw_table} column {spec.label}"
    if unmapped:
        examples = [str(r[0]) for r in spine.filter(F.col("__raw_label").isNotNull() & F.col(spec.label).isNull())
                    .select("__raw_label").distinct().limit(3).collect()]
        raise table_checks.TableContentError(f"{where}: {unmapped} of {rows} rows have a label the model has no class "
                                       f"for ({', '.join(map(repr, examples))}); correct them or leave them null")
    if unknown == rows:
        raise table_checks.TableContentError(f"{where}: none of its {rows} rows has a label (all null): nothing to train on")
    return unknown


def _require_numbers(rows, spec: ModelSpec, feature_table: str) -> None:
    """Every feature the model gets is a number (or a boolean), checked on the schema before a row is read."""
    features = {f.name: f.dataType.simpleString() for f in rows.schema.fields
                if f.name not in (*spec.keys, *spec.feature_keys, spec.label)}
    table_checks.require_types(rows, {c: table_checks.NUMBER for c, kind in features.items() if kind != "boolean"},
                         f"Feature table {feature_table}")


def _require_features(pdf: pd.DataFrame, spec: ModelSpec, raw_table: str, feature_table: str) -> None:
    """Every labelled row found features: one with none (an empty feature table, or one behind the
    labels) would be trained on nulls."""
    features = feature_columns(spec, pdf)
    missing = int(pdf[features].isna().all(axis=1).sum()) if features else 0
    if missing:
        raise table_checks.TableContentError(
            f"{missing} of {len(pdf)} labelled rows of {raw_table} found no features in {feature_table} (none of "
            f"{', '.join(features[:5])}{', ...' if len(features) > 5 else ''} at or before their {spec.timestamp}): "
            "is the feature table empty or behind the labels? Run the feature engineering job first")


def feature_columns(spec: ModelSpec, pdf: pd.DataFrame) -> list[str]:
    """Every column of the training rows but the keys and the label."""
    return [c for c in pdf.columns if c not in (*spec.keys, *spec.feature_keys, spec.label)]


# Fixed, whatever the training seed. It is the salt of the default seed's split from when the seed
# chose it, so the Champions trained then keep the holdout they never saw.
HOLDOUT_SALT = "42"


def split_holdout(spec: ModelSpec, pdf: pd.DataFrame, fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split by a hash of the entity's keys alone: stable across runs, jobs and training seeds, so
    validation sees the held-out entities that training left out, and a Champion trained with
    another seed is never scored on rows it was fitted on."""
    held_out = _buckets(spec, pdf, HOLDOUT_SALT) < fraction
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
