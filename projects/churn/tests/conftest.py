"""Churn fixtures: the generated customer sample landed, featurised and trained on once per session;
each test that needs a model gets that one registered again under a name of its own."""

from dataclasses import dataclass
from datetime import datetime

import pytest

from common.lifecycle.settings import Threshold
from common.lifecycle.training import train
from conftest import registered_copy
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
def shared(spark, fe) -> ChurnTables:
    return churn_tables(spark, fe, "test.churn_shared")


def sample_settings():
    """The quick variant with thresholds the generated sample clears."""
    s = load_settings("quick")
    s.validation.thresholds = {
        "roc_auc": Threshold(threshold=0.6, min_absolute_change=0.001),
        "f1_score": Threshold(threshold=0.3),
    }
    return s


@pytest.fixture
def settings():
    return sample_settings()


@pytest.fixture(scope="session")
def trained_once(spark, fe, shared):
    return train(spark, fe, SPEC, sample_settings(), raw_table=shared.raw, feature_table=shared.features,
                 model_name="test.churn_models.trained_once", experiment_name=shared.experiment)


@pytest.fixture
def trained(trained_once, request):
    """The session's model as version 1 of a model of this test's own (aliases never leak between tests)."""
    return registered_copy(trained_once, request, "test.churn_models")
