from datetime import datetime, timedelta

import pytest

from common import tables
from common.lifecycle.training_set import FeatureLookup
from common.local.feature_store import LocalFeatureStoreClient

T0 = datetime(2026, 1, 1)


def _features(spark, rows):
    return spark.createDataFrame(rows, "customer_id string, ts timestamp, spend double, visits double")


@pytest.fixture
def fs(spark):
    return LocalFeatureStoreClient(spark)


@pytest.fixture
def feature_table(spark, fs, schema):
    name = f"{schema}.features"
    fs.create_table(
        name=name,
        primary_keys=["customer_id", "ts"],
        timeseries_column="ts",
        df=_features(spark, [
            ("a", T0, 1.0, 10.0),
            ("a", T0 + timedelta(days=10), 2.0, 20.0),
            ("a", T0 + timedelta(days=20), 3.0, 30.0),
            ("b", T0 + timedelta(days=5), 7.0, 70.0),
        ]),
        description="test features",
    )
    return name


def test_point_in_time_lookup_never_uses_a_later_feature_row(spark, fs, feature_table):
    spine = spark.createDataFrame(
        [
            ("a", T0 + timedelta(days=15), 1),  # sees day 10, not day 20
            ("a", T0 + timedelta(days=10), 0),  # a row stamped exactly at the label time is usable
            ("a", T0 - timedelta(days=1), 1),  # before any feature row: nothing
            ("b", T0 + timedelta(days=4), 0),  # b's only row is later: nothing
            ("c", T0 + timedelta(days=30), 1),  # unknown key: nothing
        ],
        "customer_id string, label_ts timestamp, label int",
    )
    ts = fs.create_training_set(
        df=spine,
        feature_lookups=[FeatureLookup(table_name=feature_table, lookup_key="customer_id", timestamp_lookup_key="label_ts")],
        label="label",
    )
    rows = {(r.customer_id, r.label_ts): r for r in ts.load_df().collect()}
    assert len(rows) == 5
    assert rows[("a", T0 + timedelta(days=15))].spend == 2.0
    assert rows[("a", T0 + timedelta(days=10))].visits == 20.0
    assert rows[("a", T0 - timedelta(days=1))].spend is None
    assert rows[("b", T0 + timedelta(days=4))].spend is None
    assert rows[("c", T0 + timedelta(days=30))].spend is None


def test_point_in_time_lookup_keeps_every_spine_row_duplicates_and_nulls_included(spark, fs, feature_table):
    spine = spark.createDataFrame(
        [
            ("a", T0 + timedelta(days=15), 1),
            ("a", T0 + timedelta(days=15), 0),  # the same key and time twice: two rows, the same features
            (None, T0 + timedelta(days=15), 1),  # no key: no features
            ("a", None, 0),  # no time: no features
        ],
        "customer_id string, label_ts timestamp, label int",
    )
    ts = fs.create_training_set(
        df=spine,
        feature_lookups=[FeatureLookup(table_name=feature_table, lookup_key="customer_id", timestamp_lookup_key="label_ts")],
        label="label",
    )
    got = sorted((r.customer_id or "", str(r.label_ts), r.label, r.spend, r.visits) for r in ts.load_df().collect())
    at_15 = str(T0 + timedelta(days=15))
    assert got == [("", at_15, 1, None, None), ("a", at_15, 0, 2.0, 20.0), ("a", at_15, 1, 2.0, 20.0),
                   ("a", "None", 0, None, None)]


def test_lookup_with_renames_lookback_defaults_and_excluded_columns(spark, fs, feature_table):
    spine = spark.createDataFrame([("a", T0 + timedelta(days=25), 1), ("b", T0 + timedelta(days=25), 0)],
                                  "customer_id string, label_ts timestamp, label int")
    ts = fs.create_training_set(
        df=spine,
        feature_lookups=[FeatureLookup(
            table_name=feature_table, lookup_key="customer_id", timestamp_lookup_key="label_ts",
            feature_names=["spend"], rename_outputs={"spend": "recent_spend"},
            lookback_window=timedelta(days=10), default_values={"recent_spend": -1.0},
        )],
        label="label",
        exclude_columns=["label_ts"],
    )
    df = ts.load_df()
    assert sorted(df.columns) == ["customer_id", "label", "recent_spend"]
    got = {r.customer_id: r.recent_spend for r in df.collect()}
    assert got == {"a": 3.0, "b": -1.0}  # b's day-5 row is older than the 10-day window


