"""The iris model as the shared lifecycle (common/lifecycle/) sees it: a scikit-learn logistic
regression that tells three species apart, from the flower's features at the time it was measured."""

from __future__ import annotations

import mlflow
import pandas as pd
import sklearn
from pyspark.sql import Column
from pyspark.sql import functions as F
from sklearn.linear_model import LogisticRegression

from common.lifecycle.spec import ModelSpec
from projects.iris.data import SPECIES
from projects.iris.features import KEYS


def make_model(hyperparameters: dict, seed: int) -> LogisticRegression:
    return LogisticRegression(**hyperparameters, random_state=seed)


def species_index(label: Column) -> Column:
    """"setosa" -> 0, "versicolor" -> 1, "virginica" -> 2: predictions are numbers in Delta."""
    index = F.lit(None).cast("int")
    for i, name in reversed(list(enumerate(SPECIES))):
        index = F.when(label == name, i).otherwise(index)
    return index


SPEC = ModelSpec(
    keys=("flower_id",),
    timestamp="observed_at",
    label="species",
    problem="multiclass",
    make_model=make_model,
    feature_keys=tuple(KEYS),
    label_values=species_index,
    pip_requirements=(f"scikit-learn=={sklearn.__version__}", f"pandas=={pd.__version__}",
                      f"mlflow=={mlflow.__version__}"),
    library="scikit-learn LogisticRegression",
)
