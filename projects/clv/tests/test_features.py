"""Point in time: a customer's features at a cut-off see only purchases strictly before it; the
label window starts on the cut-off day itself."""

from datetime import date, datetime

import pytest
from pyspark.sql import functions as F

from common import tables
from projects.clv.features import KEYS, compute_features, cutoff_frame, parse_cutoffs, write_features
from projects.clv.labels import HIGH_VALUE, check_horizon, compute_labels, parse_horizon, write_labels
from projects.clv.tests.conftest import CUTOFFS

JULY, AUGUST = date(1997, 7, 1), date(1997, 8, 1)
SCHEMA = "customer_id string, transaction_number int, purchase_date date, cds int, dollars double, country string"


def _transactions(spark):
    rows = [
        ("A", date(1997, 6, 1), 1, 10.0),   # 30 days before July's cut-off: inside "the last 30 days"
        ("A", date(1997, 6, 20), 2, 20.0),
        ("A", JULY, 5, 100.0),              # ON the cut-off day: a label of July, a feature of August
        ("A", date(1997, 7, 15), 3, 50.0),  # after it
        ("A", date(1997, 8, 15), 1, 7.0),   # after July's label window (30 days): in no July feature or label
        ("B", JULY, 1, 12.0),               # first purchase on the cut-off day: no July row at all
        ("C", date(1997, 5, 1), 1, 15.0),   # bought before, never again
        ("D", date(1997, 1, 10), 1, 5.0),
        ("D", date(1997, 7, 30), 0, 0.0),   # a purchase worth nothing still counts as a repurchase
    ]
    return spark.createDataFrame([(c, i, d, n, v, "DE") for i, (c, d, n, v) in enumerate(rows)], SCHEMA)


def _by_key(df):
    return {(r.customer_id, r.cutoff.date()): r for r in df.collect()}


def test_features_see_only_purchases_strictly_before_the_cutoff(spark):
    features = _by_key(compute_features(_transactions(spark), cutoff_frame(spark, [JULY, AUGUST])))
    assert set(features) == {("A", JULY), ("C", JULY), ("D", JULY), ("A", AUGUST), ("B", AUGUST), ("C", AUGUST),
                             ("D", AUGUST)}  # B had bought nothing before July's cut-off
    a = features["A", JULY]
    assert (a.purchases, a.total_spend, a.max_spend, a.total_cds) == (2.0, 30.0, 20.0, 3.0)  # not 100 nor 50
    assert (a.recency_days, a.tenure_days, a.repeat_purchase_days) == (11.0, 30.0, 1.0)
    assert (a.spend_last_30d, a.purchases_last_30d, a.spend_last_90d) == (30.0, 2.0, 30.0)
    august = features["A", AUGUST]  # the cut-off day's and the later purchase are history by August
    assert (august.purchases, august.total_spend, august.recency_days) == (4.0, 180.0, 17.0)
    assert (august.spend_last_30d, august.purchases_last_30d, august.spend_last_90d) == (50.0, 1.0, 180.0)
    b = features["B", AUGUST]
    assert (b.purchases, b.recency_days, b.tenure_days) == (1.0, 31.0, 31.0)


def test_labels_come_from_the_window_that_starts_on_the_cutoff_day(spark):
    labels = _by_key(compute_labels(_transactions(spark), cutoff_frame(spark, [JULY, AUGUST]), 30))
    a = labels["A", JULY]  # the cut-off day's 100 and the 50 of 15 July; not the 7 of 15 August
    assert (a.future_purchases, a.future_spend, a.repurchased, a.value_bucket, a.country) == (2, 150.0, 1, 2, "DE")
    assert ("B", JULY) not in labels  # no purchase before the cut-off: nothing to predict from
    assert (labels["C", JULY].repurchased, labels["C", JULY].value_bucket) == (0, 0)
    assert (labels["D", JULY].repurchased, labels["D", JULY].value_bucket) == (1, 1)
    assert (labels["A", AUGUST].future_spend, labels["A", AUGUST].value_bucket) == (7.0, 1)
    assert set(labels) == set(_by_key(compute_features(_transactions(spark), cutoff_frame(spark, [JULY, AUGUST]))))


