"""Customer features: pure functions from raw customer rows to numeric feature columns.

Every feature is a double, so the model's signature accepts what the feature table holds.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from common import tables
from common.lifecycle.features import write_feature_table
from projects.churn.data import RAW_KEYS, RAW_SCHEMA

KEYS = ["customer_id", "feature_timestamp"]
LABEL = "churn"
# What the features read of the raw table, checked before any is computed (the label is never read).
SOURCE_SCHEMA = {column: kind for column, kind in RAW_SCHEMA.items() if column != LABEL}
SOURCE_KEYS = RAW_KEYS
SERVICE_COLUMNS = ["phone_service", "online_security", "online_backup", "device_protection", "tech_support",
                   "streaming_tv", "streaming_movies"]


def _yes(column: str) -> Column:
    """1.0 for 'Yes' or 1, else 0.0 (the raw data mixes both spellings)."""
    c = F.col(column).cast("string")
    return F.when(c.isin("Yes", "1"), 1.0).otherwise(0.0)


def _number(column: str) -> Column:
    c = F.col(column).cast("double")
    return F.when(c.isNull() | F.isnan(c), 0.0).otherwise(c)


def demographic_features(df: DataFrame) -> DataFrame:
    return df.select(
        *KEYS,
        _yes("female").alias("female"),
        _yes("senior_citizen").alias("senior_citizen"),
        _yes("partner").alias("has_partner"),
        _yes("dependents").alias("has_dependents"),
    )


def account_features(df: DataFrame) -> DataFrame:
    contract_months = (
        F.when(F.col("contract") == "Two year", 24.0).when(F.col("contract") == "One year", 12.0).otherwise(1.0)
    )
    return df.select(
        *KEYS,
        _number("tenure").alias("tenure_months"),
        contract_months.alias("contract_months"),
        _yes("paperless_billing").alias("paperless_billing"),
        (F.col("payment_method") == "Electronic check").cast("double").alias("pays_by_electronic_check"),
        F.col("payment_method").contains("automatic").cast("double").alias("pays_automatically"),
    )


def service_features(df: DataFrame) -> DataFrame:
    service_count = sum((_yes(c) for c in SERVICE_COLUMNS), F.lit(0.0)) + _yes("multiple_lines")
    return df.select(
        *KEYS,
        service_count.alias("service_count"),
        (F.col("internet_service") == "Fiber optic").cast("double").alias("has_fiber"),
        (F.col("internet_service") != "No").cast("double").alias("has_internet"),
        _yes("tech_support").alias("has_tech_support"),
        _yes("online_security").alias("has_online_security"),
    )


def billing_features(df: DataFrame) -> DataFrame:
    monthly, total, tenure = _number("monthly_charges"), _number("total_charges"), _number("tenure")
    return df.select(
        *KEYS,
        monthly.alias("monthly_charges"),
        total.alias("total_charges"),
        F.when(tenure > 0, total / tenure).otherwise(monthly).alias("average_monthly_charge"),
    )


FEATURE_GROUPS = (demographic_features, account_features, service_features, billing_features)


def compute_features(raw: DataFrame) -> DataFrame:
    """One row per customer and snapshot: the keys and every feature group joined on them."""
    keyed = raw.withColumn("feature_timestamp", F.col("observed_at"))
    out = None
    for group in FEATURE_GROUPS:
        part = group(keyed)
        out = part if out is None else out.join(part, on=KEYS, how="inner")
    return out


def write_features(spark, fe, raw_table: str, feature_table: str) -> int:
    """Compute features from the raw table and merge them into the feature table.

    Idempotent: a rerun on the same raw rows leaves the table unchanged. Returns its row count.
    """
    raw = tables.read_table(spark, raw_table, columns=SOURCE_SCHEMA, keys=SOURCE_KEYS, non_empty=True)
    return write_feature_table(
        spark, fe, compute_features(raw), feature_table, primary_keys=KEYS, timeseries_column="feature_timestamp",
        description="Telco customer features, one row per customer and snapshot (projects/churn/features.py).")

