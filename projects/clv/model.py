"""The clv project's models as the shared lifecycle (common/lifecycle/) sees them: two LightGBM
classifiers of a customer at a cut-off, each trained per country, so four registered models.

    repurchase    does the customer buy again within the label horizon? (binary, label repurchased)
    value_bucket  how much: nothing, low or high spend (multiclass, label value_bucket)

A variant names the model and the country, "<model>_<country>" (e.g. "repurchase_de"); spec_for
gives its ModelSpec, whose segment keeps that country's rows of the labels table.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version

import lightgbm
import pandas as pd

from common.lifecycle.spec import ModelSpec
from projects.clv.data import COUNTRIES
from projects.clv.features import KEYS


@dataclass(frozen=True)
class Model:
    label: str
    problem: str
    headline: str = ""


# Value buckets: most customers buy nothing in the window, so accuracy flatters any model that says
# "none"; the macro F1 (each bucket counted alike) is its headline.
MODELS = {"repurchase": Model("repurchased", "binary"),
          "value_bucket": Model("value_bucket", "multiclass", headline="f1_score")}
VARIANTS = tuple(f"{model}_{country.lower()}" for model in MODELS for country in COUNTRIES)
# What a logged model needs to load: these packages pinned to the versions it was trained with.
PINNED = ("lightgbm", "scikit-learn", "pandas", "mlflow")
# The sklearn flavour saves with skops, which loads only the types it is told to trust.
LIGHTGBM_TYPES = ("collections.OrderedDict", "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier")


def make_model(hyperparameters: dict, seed: int) -> lightgbm.LGBMClassifier:
    return lightgbm.LGBMClassifier(**hyperparameters, random_state=seed, verbose=-1)


def label_shares(hyperparameters: dict, labels: pd.Series) -> dict[str, str]:
    """What the training recorded about its imbalanced label: each class's share and the weighting."""
    shares = labels.value_counts(normalize=True).sort_index()
    return {
        "label_shares": ", ".join(f"{value}: {share:.1%}" for value, share in shares.items()),
        "class_weight": str(hyperparameters.get("class_weight") or "none (the classes as they come)"),
    }


def split_variant(variant: str) -> tuple[str, str]:
    """"value_bucket_fr" -> ("value_bucket", "fr"); a clear error naming the known variants."""
    model, _, country = (variant or "").rpartition("_")
    if model not in MODELS or country.upper() not in COUNTRIES or country != country.lower():
        raise ValueError(f"Unknown clv variant {variant!r}: each clv model is trained per country; set the "
                         f"parameter 'variant' to one of: {', '.join(VARIANTS)}")
    return model, country


def spec_for(variant: str) -> ModelSpec:
    model, country = split_variant(variant)
    chosen = MODELS[model]
    return ModelSpec(
        keys=("customer_id",),
        timestamp="cutoff",
        label=chosen.label,
        problem=chosen.problem,
        make_model=make_model,
        feature_keys=tuple(KEYS),
        pip_requirements=tuple(f"{name}=={version(name)}" for name in PINNED),
        skops_trusted_types=LIGHTGBM_TYPES,
        library="LightGBM",
        segment={"country": country.upper()},
        headline=chosen.headline,
        training_notes=label_shares,
    )
