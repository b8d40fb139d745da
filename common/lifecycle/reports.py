"""Drift and quality reports of a model version, made with Evidently: the rows it scored (with the
outcomes known so far) against a sample of the rows it was trained on. The report is saved as
HTML in an MLflow run, and its headline figures come back for the monitoring table: the share of
drifted feature columns, each drifted column with its test, and the quality metrics."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import pandas as pd

from common import registry, runtime
from common.lifecycle.spec import ModelSpec

# The training rows (features, label, the model's prediction) that training logs with each version.
REFERENCE_ARTIFACT = "reference/training_rows.parquet"
REPORT_ARTIFACT = "reports/monitoring_report.html"
# Rows on each side of a report: enough for the drift tests, few enough to keep a report to seconds.
REPORT_ROWS = 2000
# Evidently's quality metrics, by the names monitoring uses.
QUALITY_NAMES = {"Accuracy": "accuracy", "Precision": "precision", "Recall": "recall", "F1Score": "f1_score",
                 "RMSE": "root_mean_squared_error", "MAE": "mean_absolute_error"}


@dataclass
class ReportSummary:
    drift_share: float
    drifted: dict[str, str] = field(default_factory=dict)  # column -> its test, e.g. "K-S p_value 0.001 < 0.05"
    quality: dict[str, float] = field(default_factory=dict)
    uri: str = ""  # where the HTML report is: runs:/<run id>/reports/monitoring_report.html


def reference_rows(spec: ModelSpec, model, rows: pd.DataFrame, features: list[str], seed: int) -> pd.DataFrame:
    """A sample of the training rows with the model's prediction, for later reports to compare with."""
    sample = rows.sample(n=min(len(rows), REPORT_ROWS), random_state=seed) if len(rows) else rows
    reference = sample[[*features, spec.label]].reset_index(drop=True)
    reference["prediction"] = model.predict(reference[features])
    return reference


def log_reference(reference: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(REFERENCE_ARTIFACT).name
        reference.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), str(Path(REFERENCE_ARTIFACT).parent))


def load_reference(model_name: str, version: str) -> pd.DataFrame | None:
    """The training rows logged with the version, or None for a version trained before reports existed."""
    run_id = registry.get_version(model_name, version).run_id
    runtime.configure_mlflow()
    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=REFERENCE_ARTIFACT)
    except Exception:  # noqa: BLE001 - any store says "not there" its own way
        return None
    return pd.read_parquet(path)


def build_report(spec: ModelSpec, reference: pd.DataFrame, current: pd.DataFrame):
    """Evidently's data drift and quality presets, with their tests, of `current` against `reference`
    (both: the features, the label and the prediction)."""
    from evidently import BinaryClassification, DataDefinition, Dataset, MulticlassClassification, Regression, Report
    from evidently.presets import ClassificationPreset, DataDriftPreset, RegressionPreset

    features = [c for c in reference.columns if c not in (spec.label, "prediction")]
    numerical = [c for c in features if pd.api.types.is_numeric_dtype(reference[c])
                 and not pd.api.types.is_bool_dtype(reference[c])]
    if spec.problem == "regression":
        task, preset = {"regression": [Regression(target=spec.label, prediction="prediction")]}, RegressionPreset()
    else:
        kind = BinaryClassification if spec.problem == "binary" else MulticlassClassification
        task, preset = {"classification": [kind(target=spec.label, prediction_labels="prediction")]}, ClassificationPreset()
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=[c for c in features if c not in numerical],
                                **task)
    report = Report([DataDriftPreset(columns=features), preset], include_tests=True)
    return report.run(current_data=Dataset.from_pandas(_typed(spec, current[reference.columns]), data_definition=definition),
                      reference_data=Dataset.from_pandas(_typed(spec, reference), data_definition=definition))


def _typed(spec: ModelSpec, rows: pd.DataFrame) -> pd.DataFrame:
    """Label and prediction as the same type on both sides: class numbers, or floats for a regressor."""
    rows = rows.copy()
    kind = "float64" if spec.problem == "regression" else "int64"
    rows[[spec.label, "prediction"]] = rows[[spec.label, "prediction"]].astype(kind)
    return rows


def summarize(snapshot) -> ReportSummary:
    """The headline figures of a report: drifted share, each drifted column with its test, quality."""
    result = snapshot.dict()
    values = {m["id"]: m["value"] for m in result["metrics"]}
    summary = ReportSummary(drift_share=0.0)
    for metric in result["metrics"]:
        kind = metric["config"]["type"].rsplit(":", 1)[-1]
        if kind == "DriftedColumnsCount":
            summary.drift_share = round(float(metric["value"]["share"]), 4)
        elif kind in QUALITY_NAMES and not isinstance(metric["value"], dict):
            summary.quality[QUALITY_NAMES[kind]] = round(float(metric["value"]), 4)
    for test in result["tests"]:
        params = test["metric_config"]["params"]
        if params["type"].endswith(":ValueDrift") and test["status"] == "FAIL":
            score = float(values[test["metric_config"]["metric_id"]])
            summary.drifted[params["column"]] = f"{params['method']} {score:.3g} (threshold {params['threshold']})"
    return summary


def report(spec: ModelSpec, model_name: str, version: str, current: pd.DataFrame,
           experiment_name: str) -> ReportSummary | None:
    """Compare the rows a version scored (with their outcomes) with its training rows; the HTML
    report goes to a run of the project's experiment. None when the version logged no training rows."""
    reference = load_reference(model_name, version)
    if reference is None:
        return None
    if len(current) > REPORT_ROWS:
        current = current.sample(n=REPORT_ROWS, random_state=0)
    missing = [c for c in reference.columns if c not in current.columns]
    if missing:
        raise ValueError(f"The scored rows of {model_name} version {version} lack the columns {missing} its training "
                         "rows have: was the feature table changed since training?")
    snapshot = build_report(spec, reference, current)
    summary = summarize(snapshot)
    runtime.set_experiment(experiment_name)
    with mlflow.start_run(run_name=f"monitor {model_name} v{version}") as run, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(REPORT_ARTIFACT).name
        snapshot.save_html(str(path))
        mlflow.log_artifact(str(path), str(Path(REPORT_ARTIFACT).parent))
        mlflow.log_metrics({"drift_share": summary.drift_share, **summary.quality})
        mlflow.set_tags({"model_name": model_name, "model_version": version,
                         "drifted_columns": ", ".join(summary.drifted) or "none"})
    summary.uri = f"runs:/{run.info.run_id}/{REPORT_ARTIFACT}"
    return summary
