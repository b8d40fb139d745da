"""Raw transactions: the CDNOW purchase log (69,659 transactions of 23,570 customers, 1997-01 to
1998-06, shipped in the `lifetimes` package) or a generated sample of the same shape for tests
that must not depend on it.

CDNOW has no country. Each customer gets one from a hash of their id: the first 8 hex digits of
sha256(customer_id), modulo the number of countries, pick DE or FR. The same customer lands in the
same country in every run, on every machine, whatever the order of the rows; so the DE and FR
models train on disjoint, stable halves of the customers.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from common import tables

SOURCES = ("cdnow", "sample")
COUNTRIES = ("DE", "FR")
# What the transactions table holds: one row per purchase, keyed by customer and the purchase's
# number among that customer's purchases (CDNOW has identical purchases on the same day).
KEYS = ["customer_id", "transaction_number"]
SCHEMA = {"customer_id": "string", "transaction_number": "int", "purchase_date": "date", "cds": "int",
          "dollars": "double", "country": "string"}
COLUMNS = list(SCHEMA)
FIRST_DAY, LAST_DAY = pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30")


def cdnow_path() -> Path:
    """`<lifetimes package>/datasets/CDNOW_master.txt`, found without importing lifetimes (its
    loaders need pkg_resources)."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("The package lifetimes, which ships the CDNOW transactions, is not installed "
                                  "(it is in requirements.txt)")
    return Path(spec.origin).parent / "datasets" / "CDNOW_master.txt"


def load_cdnow(path: Path | None = None) -> pd.DataFrame:
    """The CDNOW file (whitespace separated: customer id, date YYYYMMDD, number of CDs, dollar
    value, under a header line) as customer_id, purchase_date, cds, dollars."""
    path = path or cdnow_path()
    df = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    expected = ["customer_id", "date", "number_of_cds", "dollar_value"]
    if list(df.columns) != expected:
        raise ValueError(f"{path} has the columns {list(df.columns)}, not {expected}")
    return pd.DataFrame({
        "customer_id": df["customer_id"],
        "purchase_date": pd.to_datetime(df["date"], format="%Y%m%d"),
        "cds": df["number_of_cds"].astype("int64"),
        "dollars": df["dollar_value"].astype("float64"),
    })


def generate_sample(customers: int = 600, seed: int = 7) -> pd.DataFrame:
    """CDNOW-like purchases: every customer buys first in 1997's first quarter, as in CDNOW, then
    at a rate of their own until they lapse (a customer who bought recently and often is likelier
    to buy again), each order worth about their own typical spend."""
    rng = np.random.default_rng(seed)
    rows = []
    span = (LAST_DAY - FIRST_DAY).days
    for n in range(customers):
        day = int(rng.integers(0, 90))
        rate = rng.gamma(0.8, 1 / 60)  # purchases per day while active
        lapse = day + rng.exponential(200)  # the day the customer stops buying
        typical = rng.gamma(2.0, 18.0)
        while day <= min(span, lapse):
            cds = 1 + int(rng.poisson(1.2))
            rows.append((f"S{n:05d}", FIRST_DAY + pd.Timedelta(days=day), cds,
                         round(float(typical * cds / 2 * rng.uniform(0.6, 1.4)), 2)))
            day += int(rng.exponential(1 / rate)) + 1
    return pd.DataFrame(rows, columns=["customer_id", "purchase_date", "cds", "dollars"])


def country_of(customer_id: str) -> str:
    """The customer's country: stable, from a hash of the id (see the module's docstring)."""
    digest = hashlib.sha256(customer_id.encode()).hexdigest()
    return COUNTRIES[int(digest[:8], 16) % len(COUNTRIES)]


def with_keys_and_country(purchases: pd.DataFrame) -> pd.DataFrame:
    """The purchases with their transaction number (1, 2, ... per customer by date, then CDs and
    dollars, so that the numbers do not depend on the order of the rows) and their customer's
    country, in the columns of the transactions table."""
    order = ["customer_id", "purchase_date", "cds", "dollars"]
    df = purchases.sort_values(order, kind="stable").reset_index(drop=True)
    df["transaction_number"] = df.groupby("customer_id").cumcount() + 1
    countries = {c: country_of(c) for c in df["customer_id"].unique()}
    df["country"] = df["customer_id"].map(countries)
    df["purchase_date"] = df["purchase_date"].dt.date
    return df[COLUMNS]


def ingest_transactions(spark, transactions_table: str, source: str) -> int:
    """Land the purchases of `source` with their customers' countries in the transactions table.

    A rerun replaces its rows rather than adding them. Returns the number of purchases landed.
    """
    if source not in SOURCES:
        raise ValueError(f"Unknown transactions source {source!r}; sources: {', '.join(SOURCES)}")
    pdf = with_keys_and_country(load_cdnow() if source == "cdnow" else generate_sample())
    df = spark.createDataFrame(pdf, ", ".join(f"{column} {kind}" for column, kind in SCHEMA.items()))
    tables.merge_into(spark, df, transactions_table, KEYS)
    return len(pdf)