def test_value_buckets_split_at_the_high_value(spark):
    rows = [(c, date(1997, 6, 1), 1, 1.0, "FR") for c in "XYZ"]
    rows += [("X", JULY, 1, HIGH_VALUE - 0.01, "FR"), ("Y", JULY, 1, HIGH_VALUE, "FR")]
    rows = [(c, i, *rest) for i, (c, *rest) in enumerate(rows)]  # a transaction number each
    labels = _by_key(compute_labels(spark.createDataFrame(rows, SCHEMA), cutoff_frame(spark, [JULY]), 30))
    assert [labels[c, JULY].value_bucket for c in "XYZ"] == [1, 2, 0]


def test_features_are_doubles_and_carry_no_label_or_country(spark):
    types = dict(compute_features(_transactions(spark), cutoff_frame(spark, [JULY])).dtypes)
    assert types.pop("customer_id") == "string" and types.pop("cutoff") == "timestamp"
    assert set(types.values()) == {"double"} and len(types) == 12
    assert not {"repurchased", "value_bucket", "future_spend", "country"} & set(types)


def test_cutoffs_and_horizon_are_parsed_with_clear_errors():
    assert parse_cutoffs("1998-01-01, 1997-07-01") == [JULY, date(1998, 1, 1)]
    with pytest.raises(ValueError, match=r"Cut-off '1997-13-01' in '1997-07-01,1997-13-01' is not a date YYYY-MM-DD"):
        parse_cutoffs("1997-07-01,1997-13-01")
    with pytest.raises(ValueError, match="name a date twice"):
        parse_cutoffs("1997-07-01,1997-07-01")
    assert parse_horizon(" 90 ") == 90
    for bad in ("0", "ninety", "1.5"):
        with pytest.raises(ValueError, match=rf"The label horizon must be a whole number of days, at least 1, not '{bad}'"):
            parse_horizon(bad)


def test_a_label_window_past_the_last_purchase_is_refused(spark):
    transactions = _transactions(spark)  # the last purchase is on 15 August 1997
    check_horizon(transactions, [JULY], 46, "t")  # 1 July + 45 days = 15 August
    with pytest.raises(ValueError, match=r"The 47-day label window of cut-off 1997-07-01 ends on 1997-08-16, after "
                                         r"the last purchase in t \(1997-08-15\)"):
        check_horizon(transactions, [JULY], 47, "t")


def test_feature_and_label_tables_are_keyed_by_customer_and_cutoff_and_rerun_unchanged(spark, fe, shared):
    features, labels = fe.read_table(name=shared.features), tables.read_table(spark, shared.labels)
    table = fe.get_table(name=shared.features)
    assert (table.primary_keys, table.timeseries_column) == (KEYS, "cutoff")
    assert features.count() == labels.count() > 0
    assert features.join(labels, on=KEYS, how="left_anti").count() == 0  # the same rows
    assert {r.cutoff for r in labels.select("cutoff").distinct().collect()} == {
        datetime(c.year, c.month, c.day) for c in CUTOFFS}
    assert {r.country for r in labels.select("country").distinct().collect()} == {"DE", "FR"}
    assert labels.groupBy("value_bucket").count().count() == 3
    before = labels.agg(F.sum("future_spend")).first()[0]
    assert write_features(spark, fe, shared.transactions, shared.features, CUTOFFS) == features.count()
    assert write_labels(spark, shared.transactions, shared.labels, CUTOFFS, 90) == labels.count()
    assert tables.read_table(spark, shared.labels).agg(F.sum("future_spend")).first()[0] == pytest.approx(before)


def test_a_missing_or_empty_transactions_table_is_named_and_writes_nothing(spark, fe, schema):
    with pytest.raises(LookupError, match=rf"Table {schema}.transactions does not exist"):
        write_labels(spark, f"{schema}.transactions", f"{schema}.labels", [JULY], 30)
    tables.write_table(spark, _transactions(spark).limit(0), f"{schema}.transactions")
    with pytest.raises(ValueError, match=rf"Table {schema}.transactions has no rows"):
        write_features(spark, fe, f"{schema}.transactions", f"{schema}.features", [JULY])
    tables.write_table(spark, _transactions(spark).drop("country"), f"{schema}.transactions")
    with pytest.raises(ValueError, match=rf"Table {schema}.transactions has no column 'country'"):
        write_labels(spark, f"{schema}.transactions", f"{schema}.labels", [JULY], 30)
    assert not tables.table_exists(spark, f"{schema}.features") and not tables.table_exists(spark, f"{schema}.labels")
