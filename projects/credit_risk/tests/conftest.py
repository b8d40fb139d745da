"""Credit risk fixtures: the generated applications landed, featurised and trained on once per
session. A test that moves aliases or records a verdict registers that one model again under a
name of its own (`registered_copy`), so no test sees another's aliases or tags."""

from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace

import pytest

import conftest
from common.lifecycle.training import train
from projects.credit_risk.data import ingest_raw_data
from projects.credit_risk.features import write_features
from projects.credit_risk.model import SPEC
from projects.credit_risk.settings import load_settings

SNAPSHOT = datetime(2026, 1, 31)
NAMESPACE = "test.credit_risk"
# Validation floors for 500 generated applications (the real data's are in config/project.yml).
SAMPLE_FLOORS = {"roc_auc": 0.6, "precision_recall_auc": 0.4}


@pytest.fixture(scope="session")
def applications(spark, fe):
    """The generated sample in a raw table and a feature table of the session."""
    raw, features = f"{NAMESPACE}.credit_applications", f"{NAMESPACE}.application_features"
    ingest_raw_data(spark, raw, "sample", SNAPSHOT)
    write_features(spark, fe, raw, features)
    return SimpleNamespace(raw=raw, features=features, experiment=f"/tests/{NAMESPACE}")


@pytest.fixture(scope="session")
def sample_settings():
    """The quick variant, with the project's thresholds at floors the small generated sample clears."""
    settings = load_settings("quick")
    thresholds = settings.validation.thresholds
    thresholds.update({name: replace(thresholds[name], threshold=floor) for name, floor in SAMPLE_FLOORS.items()})
    return settings


@pytest.fixture(scope="session")
def trained(spark, fe, applications, sample_settings):
    return train(spark, fe, SPEC, sample_settings, raw_table=applications.raw, feature_table=applications.features,
                 model_name=f"{NAMESPACE}.trained_once", experiment_name=applications.experiment)


@pytest.fixture
def registered_copy(trained, request):
    """The session's trained model registered again, as version 1 of a model named after the test."""
    return conftest.registered_copy(trained, request, f"{NAMESPACE}_models")
