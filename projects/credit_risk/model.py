"""The credit risk model as the shared lifecycle (common/lifecycle/) sees it: a LightGBM classifier
of loan applications, labelled bad (1) or good (0) when observed, with point-in-time features from
the feature table. About 28% of the applications are bad: the class weights in config/project.yml
answer that, and every trained version records how (`imbalance_notes`)."""

from __future__ import annotations

from importlib.metadata import version

import lightgbm
import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F

from common.lifecycle.spec import ModelSpec
from projects.credit_risk.data import KEYS, LABEL
from projects.credit_risk.features import KEYS as FEATURE_KEYS

ID, LABEL_TIME = KEYS
# What the logged model needs to load, pinned to the versions it was trained with.
PINNED = ("lightgbm", "scikit-learn", "pandas", "mlflow")


def make_model(hyperparameters: dict, seed: int) -> lightgbm.LGBMClassifier:
    return lightgbm.LGBMClassifier(**hyperparameters, random_state=seed, verbose=-1)


def is_bad(status: Column) -> Column:
    """"bad" -> 1, the class the model looks for; "good" (or anything else) -> 0."""
    return (F.lower(F.trim(status.cast("string"))) == "bad").cast("int")


def imbalance_notes(hyperparameters: dict, labels: pd.Series) -> dict[str, str]:
    """How this training weighed the rarer bad applications, read from the hyperparameters it ran
    with (so a variant that changes them is recorded as it ran), and the bad rate it saw."""
    bad_rate = float(labels.mean())
    weight = hyperparameters.get("class_weight")
    if weight == "balanced":
        ratio = (1 - bad_rate) / bad_rate if bad_rate else float("nan")
        how = (f"class_weight=balanced: a bad application weighs {ratio:.2f} times a good one, so both classes "
               "weigh the same in total; probabilities are re-weighted, not calibrated to the bad rate")
    elif hyperparameters.get("is_unbalance"):
        how = "is_unbalance=true: LightGBM re-weights the classes to balance them"
    elif "scale_pos_weight" in hyperparameters:
        how = f"scale_pos_weight={hyperparameters['scale_pos_weight']}: bad applications weigh that much more"
    elif weight:
        how = f"class_weight={weight}"
    else:
        how = "none: every application weighs the same"
    return {"imbalance_handling": how, "training_bad_rate": f"{bad_rate:.3f}"}


SPEC = ModelSpec(
    # The rows: an application, labelled when observed; the feature table's own keys are no features.
    keys=(ID,), timestamp=LABEL_TIME, feature_keys=tuple(FEATURE_KEYS),
    label=LABEL, label_values=is_bad, problem="binary",
    # The model, and how each training handled the imbalanced label (tags on its run and version).
    make_model=make_model, library="LightGBM", training_notes=imbalance_notes,
    pip_requirements=tuple(f"{name}=={version(name)}" for name in PINNED),
    # The sklearn flavour saves with skops, which loads only the types it is told to trust.
    skops_trusted_types=("collections.OrderedDict", "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier"),
)
