"""Churn fixtures: the generated customer sample landed, featurised and trained once per session."""

from dataclasses import dataclass
from datetime import datetime

import pytest

from common.lifecycle.settings import Threshold
from common.lifecycle.training import train
from common.runtime import feature_store_client
from projects.churn.data import ingest_raw_data
from projects.churn.features import write_features
from projects.churn.model import SPEC
from projects.churn.settings import load_settings

SNAPSHOT = datetime(2026, 1, 31)


@dataclass
class ChurnTables:
    raw: str
    features: str
    predictions: str
    experiment: str


def churn_tables(spark, fe, namespace: str) -> ChurnTables:
    t = ChurnTables(f"{namespace}.telco_customers", f"{namespace}.customer_features",
                    f"{namespace}.churn_predictions", f"/tests/{namespace}")
    ingest_raw_data(spark, t.raw, "sample", SNAPSHOT)
    write_features(spark, fe, t.raw, t.features)
    return t


@pytest.fixture(scope="session")
def fe(spark):
    return feature_store_client()


@pytest.fixture(scope="session")
def shared(spark, fe) -> ChurnTables:
    return churn_tables(spark, fe, "test.churn_shared")


@pytest.fixture
def settings():
    """The quick variant with thresholds the generated sample clears."""
    s = load_settings("quick")
    s.validation.thresholds = {
        "roc_auc": Threshold(threshold=0.6, min_absolute_change=0.001),
        "f1_score": Threshold(threshold=0.3),
    }
    return s


@pytest.fixture
def trained(spark, fe, shared, settings, request):
    """A model of this test's own (so aliases never leak between tests), trained once."""
    name = "".join(c if c.isalnum() else "_" for c in request.node.name)[:40].lower()
    return train(spark, fe, SPEC, settings, raw_table=shared.raw, feature_table=shared.features,
                 model_name=f"test.churn_models.{name}", experiment_name=shared.experiment)
