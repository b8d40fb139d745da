"""Labels at each cut-off: what a customer did in the label window [cut-off, cut-off + horizon).

    repurchased   1 if the customer bought anything in the window, else 0
    value_bucket  0 no purchase; 1 low: spent less than HIGH_VALUE dollars; 2 high: HIGH_VALUE or more

One row per customer and cut-off for every customer with a purchase before the cut-off (the same
rows as the feature table), with the customer's `country`, which the models segment on.
"""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from common import tables
from projects.clv.features import KEYS, cutoff_frame, history, read_transactions

# Where low spend ends and high spend begins: the median 90-day spend of returning CDNOW customers
# is 38 to 42 dollars at every quarterly cut-off, so 40 splits them into two classes of about equal
# size (7,659 low and 7,844 high over the four cut-offs) instead of leaving the high class rare.
HIGH_VALUE = 40.0


def parse_horizon(text: str) -> int:
    """"90" -> 90: the label window's length in days, at least one."""
    try:
        days = int(str(text).strip())
    except ValueError:
        days = 0
    if days < 1:
        raise ValueError(f"The label horizon must be a whole number of days, at least 1, not {text!r}")
    return days


def compute_labels(transactions: DataFrame, cutoffs: DataFrame, horizon_days: int) -> DataFrame:
    """keys, country, the purchases and spend in the window, and the two labels."""
    known = history(transactions, cutoffs).select(*KEYS, "country").distinct()
    in_window = (F.col("purchase_date") >= F.col("cutoff_date")) & (
        F.col("purchase_date") < F.date_add(F.col("cutoff_date"), horizon_days))
    window = transactions.join(cutoffs, in_window).groupBy(*KEYS).agg(
        F.count(F.lit(1)).alias("future_purchases"), F.sum("dollars").cast("double").alias("future_spend"))
    labels = known.join(window, on=KEYS, how="left").fillna({"future_purchases": 0, "future_spend": 0.0})
    bought = F.col("future_purchases") > 0
    return labels.select(
        *KEYS, "country", "future_purchases", "future_spend",
        bought.cast("int").alias("repurchased"),
        F.when(~bought, 0).when(F.col("future_spend") < HIGH_VALUE, 1).otherwise(2).alias("value_bucket"),
    )


def check_horizon(transactions: DataFrame, cutoffs: list[date], horizon_days: int, table: str) -> None:
    """Every label window must end by the last purchase the table knows of: a window that runs past
    it would count customers as lapsed who may yet buy."""
    last = transactions.agg(F.max("purchase_date")).first()[0]
    late = [c for c in cutoffs if c + timedelta(days=horizon_days - 1) > last]
    if late:
        raise ValueError(f"The {horizon_days}-day label window of cut-off {late[0]} ends on "
                         f"{late[0] + timedelta(days=horizon_days - 1)}, after the last purchase in {table} "
                         f"({last}); choose earlier cut-offs or a shorter horizon")


def write_labels(spark, transactions_table: str, labels_table: str, cutoffs: list[date], horizon_days: int) -> int:
    """Compute the labels at every cut-off and merge them into the labels table (a rerun on the same
    transactions changes nothing). Returns the table's row count."""
    transactions = read_transactions(spark, transactions_table)
    check_horizon(transactions, cutoffs, horizon_days, transactions_table)
    labels = compute_labels(transactions, cutoff_frame(spark, cutoffs), horizon_days)
    tables.merge_into(spark, labels, labels_table, KEYS)
    return tables.read_table(spark, labels_table).count()
