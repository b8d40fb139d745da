"""Holdout metrics and plots for each problem type. The metrics are named as mlflow.models.evaluate
names them, and are what training logs, what validation compares and what its thresholds may name."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd

from common.lifecycle.spec import ModelSpec

# What the lifecycle reports of an evaluation, besides the thresholded metrics.
HEADLINE = {
    "binary": ("roc_auc", "f1_score", "accuracy_score"),
    "multiclass": ("accuracy_score", "f1_score"),
    "regression": ("root_mean_squared_error", "mean_absolute_error", "r2_score"),
}
# holdout_metrics' names for each problem: what a validation threshold may name.
HOLDOUT_METRICS = {
    "binary": ("roc_auc", "precision_recall_auc", "f1_score", "precision_score", "recall_score", "accuracy_score",
               "log_loss"),
    "multiclass": ("accuracy_score", "f1_score", "precision_score", "recall_score", "roc_auc", "log_loss"),
    "regression": ("root_mean_squared_error", "mean_absolute_error", "r2_score"),
}

# Metrics that are not a share between 0 and 1: a limit or threshold on any other must lie in [0, 1].
UNBOUNDED_METRICS = ("log_loss", "root_mean_squared_error", "mean_absolute_error", "r2_score")


def headline(spec: ModelSpec, metrics: dict[str, float], baseline: dict[str, float]) -> str:
    """The model's headline metric against the baseline's, e.g. "roc_auc 0.8347 (baseline 0.5000)"."""
    name = spec.headline or HEADLINE[spec.problem][0]
    return f"{name} {metrics[name]:.4f} (baseline {baseline[name]:.4f})"


def monitored_metrics(spec: ModelSpec) -> list[str]:
    """What monitoring (monitoring.py) measures for this model, and so what its limits may name."""
    if spec.problem == "binary":
        quality = ["accuracy", "precision", "recall", "f1_score", f"predicted_{spec.label}_rate",
                   f"observed_{spec.label}_rate", f"{spec.label}_rate_gap"]
    elif spec.problem == "multiclass":
        quality = ["accuracy"]
    else:
        quality = ["root_mean_squared_error", "mean_absolute_error"]
    # The share of feature columns whose distribution drifted from the training rows (reports.py).
    return [*quality, "drift_share"]


# Evidently's drift methods for numeric columns (every feature column is numeric), which a project's
# `monitoring.drift.method` may name; tests check that Evidently still knows each of them.
DRIFT_METHODS = ("ks", "wasserstein", "psi", "jensenshannon", "kl_div", "hellinger", "anderson",
                 "cramer_von_mises", "ed", "es", "mannw", "empirical_mmd", "t_test")


def holdout_metrics(spec: ModelSpec, model, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    from sklearn import metrics as m

    predicted = model.predict(X)
    if spec.problem == "regression":
        return {
            "root_mean_squared_error": float(np.sqrt(m.mean_squared_error(y, predicted))),
            "mean_absolute_error": float(m.mean_absolute_error(y, predicted)),
            "r2_score": float(m.r2_score(y, predicted)),
        }
    proba = model.predict_proba(X)
    if spec.problem == "binary":
        return {
            "roc_auc": float(m.roc_auc_score(y, proba[:, 1])),
            # Average precision, which mlflow.models.evaluate reports under this name.
            "precision_recall_auc": float(m.average_precision_score(y, proba[:, 1])),
            "f1_score": float(m.f1_score(y, predicted)),
            "precision_score": float(m.precision_score(y, predicted, zero_division=0)),
            "recall_score": float(m.recall_score(y, predicted)),
            "accuracy_score": float(m.accuracy_score(y, predicted)),
            "log_loss": float(m.log_loss(y, proba[:, 1])),
        }
    # Averaged over the classes (macro), not weighted by their size, which a dominant class would make
    # look good; ROC AUC one class against the rest, as mlflow.models.evaluate does.
    return {
        "accuracy_score": float(m.accuracy_score(y, predicted)),
        "f1_score": float(m.f1_score(y, predicted, average="macro")),
        "precision_score": float(m.precision_score(y, predicted, average="macro", zero_division=0)),
        "recall_score": float(m.recall_score(y, predicted, average="macro", zero_division=0)),
        "roc_auc": float(m.roc_auc_score(y, proba, average="macro", multi_class="ovr", labels=model.classes_)),
        "log_loss": float(m.log_loss(y, proba, labels=model.classes_)),
    }


def log_plots(spec: ModelSpec, model, X: pd.DataFrame, y: pd.Series) -> None:
    """ROC curve (binary), confusion matrix (classifiers) or predicted against actual (regression),
    and the feature importance when the model has one, as figures of the active run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay, RocCurveDisplay

    if spec.problem == "binary":
        mlflow.log_figure(RocCurveDisplay.from_estimator(model, X, y).figure_, "plots/roc_curve.png")
    if spec.is_classifier:
        mlflow.log_figure(ConfusionMatrixDisplay.from_estimator(model, X, y).figure_, "plots/confusion_matrix.png")
    else:
        display = PredictionErrorDisplay.from_estimator(model, X, y, kind="actual_vs_predicted")
        mlflow.log_figure(display.figure_, "plots/actual_vs_predicted.png")
    importance = feature_importance(model, list(X.columns))
    if importance is not None:
        fig, ax = plt.subplots(figsize=(7, max(3, len(importance) * 0.25)))
        importance.sort_values().plot.barh(ax=ax, title="Feature importance")
        fig.tight_layout()
        mlflow.log_figure(fig, "plots/feature_importance.png")
    plt.close("all")


def feature_importance(model, columns: list[str]) -> pd.Series | None:
    """Gain for LightGBM, the tree importances or the absolute coefficients otherwise; None if none."""
    if hasattr(model, "booster_"):
        return pd.Series(model.booster_.feature_importance("gain"), index=columns)
    if hasattr(model, "feature_importances_"):
        return pd.Series(model.feature_importances_, index=columns)
    if hasattr(model, "coef_"):
        return pd.Series(np.abs(np.atleast_2d(model.coef_)).sum(axis=0), index=columns)
    return None
