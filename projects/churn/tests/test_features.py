from datetime import datetime

import pytest

from common import tables
from projects.churn.data import RAW_COLUMNS
from projects.churn.features import KEYS, compute_features, write_features

T = datetime(2026, 1, 31)
RAW_SCHEMA = (
    "customer_id string, observed_at timestamp, churn string, female long, senior_citizen long, partner long, "
    "dependents long, tenure long, phone_service long, multiple_lines string, internet_service string, "
    "online_security string, online_backup string, device_protection string, tech_support string, "
    "streaming_tv string, streaming_movies string, contract string, paperless_billing long, "
    "payment_method string, monthly_charges double, total_charges double"
)


def _raw(spark, rows=None):
    rows = rows if rows is not None else [
        ("A", T, "No", 1, 0, 1, 0, 10, 1, "Yes", "Fiber optic", "Yes", "No", "No", "Yes", "No", "No",
         "Two year", 1, "Credit card (automatic)", 80.0, 800.0),
        ("B", T, "Yes", 0, 1, 0, 1, 0, 0, "No phone service", "No", "No internet service", "No internet service",
         "No internet service", "No internet service", "No internet service", "No internet service",
         "Month-to-month", 0, "Electronic check", 20.0, float("nan")),
    ]
    return spark.createDataFrame(rows, RAW_SCHEMA)


def test_features_are_computed_per_customer_and_snapshot(spark):
    out = {r.customer_id: r for r in compute_features(_raw(spark)).collect()}
    a, b = out["A"], out["B"]
    assert a.feature_timestamp == T
    assert (a.contract_months, b.contract_months) == (24.0, 1.0)
    assert (a.service_count, b.service_count) == (4.0, 0.0)  # phone, multiple lines, security, tech support
    assert (a.has_fiber, a.has_internet, b.has_internet) == (1.0, 1.0, 0.0)
    assert (a.average_monthly_charge, b.average_monthly_charge) == (80.0, 20.0)  # tenure 0: the monthly charge
    assert b.total_charges == 0.0  # a missing total is 0, never NaN
    assert (a.pays_automatically, b.pays_by_electronic_check, b.senior_citizen) == (1.0, 1.0, 1.0)


def test_every_feature_is_a_double(spark):
    types = dict(compute_features(_raw(spark)).dtypes)
    assert {t for c, t in types.items() if c not in KEYS} == {"double"}
    assert "churn" not in types  # the label never leaks into the feature table


def test_write_features_creates_the_table_then_merges_idempotently(spark, fe, schema):
    raw, features = f"{schema}.raw", f"{schema}.features"
    tables.write_table(spark, _raw(spark), raw)
    assert write_features(spark, fe, raw, features) == 2
    assert write_features(spark, fe, raw, features) == 2
    df = fe.read_table(name=features)
    assert df.groupBy(*KEYS).count().filter("count > 1").count() == 0
    assert fe.get_table(name=features).primary_keys == KEYS


@pytest.mark.parametrize("problem", ["missing table", "missing column", "no rows"])
def test_bad_raw_input_is_named_and_no_feature_table_is_created(spark, fe, schema, problem):
    raw, features = f"{schema}.raw", f"{schema}.features"
    if problem == "missing column":
        tables.write_table(spark, _raw(spark).drop("contract"), raw)
        expected = rf"Table {raw} has no column 'contract'"
    elif problem == "no rows":
        tables.write_table(spark, _raw(spark, []), raw)
        expected = rf"Table {raw} has no rows"
    else:
        expected = rf"Table {raw} does not exist"
    with pytest.raises(LookupError if problem == "missing table" else ValueError, match=expected):
        write_features(spark, fe, raw, features)
    assert not tables.table_exists(spark, features)


def test_raw_columns_cover_what_the_features_read(spark):
    assert set(_raw(spark).columns) == set(RAW_COLUMNS)
