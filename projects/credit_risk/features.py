"""Application features: pure functions from raw loan applications to numeric feature columns.

Every feature is a double and never null: an unknown amount counts as 0 and an unknown income has a
flag of its own (in the real data it is a strong sign of risk), so the model's signature accepts
what the feature table holds. Each group is a function of the raw DataFrame to named columns of it;
`compute_features` selects them all in one pass, with no join.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from common import tables
from common.lifecycle.features import write_feature_table
from projects.credit_risk.data import HOME, JOB, LABEL, MARITAL, RAW_SCHEMA
from projects.credit_risk.data import KEYS as RAW_KEYS

ID, TIMESTAMP = "application_id", "feature_timestamp"
KEYS = [ID, TIMESTAMP]
# What the features read of the raw table, checked before any is computed (the label is never read).
SOURCE_SCHEMA = {column: kind for column, kind in RAW_SCHEMA.items() if column != LABEL}
SOURCE_KEYS = RAW_KEYS


def _amount(raw: DataFrame, column: str) -> Column:
    """The column as a double; null or NaN (unknown) as 0."""
    c = raw[column].cast("double")
    return F.when(c.isNull() | F.isnan(c), 0.0).otherwise(c)


def _ratio(numerator: Column, denominator: Column) -> Column:
    """numerator / denominator, 0 where the denominator is unknown or not positive."""
    return F.when(denominator > 0, numerator / denominator).otherwise(0.0)


def _one_hot(raw: DataFrame, column: str, values: list[str]) -> dict[str, Column]:
    """`<column>_<value>` is 1.0 for that value; an unknown or unlisted value is 0 in each."""
    return {f"{column}_{v}": F.when(raw[column] == v, 1.0).otherwise(0.0) for v in values}


def applicant_features(raw: DataFrame) -> dict[str, Column]:
    seniority = _amount(raw, "seniority")
    return {
        "age": _amount(raw, "age"),
        "seniority_years": seniority,
        "seniority_to_age": _ratio(seniority, _amount(raw, "age")),
        "has_records": F.when(raw["records"] == "yes", 1.0).otherwise(0.0),
        **_one_hot(raw, "home", HOME),
        **_one_hot(raw, "marital", MARITAL),
        **_one_hot(raw, "job", JOB),
    }


def loan_features(raw: DataFrame) -> dict[str, Column]:
    amount, price, term = _amount(raw, "amount"), _amount(raw, "price"), _amount(raw, "time")
    return {
        "loan_amount": amount,
        "purchase_price": price,
        "term_months": term,
        "loan_to_price": _ratio(amount, price),
        "monthly_installment": _ratio(amount, term),
    }


def finance_features(raw: DataFrame) -> dict[str, Column]:
    income, expenses = _amount(raw, "income"), _amount(raw, "expenses")
    assets, debt = _amount(raw, "assets"), _amount(raw, "debt")
    installment = _ratio(_amount(raw, "amount"), _amount(raw, "time"))
    known = income > 0
    return {
        "income": income,
        "income_unknown": F.when(known, 0.0).otherwise(1.0),
        "expenses": expenses,
        "assets": assets,
        "debt": debt,
        "net_assets": assets - debt,
        "debt_to_income": _ratio(debt, income),
        "expenses_share": _ratio(expenses, income),
        "installment_to_income": _ratio(installment, income),
        "disposable_income": F.when(known, income - expenses - installment).otherwise(0.0),
    }


FEATURE_GROUPS = (applicant_features, loan_features, finance_features)


def compute_features(raw: DataFrame) -> DataFrame:
    """One row per application and snapshot: the keys and every group's features, as doubles."""
    columns = {}
    for group in FEATURE_GROUPS:
        columns.update(group(raw))
    return raw.select(raw[ID], raw["observed_at"].alias(TIMESTAMP),
                      *(column.cast("double").alias(name) for name, column in columns.items()))


def write_features(spark, fe, raw_table: str, feature_table: str) -> int:
    """Compute features from the raw table and create or merge the feature table; returns its row
    count. A rerun on the same raw rows leaves the table unchanged. The label is never read."""
    raw = tables.read_table(spark, raw_table, columns=SOURCE_SCHEMA, keys=SOURCE_KEYS, non_empty=True)
    return write_feature_table(
        spark, fe, compute_features(raw), feature_table, primary_keys=KEYS, timeseries_column=TIMESTAMP,
        description="Loan application features, one row per application and snapshot "
                    "(projects/credit_risk/features.py).")
