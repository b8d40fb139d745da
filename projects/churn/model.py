"""The churn model as the shared lifecycle (common/lifecycle/) sees it: a LightGBM classifier of
customers, labelled Yes/No at each snapshot, with point-in-time features from the feature table."""

from __future__ import annotations

import lightgbm
import mlflow
import pandas as pd
import sklearn
from pyspark.sql import Column

from common.lifecycle.spec import ModelSpec
from projects.churn.features import KEYS, LABEL

ID, LABEL_TIME = "customer_id", "observed_at"


def make_model(hyperparameters: dict, seed: int) -> lightgbm.LGBMClassifier:
    return lightgbm.LGBMClassifier(**hyperparameters, random_state=seed, verbose=-1)


def churned(label: Column) -> Column:
    """"Yes" (or 1) -> 1, anything else -> 0."""
    return label.cast("string").isin("Yes", "1").cast("int")


SPEC = ModelSpec(
    keys=(ID,),
    timestamp=LABEL_TIME,
    label=LABEL,
    problem="binary",
    make_model=make_model,
    feature_keys=tuple(KEYS),
    label_values=churned,
    pip_requirements=(
        f"lightgbm=={lightgbm.__version__}",
        f"scikit-learn=={sklearn.__version__}",
        f"pandas=={pd.__version__}",
        f"mlflow=={mlflow.__version__}",
    ),
    # The sklearn flavour saves with skops, which loads only the types it is told to trust.
    skops_trusted_types=("collections.OrderedDict", "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier"),
    library="LightGBM",
)
