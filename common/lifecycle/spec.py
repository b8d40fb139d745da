"""ModelSpec: what a project tells the shared lifecycle about one of its models."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

PROBLEMS = ("binary", "multiclass", "regression")


def _as_is(column):
    return column


@dataclass(frozen=True)
class ModelSpec:
    """One model of a project.

    keys: the entity's key columns in the raw (label) table and the feature table.
    timestamp: when a label was observed; features are looked up as they were at that time.
    label: the label column of the raw table.
    problem: "binary", "multiclass" or "regression".
    make_model: (hyperparameters, seed) -> an unfitted scikit-learn style estimator.
    feature_keys: the feature table's key columns, which are no features (keys and its timestamp).
    label_values: raw label column -> the model's label column (e.g. "Yes"/"No" -> 1/0).
    pip_requirements: pinned packages the logged model needs to load.
    skops_trusted_types: types the sklearn flavour may load back (it saves with skops).
    library: the model library's name for messages ("LightGBM").
    segment: the rows of the label and input tables this model is for, as column -> value (e.g.
        {"country": "DE"}); every row when empty.
    training_notes: (hyperparameters, training labels) -> tags that record choices made for this
        training (e.g. how an imbalanced label is handled), set on the run and the model version.
    headline: the holdout metric that sums the model up in reports (default: the problem's first
        of metrics.HEADLINE), e.g. macro "f1_score" where one class dominates.
    key_types: Spark SQL types of the keys and the timestamp in the predictions table, where they
        are not a string and a timestamp (e.g. {"customer_id": "bigint"}): a fresh target creates
        that table before any row is scored (common/lifecycle/predictions.py).
    """

    keys: tuple[str, ...]
    timestamp: str
    label: str
    problem: str
    make_model: Callable[[dict, int], Any]
    feature_keys: tuple[str, ...] = ()
    label_values: Callable = _as_is
    pip_requirements: tuple[str, ...] = ()
    skops_trusted_types: tuple[str, ...] = field(default_factory=tuple)
    library: str = "model"
    segment: Mapping[str, str] = field(default_factory=dict)
    training_notes: Callable[[dict, Any], dict[str, str]] | None = None
    headline: str = ""
    key_types: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.problem not in PROBLEMS:
            raise ValueError(f"ModelSpec.problem must be one of {', '.join(PROBLEMS)}, not {self.problem!r}")
        if not self.keys:
            raise ValueError("ModelSpec.keys needs at least one key column")

    @property
    def is_classifier(self) -> bool:
        return self.problem != "regression"

    @property
    def prediction_keys(self) -> list[str]:
        """What identifies a scored row: the keys and the time of the label."""
        return [*self.keys, self.timestamp]
