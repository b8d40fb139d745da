from datetime import datetime

import pytest

from common import tables
from projects.credit_risk.data import HOME, JOB, MARITAL, RAW_SCHEMA
from projects.credit_risk.features import KEYS, compute_features, write_features

T = datetime(2026, 1, 31)
SCHEMA = ", ".join(f"{name} {kind}" for name, kind in RAW_SCHEMA.items())
APPLICATIONS = [
    # id, observed_at, status, seniority, home, time, age, marital, records, job,
    # expenses, income, assets, debt, amount, price
    ("A", T, "good", 10, "owner", 50, 40, "married", "no", "fixed", 50.0, 200.0, 5000.0, 1000.0, 1000.0, 1250.0),
    ("B", T, "bad", 0, None, 24, 25, "single", "yes", "partime", 60.0, None, None, 0.0, 600.0, 600.0),
]


@pytest.fixture
def features(spark):
    rows = compute_features(spark.createDataFrame(APPLICATIONS, SCHEMA)).collect()
    return {r.application_id: r.asDict() for r in rows}


def test_ratios_of_loan_price_income_and_debt(features):
    a = features["A"]
    assert a["loan_to_price"] == pytest.approx(0.8)
    assert a["monthly_installment"] == pytest.approx(20.0)  # 1000 over 50 months
    assert a["debt_to_income"] == pytest.approx(5.0)
    assert a["expenses_share"] == pytest.approx(0.25)
    assert a["installment_to_income"] == pytest.approx(0.1)
    assert a["disposable_income"] == pytest.approx(130.0)  # 200 - 50 - 20
    assert (a["net_assets"], a["seniority_to_age"], a["income_unknown"]) == (4000.0, 0.25, 0.0)


def test_an_unknown_income_is_flagged_and_its_ratios_are_zero(features):
    b = features["B"]
    assert (b["income"], b["income_unknown"], b["assets"]) == (0.0, 1.0, 0.0)
    assert b["debt_to_income"] == b["expenses_share"] == b["installment_to_income"] == b["disposable_income"] == 0.0
    assert (b["loan_to_price"], b["monthly_installment"]) == (1.0, 25.0)


def test_categories_are_one_hot_and_an_unknown_one_is_all_zeros(features):
    a, b = features["A"], features["B"]
    assert [a[f"home_{v}"] for v in HOME] == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert [b[f"home_{v}"] for v in HOME] == [0.0] * len(HOME)  # home unknown
    assert [b[f"marital_{v}"] for v in MARITAL] == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert [b[f"job_{v}"] for v in JOB] == [0.0, 0.0, 1.0, 0.0]
    assert (a["has_records"], b["has_records"]) == (0.0, 1.0)


def test_every_feature_is_a_double_never_null_and_the_label_stays_out(spark, features):
    types = dict(compute_features(spark.createDataFrame(APPLICATIONS, SCHEMA)).dtypes)
    assert {t for c, t in types.items() if c not in KEYS} == {"double"}
    assert "status" not in types
    assert all(v is not None for row in features.values() for v in row.values())
    assert features["A"]["feature_timestamp"] == T


def test_the_feature_table_is_created_then_merged_and_a_missing_column_is_named(spark, fe, schema):
    raw, table = f"{schema}.applications", f"{schema}.features"
    tables.write_table(spark, spark.createDataFrame(APPLICATIONS, SCHEMA), raw)
    assert write_features(spark, fe, raw, table) == 2
    assert write_features(spark, fe, raw, table) == 2  # a rerun adds no row
    assert fe.get_table(name=table).primary_keys == KEYS
    tables.write_table(spark, tables.read_table(spark, raw).drop("income"), raw)
    with pytest.raises(ValueError, match=rf"Table {raw} has no column 'income'"):
        write_features(spark, fe, raw, table)
