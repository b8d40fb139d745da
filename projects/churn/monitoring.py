"""Monitor the Champion: compare its predictions with the outcomes once they are known.

Quality (accuracy, F1) and calibration (predicted against observed churn rate) are computed in
Spark, appended to a monitoring table, and checked against the project's thresholds; a miss
asks for a retrain, which the monitoring job's condition task acts on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import functions as F

from common import tables
from projects.churn.features import LABEL
from projects.churn.inference import PREDICTION_KEYS
from projects.churn.settings import Monitoring


@dataclass
class MonitoringResult:
    model_name: str
    model_version: str
    labelled_rows: int
    metrics: dict[str, float]
    retrain: bool
    reasons: list[str] = field(default_factory=list)


def quality_metrics(labelled) -> dict[str, float]:
    """Accuracy, precision, recall, F1 and churn rates from (prediction, churn) pairs, in one pass."""
    p, y = F.col("prediction") >= 0.5, F.col(LABEL) == 1
    counts = labelled.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum((p & y).cast("int")).alias("tp"),
        F.sum((p & ~y).cast("int")).alias("fp"),
        F.sum((~p & y).cast("int")).alias("fn"),
    ).first()
    n, tp, fp, fn = counts.n, counts.tp or 0, counts.fp or 0, counts.fn or 0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "accuracy": (n - fp - fn) / n,
        "precision": precision,
        "recall": recall,
        "f1_score": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "predicted_churn_rate": (tp + fp) / n,
        "observed_churn_rate": (tp + fn) / n,
    }


def check_thresholds(metrics: dict[str, float], limits: Monitoring) -> list[str]:
    reasons = []
    if metrics["accuracy"] < limits.min_accuracy:
        reasons.append(f"accuracy {metrics['accuracy']:.3f} < {limits.min_accuracy}")
    if metrics["f1_score"] < limits.min_f1_score:
        reasons.append(f"f1_score {metrics['f1_score']:.3f} < {limits.min_f1_score}")
    gap = abs(metrics["predicted_churn_rate"] - metrics["observed_churn_rate"])
    if gap > limits.max_churn_rate_gap:
        reasons.append(f"churn rate gap {gap:.3f} > {limits.max_churn_rate_gap}")
    return reasons


def monitor(spark, limits: Monitoring, *, predictions_table: str, labels_table: str,
            monitoring_table: str) -> MonitoringResult:
    predictions = tables.read_table(spark, predictions_table, non_empty=True,
                                    columns=[*PREDICTION_KEYS, "prediction", "model_name", "model_version"])
    labels = tables.read_table(spark, labels_table, columns=[*PREDICTION_KEYS, LABEL]).select(
        *PREDICTION_KEYS, F.col(LABEL).cast("string").isin("Yes", "1").cast("int").alias(LABEL))
    # The latest Champion's predictions, with the outcomes known so far.
    latest = predictions.agg(F.max_by("model_version", "scored_at").alias("version"),
                             F.max_by("model_name", "scored_at").alias("name")).first()
    labelled = predictions.filter(F.col("model_version") == latest.version).join(labels, on=PREDICTION_KEYS)
    rows = labelled.count()
    if rows == 0:
        raise tables.TableContentError(
            f"No prediction in {predictions_table} has a known outcome in {labels_table}: nothing to monitor yet")
    metrics = {k: round(v, 4) for k, v in quality_metrics(labelled).items()}
    reasons = check_thresholds(metrics, limits)
    result = MonitoringResult(latest.name, str(latest.version), rows, metrics, bool(reasons), reasons)
    history = spark.createDataFrame(
        [(result.model_name, result.model_version, result.labelled_rows, *metrics.values(), result.retrain)],
        "model_name string, model_version string, labelled_rows long, "
        + ", ".join(f"{name} double" for name in metrics) + ", retrain boolean",
    ).withColumn("checked_at", F.current_timestamp())
    tables.write_table(spark, history, monitoring_table, mode="append")
    return result