def test_lookup_without_timestamp_takes_the_latest_row(spark, fs, feature_table):
    spine = spark.createDataFrame([("a",), ("b",)], "customer_id string")
    got = fs.create_training_set(
        df=spine, feature_lookups=[FeatureLookup(table_name=feature_table, lookup_key="customer_id")], label=None
    ).load_df()
    assert {r.customer_id: r.spend for r in got.collect()} == {"a": 3.0, "b": 7.0}


def test_write_table_merges_by_primary_key(spark, fs, feature_table):
    fs.write_table(name=feature_table, df=_features(spark, [("a", T0, 100.0, 1.0), ("z", T0, 5.0, 5.0)]))
    fs.write_table(name=feature_table, df=_features(spark, [("a", T0, 100.0, 1.0), ("z", T0, 5.0, 5.0)]))
    df = fs.read_table(name=feature_table)
    assert df.count() == 5
    assert df.filter("customer_id = 'a' AND spend = 100.0").count() == 1


def test_a_feature_added_to_the_written_rows_becomes_a_column_null_where_not_written(spark, fs, feature_table):
    rows = spark.createDataFrame([("b", T0 + timedelta(days=5), 8.0, 80.0, 1.5)],
                                 "customer_id string, ts timestamp, spend double, visits double, tenure double")
    fs.write_table(name=feature_table, df=rows, mode="merge")
    table = fs.read_table(name=feature_table)
    assert table.columns == ["customer_id", "ts", "spend", "visits", "tenure"]
    assert {(r.customer_id, r.spend, r.tenure) for r in table.collect()} == {
        ("a", 1.0, None), ("a", 2.0, None), ("a", 3.0, None), ("b", 8.0, 1.5)}


def test_duplicate_keys_in_written_rows_are_refused_and_change_nothing(spark, fs, feature_table):
    before = fs.read_table(name=feature_table).count()
    with pytest.raises(ValueError, match=r"more than one row for key .*customer_id"):
        fs.write_table(name=feature_table, df=_features(spark, [("q", T0, 1.0, 1.0), ("q", T0, 2.0, 2.0)]))
    assert fs.read_table(name=feature_table).count() == before


def test_create_table_errors_name_the_table(spark, fs, feature_table, schema):
    with pytest.raises(ValueError, match="already exists"):
        fs.create_table(name=feature_table, primary_keys=["customer_id", "ts"], df=_features(spark, []))
    with pytest.raises(ValueError, match="timeseries_column 'ts' .* must be one of primary_keys"):
        fs.create_table(name=f"{schema}.other", primary_keys=["customer_id"], timeseries_column="ts",
                        df=_features(spark, []))
    with pytest.raises(ValueError, match=f"Feature table {schema}.missing does not exist"):
        fs.read_table(name=f"{schema}.missing")
    assert not tables.table_exists(spark, f"{schema}.other")


def test_lookup_errors_name_the_missing_thing(spark, fs, feature_table):
    spine = spark.createDataFrame([("a", T0)], "customer_id string, label_ts timestamp")
    with pytest.raises(ValueError, match="has no feature \\['nope'\\]"):
        fs.create_training_set(df=spine, label=None, feature_lookups=[
            FeatureLookup(table_name=feature_table, lookup_key="customer_id", feature_names=["nope"])])
    with pytest.raises(ValueError, match="no column 'churn'"):
        fs.create_training_set(df=spine, label="churn", feature_lookups=[])
    with pytest.raises(ValueError, match="no column 'when'"):
        fs.create_training_set(df=spine, label=None, feature_lookups=[
            FeatureLookup(table_name=feature_table, lookup_key="customer_id", timestamp_lookup_key="when")])


def test_a_feature_table_dropped_with_sql_is_gone_and_can_be_created_again(spark, fs, feature_table):
    tables.drop_table(spark, feature_table)
    assert not fs.table_exists(feature_table)
    with pytest.raises(ValueError, match=f"Feature table {feature_table} does not exist"):
        fs.get_table(name=feature_table)
    fs.create_table(name=feature_table, primary_keys=["customer_id"],
                    df=spark.createDataFrame([("a", 1.0)], "customer_id string, spend double"))
    assert fs.get_table(name=feature_table).primary_keys == ["customer_id"]
