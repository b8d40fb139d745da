"""Customer features at each cut-off date, point in time: a customer's features at a cut-off come
only from purchases strictly before it (a purchase on the cut-off day already belongs to the label
window, see labels.py). Pure functions of the transactions DataFrame; every feature is a double.

One feature table, keyed by (customer_id, cutoff) with the cut-off as its timeseries column, so
that the feature store looks each label up at its own cut-off. A customer with no purchase before a
cut-off has no row for it.
"""

from __future__ import annotations

from datetime import date, datetime, time

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from common import tables
from common.lifecycle.features import write_feature_table
from projects.clv import data

KEYS = ["customer_id", "cutoff"]
# What features and labels read of the transactions table, checked before anything is computed.
SOURCE_SCHEMA = data.SCHEMA
SOURCE_KEYS = data.KEYS
RECENT_DAYS = (30, 90)


def parse_cutoffs(text: str) -> list[date]:
    """"1997-07-01,1997-10-01" -> the dates, sorted; a clear error for anything else."""
    days = []
    for part in (p.strip() for p in str(text).split(",")):
        try:
            days.append(date.fromisoformat(part))
        except ValueError:
            raise ValueError(f"Cut-off {part!r} in {text!r} is not a date YYYY-MM-DD; give the cut-offs as "
                             "comma-separated dates, e.g. 1997-07-01,1997-10-01") from None
    if len(set(days)) != len(days):
        raise ValueError(f"Cut-offs {text!r} name a date twice")
    return sorted(days)


def cutoff_frame(spark, cutoffs: list[date]) -> DataFrame:
    """One row per cut-off: `cutoff` (a timestamp, midnight) and `cutoff_date`."""
    if not cutoffs:
        raise ValueError("No cut-off date given")
    rows = [(datetime.combine(c, time()),) for c in cutoffs]
    return spark.createDataFrame(rows, "cutoff timestamp").withColumn("cutoff_date", F.to_date("cutoff"))


def history(transactions: DataFrame, cutoffs: DataFrame) -> DataFrame:
    """Each purchase with every cut-off it happened strictly before, and how many days before."""
    joined = transactions.join(cutoffs, F.col("purchase_date") < F.col("cutoff_date"))
    return joined.withColumn("days_before", F.datediff(F.col("cutoff_date"), F.col("purchase_date")))


def _recent(column: Column | str, days: int, otherwise: float | None) -> Column:
    """`column` for purchases in the `days` before the cut-off, else `otherwise`."""
    value = F.col(column) if isinstance(column, str) else column
    return F.when(F.col("days_before") <= days, value).otherwise(F.lit(otherwise))


def compute_features(transactions: DataFrame, cutoffs: DataFrame) -> DataFrame:
    """One row per customer and cut-off with a purchase before it: recency, frequency, tenure,
    spend, and purchases and spend in the last 30 and 90 days."""
    recent = []
    for days in RECENT_DAYS:
        recent += [F.sum(_recent("dollars", days, 0.0)).alias(f"spend_last_{days}d"),
                   F.count(_recent(F.lit(1), days, None)).cast("double").alias(f"purchases_last_{days}d")]
    return history(transactions, cutoffs).groupBy(*KEYS).agg(
        F.count(F.lit(1)).cast("double").alias("purchases"),
        # lifetimes' "frequency": the days with a purchase after the first one.
        (F.countDistinct("purchase_date") - 1).cast("double").alias("repeat_purchase_days"),
        F.min("days_before").cast("double").alias("recency_days"),
        F.max("days_before").cast("double").alias("tenure_days"),
        F.sum("dollars").cast("double").alias("total_spend"),
        F.avg("dollars").cast("double").alias("mean_spend"),
        F.max("dollars").cast("double").alias("max_spend"),
        F.sum("cds").cast("double").alias("total_cds"),
        *recent,
    )


def read_transactions(spark, transactions_table: str) -> DataFrame:
    return tables.read_table(spark, transactions_table, columns=SOURCE_SCHEMA, keys=SOURCE_KEYS, non_empty=True)


def write_features(spark, fe, transactions_table: str, feature_table: str, cutoffs: list[date]) -> int:
    """Compute the features at every cut-off and merge them into the feature table.

    Idempotent: a rerun on the same transactions leaves the table unchanged. Returns its row count.
    """
    transactions = read_transactions(spark, transactions_table)
    features = compute_features(transactions, cutoff_frame(spark, cutoffs))
    return write_feature_table(
        spark, fe, features, feature_table, primary_keys=KEYS, timeseries_column="cutoff",
        description="CLV features: a customer's purchases strictly before each cut-off (projects/clv/features.py).")
