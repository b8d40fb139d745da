"""Drift and quality reports of a model version, made with Evidently: the rows it scored (with the
outcomes known so far) against a sample of the rows it was trained on. The report is saved as
HTML in an MLflow run, and its headline figures come back for the monitoring table: the share of
drifted feature columns, each drifted column with its test, and the quality metrics."""

from __future__ import annotations

import tempfile
from pathlib import Path

import mlflow
import pandas as pd

from common import registry, runtime
from common.lifecycle import evidently_report
from common.lifecycle.evidently_report import ReportSummary
from common.lifecycle.settings import Drift
from common.lifecycle.spec import ModelSpec

# The training rows (features, label, the model's prediction) that training logs with each version.
REFERENCE_ARTIFACT = "reference/training_rows.parquet"
REPORT_ARTIFACT = "reports/monitoring_report.html"
# Rows on each side of a report: enough for the drift tests, few enough to keep a report to seconds.
REPORT_ROWS = 2000


def reference_rows(spec: ModelSpec, model, rows: pd.DataFrame, features: list[str], seed: int) -> pd.DataFrame:
    """A sample of the training rows with the model's prediction, for later reports to compare with."""
    sample = rows.sample(n=min(len(rows), REPORT_ROWS), random_state=seed) if len(rows) else rows
    reference = sample[[*features, spec.label]].reset_index(drop=True)
    reference["prediction"] = model.predict(reference[features])
    # Rows from classic Spark's toPandas carry its query metrics in attrs, which parquet cannot store.
    reference.attrs = {}
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
    except Exception:  # any store says "not there" its own way
        return None
    return pd.read_parquet(path)


def _make_report(spec: ModelSpec, reference: pd.DataFrame, current: pd.DataFrame, drift: Drift,
                 drift_share: float | None, html_path: Path) -> ReportSummary:
    args = (spec.problem, spec.label, reference, current, drift.method, drift.threshold, drift_share, str(html_path))
    if evidently_report.worker is None:
        return evidently_report.make_report(*args)
    return evidently_report.worker.submit(evidently_report.make_report, *args).result()


def report(spec: ModelSpec, model_name: str, version: str, current: pd.DataFrame, experiment_name: str,
           drift: Drift = Drift(), drift_share: float | None = None) -> ReportSummary | None:
    """Compare the rows a version scored (with their outcomes) with its training rows; the HTML
    report goes to a run of the project's experiment. `drift_share`, the project's limit, is the
    share of drifted columns the report calls dataset drift. None when the version logged no
    training rows."""
    reference = load_reference(model_name, version)
    if reference is None:
        return None
    if len(current) > REPORT_ROWS:
        current = current.sample(n=REPORT_ROWS, random_state=0)
    missing = [c for c in reference.columns if c not in current.columns]
    if missing:
        raise ValueError(f"The scored rows of {model_name} version {version} lack the columns {missing} its training "
                         "rows have: was the feature table changed since training?")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(REPORT_ARTIFACT).name
        summary = _make_report(spec, reference, current, drift, drift_share, path)
        runtime.set_experiment(experiment_name)
        with mlflow.start_run(run_name=f"monitor {model_name} v{version}") as run:
            mlflow.log_artifact(str(path), str(Path(REPORT_ARTIFACT).parent))
            mlflow.log_metrics({"drift_share": summary.drift_share, **summary.quality})
            mlflow.set_tags({"model_name": model_name, "model_version": version,
                             "drifted_columns": ", ".join(summary.drifted) or "none"})
    summary.uri = f"runs:/{run.info.run_id}/{REPORT_ARTIFACT}"
    summary.location = f"{run.info.artifact_uri}/{REPORT_ARTIFACT}"
    return summary
