"""Train the churn classifier from a feature-store training set, log it and make it Challenger."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import lightgbm
import mlflow
import pandas as pd
import sklearn
from databricks.feature_engineering import FeatureLookup
from pyspark.sql import functions as F

from common import registry, runtime, tables
from projects.churn.features import KEYS, LABEL
from projects.churn.settings import ChurnSettings

ID, LABEL_TIME = "customer_id", "observed_at"
PIP_REQUIREMENTS = [
    f"lightgbm=={lightgbm.__version__}",
    f"scikit-learn=={sklearn.__version__}",
    f"pandas=={pd.__version__}",
    f"mlflow=={mlflow.__version__}",
]
# The sklearn flavour saves with skops, which loads only the types it is told to trust.
SKOPS_TRUSTED_TYPES = ["collections.OrderedDict", "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier"]


@dataclass
class TrainingResult:
    model_name: str
    version: str
    run_id: str
    metrics: dict[str, float]


def feature_lookups(feature_table: str) -> list[FeatureLookup]:
    # Point in time: each label sees the customer's features as they were at its timestamp.
    return [FeatureLookup(table_name=feature_table, lookup_key=ID, timestamp_lookup_key=LABEL_TIME)]


def build_training_set(spark, fe, raw_table: str, feature_table: str):
    """The training set (labels from the raw table, features looked up) and its rows in pandas."""
    raw = tables.read_table(spark, raw_table, columns=[ID, LABEL_TIME, LABEL], non_empty=True)
    spine = raw.select(ID, LABEL_TIME, (F.col(LABEL).cast("string").isin("Yes", "1")).cast("int").alias(LABEL))
    training_set = fe.create_training_set(
        df=spine, feature_lookups=feature_lookups(feature_table), label=LABEL, exclude_columns=[LABEL_TIME]
    )
    pdf = training_set.load_df().toPandas().sort_values(ID, ignore_index=True)
    return training_set, pdf


def feature_columns(pdf: pd.DataFrame) -> list[str]:
    return [c for c in pdf.columns if c not in (ID, LABEL, *KEYS)]


def split_holdout(pdf: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split by a hash of the customer id: stable across runs and jobs, so validation sees the
    same held-out customers that training left out."""
    def bucket(customer: str) -> float:
        return int(hashlib.sha256(f"{seed}:{customer}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF

    held_out = pdf[ID].map(bucket) < fraction
    return pdf[~held_out].reset_index(drop=True), pdf[held_out].reset_index(drop=True)


def classification_metrics(model, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    from sklearn import metrics as m

    predicted = model.predict(X)
    proba = model.predict_proba(X)[:, 1]
    return {
        "roc_auc": float(m.roc_auc_score(y, proba)),
        "f1_score": float(m.f1_score(y, predicted)),
        "precision_score": float(m.precision_score(y, predicted, zero_division=0)),
        "recall_score": float(m.recall_score(y, predicted)),
        "accuracy_score": float(m.accuracy_score(y, predicted)),
        "log_loss": float(m.log_loss(y, proba)),
    }


def log_plots(model, X: pd.DataFrame, y: pd.Series) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay

    roc = RocCurveDisplay.from_estimator(model, X, y)
    mlflow.log_figure(roc.figure_, "plots/roc_curve.png")
    confusion = ConfusionMatrixDisplay.from_estimator(model, X, y)
    mlflow.log_figure(confusion.figure_, "plots/confusion_matrix.png")
    importance = pd.Series(model.booster_.feature_importance("gain"), index=X.columns).sort_values()
    fig, ax = plt.subplots(figsize=(7, 6))
    importance.plot.barh(ax=ax, title="Feature importance (gain)")
    fig.tight_layout()
    mlflow.log_figure(fig, "plots/feature_importance.png")
    plt.close("all")


def train(spark, fe, settings: ChurnSettings, *, raw_table: str, feature_table: str, model_name: str,
          experiment_name: str) -> TrainingResult:
    training_set, pdf = build_training_set(spark, fe, raw_table, feature_table)
    train_rows, holdout = split_holdout(pdf, settings.holdout_fraction, settings.seed)
    if train_rows[LABEL].nunique() < 2 or holdout.empty:
        raise ValueError(
            f"Training data from {raw_table} needs both churned and retained customers and a non-empty holdout "
            f"(got {len(train_rows)} training rows, {len(holdout)} held out)"
        )
    features = feature_columns(pdf)
    X, y = train_rows[features], train_rows[LABEL]
    params = dict(settings.training.hyperparameters)
    model = lightgbm.LGBMClassifier(**params, random_state=settings.seed, verbose=-1).fit(X, y)

    runtime.set_experiment(experiment_name)
    with mlflow.start_run(run_name="train") as run:
        mlflow.log_params({**params, "seed": settings.seed, "training_rows": len(X), "holdout_rows": len(holdout)})
        metrics = classification_metrics(model, holdout[features], holdout[LABEL])
        mlflow.log_metrics(metrics)
        log_plots(model, holdout[features], holdout[LABEL])
        info = fe.log_model(
            model=model,
            artifact_path="model",
            flavor=mlflow.sklearn,
            training_set=training_set,
            signature=mlflow.models.infer_signature(X, model.predict(X)),
            input_example=X.head(5),
            pip_requirements=PIP_REQUIREMENTS,
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
        )
    # Registered here rather than through log_model: FeatureEngineeringClient returns the ModelInfo
    # of the logged model, which carries no registered version.
    version = registry.register(info.model_uri, model_name)
    registry.set_alias(model_name, registry.CHALLENGER, version)
    return TrainingResult(model_name, version, run.info.run_id, metrics)
