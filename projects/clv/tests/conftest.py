"""clv fixtures: the generated transactions landed, featurised and labelled once per session."""

from dataclasses import dataclass
from datetime import date

import pytest

from projects.clv.data import ingest_transactions
from projects.clv.features import write_features
from projects.clv.labels import write_labels

CUTOFFS = [date(1997, 7, 1), date(1997, 10, 1), date(1998, 1, 1), date(1998, 4, 1)]
HORIZON = 90


@dataclass
class ClvTables:
    transactions: str
    features: str
    labels: str
    experiment: str


@pytest.fixture(scope="session")
def shared(spark, fe) -> ClvTables:
    ns = "test.clv_shared"
    t = ClvTables(f"{ns}.transactions", f"{ns}.customer_features", f"{ns}.customer_labels", f"/tests/{ns}")
    ingest_transactions(spark, t.transactions, "sample")
    write_features(spark, fe, t.transactions, t.features, CUTOFFS)
    write_labels(spark, t.transactions, t.labels, CUTOFFS, HORIZON)
    return t
