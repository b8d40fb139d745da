import hashlib

import pytest

from common import tables
from projects.clv.data import (
    COLUMNS,
    COUNTRIES,
    country_of,
    generate_sample,
    ingest_transactions,
    load_cdnow,
    with_keys_and_country,
)


def test_cdnow_loads_from_the_lifetimes_package_by_path():
    df = load_cdnow()
    assert (len(df), df["customer_id"].nunique()) == (69_659, 23_570)
    assert str(df["purchase_date"].min().date()) == "1997-01-01"
    assert str(df["purchase_date"].max().date()) == "1998-06-30"
    assert list(df.columns) == ["customer_id", "purchase_date", "cds", "dollars"]


def test_the_generated_sample_has_cdnows_shape_and_is_reproducible():
    a, b, cdnow = generate_sample(), generate_sample(), load_cdnow()
    assert a.equals(b)
    assert list(a.columns) == list(cdnow.columns) and list(a.dtypes) == list(cdnow.dtypes)
    first = a.groupby("customer_id")["purchase_date"].min()
    assert str(first.max().date()) < "1997-04-01"  # every customer buys first in 1997's first quarter, as in CDNOW
    assert str(a["purchase_date"].max().date()) <= "1998-06-30"


def test_a_customers_country_is_a_hash_of_the_id_and_does_not_depend_on_the_rows():
    assert [country_of(c) for c in ("00001", "00003")] == ["DE", "FR"]
    assert country_of("00003") == COUNTRIES[int(hashlib.sha256(b"00003").hexdigest()[:8], 16) % 2]
    purchases = load_cdnow()
    landed = with_keys_and_country(purchases)
    shuffled = with_keys_and_country(purchases.sample(frac=1, random_state=3))
    assert landed.equals(shuffled)  # the same keys and countries, whatever the order of the file
    per_customer = landed.groupby("customer_id")["country"].nunique()
    assert per_customer.max() == 1
    share_de = (landed.drop_duplicates("customer_id")["country"] == "DE").mean()
    assert 0.48 < share_de < 0.52


def test_transactions_are_numbered_per_customer_so_identical_purchases_stay_apart():
    landed = with_keys_and_country(load_cdnow())
    assert list(landed.columns) == COLUMNS
    assert not landed.duplicated(["customer_id", "transaction_number"]).any()
    assert landed.duplicated(["customer_id", "purchase_date", "cds", "dollars"]).sum() == 255


def test_ingest_is_idempotent_and_an_unknown_source_is_refused(spark, schema):
    table = f"{schema}.transactions"
    rows = ingest_transactions(spark, table, "sample")
    assert ingest_transactions(spark, table, "sample") == rows
    df = tables.read_table(spark, table)
    assert df.count() == rows and df.columns == COLUMNS
    with pytest.raises(ValueError, match="Unknown transactions source 'csv'; sources: cdnow, sample"):
        ingest_transactions(spark, f"{schema}.other", "csv")
    assert not tables.table_exists(spark, f"{schema}.other")
