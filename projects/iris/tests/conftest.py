"""Iris fixtures: the flowers landed and featurised once per session."""

from datetime import datetime

import pytest

from projects.iris.data import ingest_raw_data
from projects.iris.features import write_features

SNAPSHOT = datetime(2026, 1, 31)


@pytest.fixture(scope="session")
def flowers(spark, fe) -> dict[str, str]:
    names = {"raw": "test.iris.flowers", "features": "test.iris.flower_features"}
    ingest_raw_data(spark, names["raw"], SNAPSHOT)
    write_features(spark, fe, names["raw"], names["features"])
    return names
