"""Monitor the Champion: compare its predictions with the outcomes once they are known.

The quality metrics of the model's problem type are computed in Spark on every labelled row. Given
the feature table, an Evidently report (common/lifecycle/reports.py) compares a sample of the
scored rows, with their features, to the version's training rows: the share of drifted columns and
which ones. Both are appended to a monitoring table and checked against the project's limits
(settings `monitoring.minimum` / `.maximum`, `drift_share` among them); a miss asks for a retrain,
which the monitoring job's condition task acts on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import functions as F

from common import registry, runtime, table_checks, tables
from common.lifecycle import predictions as table_layout
from common.lifecycle import reports
from common.lifecycle.settings import Monitoring
from common.lifecycle.spec import ModelSpec
from common.lifecycle.training_set import feature_lookups


@dataclass
class MonitoringResult:
    model_name: str
    model_version: str
    labelled_rows: int
    metrics: dict[str, float]
    retrain: bool
    reasons: list[str] = field(default_factory=list)
    report: reports.ReportSummary | None = None


def quality_metrics(spec: ModelSpec, labelled) -> dict[str, float]:
    """The metrics of (prediction, label) pairs, in one pass over them."""
    if spec.problem == "regression":
        error = F.col("prediction") - F.col(spec.label)
        row = labelled.agg(F.sqrt(F.avg(error * error)).alias("rmse"), F.avg(F.abs(error)).alias("mae")).first()
        return {"root_mean_squared_error": float(row.rmse), "mean_absolute_error": float(row.mae)}
    if spec.problem == "multiclass":
        right = (F.col("prediction") == F.col(spec.label)).cast("int")
        return {"accuracy": float(labelled.agg(F.avg(right)).first()[0])}
    p, y = F.col("prediction") >= 0.5, F.col(spec.label) == 1
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
        f"predicted_{spec.label}_rate": (tp + fp) / n,
        f"observed_{spec.label}_rate": (tp + fn) / n,
    }


def check_limits(spec: ModelSpec, metrics: dict[str, float], limits: Monitoring) -> list[str]:
    """One reason per missed limit. A binary model's rate gap (predicted against observed) is derived."""
    values = dict(metrics)
    if spec.problem == "binary":
        values[f"{spec.label}_rate_gap"] = abs(metrics[f"predicted_{spec.label}_rate"]
                                               - metrics[f"observed_{spec.label}_rate"])
    # A limit on a figure not measured this time (drift_share without a report) is not checked.
    reasons = [f"{name} {values[name]:.3f} < {limit}" for name, limit in limits.minimum.items()
               if name in values and values[name] < limit]
    return reasons + [f"{name} {values[name]:.3f} > {limit}" for name, limit in limits.maximum.items()
                      if name in values and values[name] > limit]


def monitor(spark, spec: ModelSpec, limits: Monitoring, *, predictions_table: str, labels_table: str,
            monitoring_table: str, fe=None, feature_table: str = "", experiment_name: str = "") -> MonitoringResult:
    """Check the latest Champion's predictions against the outcomes known so far; with `fe`,
    `feature_table` and `experiment_name`, also report drift and quality against its training rows."""
    if feature_table and not experiment_name:
        raise ValueError(f"A drift report on {feature_table} needs the MLflow experiment to log it to: "
                         "set the parameter 'experiment_name'")
    keys = spec.prediction_keys
    columns = [*keys, "prediction", "model_name", "model_version", table_layout.LABEL]
    latest = tables.read_table(spark, predictions_table, columns=columns, non_empty=True).agg(
        F.max_by("model_version", "scored_at").alias("version"), F.max_by("model_name", "scored_at").alias("name"),
    ).first()
    if feature_table:  # what the report needs, checked before anything is written
        fe.read_table(name=feature_table)
        registry.get_version(latest.name, latest.version)  # its training rows
    # The outcomes known so far go into the predictions table first, where its quality monitor reads them.
    table_layout.record_outcomes(spark, spec, predictions_table, labels_table)
    # The latest Champion's predictions, with the outcomes known so far.
    predictions = tables.read_table(spark, predictions_table, columns=columns)
    labelled = predictions.filter((F.col("model_version") == latest.version) & F.col(table_layout.LABEL).isNotNull()
                                  ).withColumnRenamed(table_layout.LABEL, spec.label)
    rows = labelled.count()
    if rows == 0:
        raise table_checks.TableContentError(
            f"No prediction in {predictions_table} has a known outcome in {labels_table}: nothing to monitor yet")
    metrics = {k: round(v, 4) for k, v in quality_metrics(spec, labelled).items()}
    summary = None
    if feature_table:
        summary = reports.report(spec, latest.name, str(latest.version),
                                 _with_features(spec, fe, labelled, rows, feature_table), experiment_name,
                                 limits.drift, limits.maximum.get("drift_share"))
    # On a workspace the table's quality monitor adds its own drift tests (of prediction and label
    # against the baseline table); on a laptop there is none, and the Evidently report stands alone.
    figures = runtime.quality_monitor_figures(spark, predictions_table, table_layout.MODEL_ID, str(latest.version),
                                              [table_layout.PREDICTION, table_layout.LABEL])
    if figures is not None:
        summary = _with_monitor_figures(summary, figures)
    reasons = check_limits(spec, {**metrics, **({"drift_share": summary.drift_share} if summary else {})}, limits)
    if summary and summary.drifted:  # a drift reason names the columns
        reasons = [f"{r} ({', '.join(summary.drifted)})" if r.startswith("drift_share") else r for r in reasons]
    result = MonitoringResult(latest.name, str(latest.version), rows, metrics, bool(reasons), reasons, summary)
    history = spark.createDataFrame(
        [(result.model_name, result.model_version, result.labelled_rows, *metrics.values(),
          summary.drift_share if summary else None, summary.drifted if summary else None,
          summary.uri if summary else None, result.retrain)],
        "model_name string, model_version string, labelled_rows long, "
        + ", ".join(f"{name} double" for name in metrics)
        # drifted_columns: each drifted column with its test, e.g. {"tenure": "K-S p_value 0.001 (threshold 0.05)"}
        + ", drift_share double, drifted_columns map<string, string>, report string, retrain boolean",
    ).withColumn("checked_at", F.current_timestamp())
    tables.write_table(spark, history, monitoring_table, mode="append")
    return result


def _with_monitor_figures(summary: reports.ReportSummary | None, figures) -> reports.ReportSummary:
    """The Evidently report's figures with the quality monitor's drifted columns added (named as the
    monitor's, e.g. "prediction (quality monitor)"); the monitor's alone when there is no report."""
    if summary is None:
        return reports.ReportSummary(figures.drift_share, figures.drifted, figures.quality, figures.uri)
    summary.drifted.update({f"{column} (quality monitor)": test for column, test in figures.drifted.items()})
    return summary


def _with_features(spec: ModelSpec, fe, labelled, rows: int, feature_table: str):
    """A sample of the labelled predictions (label, prediction) with the features each entity had
    when it was scored, in pandas: the current side of the report."""
    # A sample of about REPORT_ROWS rows from all of them: a limit would take the first rows the
    # engine returns, say the earliest cut-offs, and make unchanged data look drifted.
    sample = labelled.sample(fraction=min(1.0, reports.REPORT_ROWS / rows), seed=0)
    spine = sample.select(*spec.prediction_keys, spec.label, "prediction")
    looked_up = fe.create_training_set(df=spine, feature_lookups=feature_lookups(spec, feature_table),
                                       label=spec.label, exclude_columns=[spec.timestamp])
    return looked_up.load_df().toPandas()
