"""The Evidently part of a monitoring report, with no MLflow or Spark: the data drift and quality
presets (with their tests) of scored rows against training rows, saved as HTML, and the headline
figures read back from it. It imports only pandas until a report is made, so that a separate
process can run it (start_worker)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

# Evidently's quality metrics, by the names monitoring uses.
QUALITY_NAMES = {"Accuracy": "accuracy", "Precision": "precision", "Recall": "recall", "F1Score": "f1_score",
                 "RMSE": "root_mean_squared_error", "MAE": "mean_absolute_error"}


# The process that makes reports, once start_worker was called; until then they are made in this one.
worker: ProcessPoolExecutor | None = None


@dataclass
class ReportSummary:
    drift_share: float
    drifted: dict[str, str] = field(default_factory=dict)  # column -> its test, e.g. "K-S p_value 0.001 (threshold 0.05)"
    quality: dict[str, float] = field(default_factory=dict)
    uri: str = ""  # where the HTML report is: runs:/<run id>/reports/monitoring_report.html
    location: str = ""  # the same file in the artifact store (locally a file:// URI a browser opens)


def build_report(problem: str, label: str, reference: pd.DataFrame, current: pd.DataFrame,
                 method: str = "", threshold: float = 0.0, drift_share: float | None = None):
    """Evidently's data drift and quality presets, with their tests, of `current` against `reference`
    (both: the features, the label and the prediction). `method` and `threshold` choose the columns'
    drift test (empty: Evidently picks it per column); above `drift_share` of drifted columns the
    report says the dataset drifted (default: Evidently's 0.5)."""
    from evidently import BinaryClassification, DataDefinition, Dataset, MulticlassClassification, Regression, Report
    from evidently.presets import ClassificationPreset, DataDriftPreset, RegressionPreset

    features = [c for c in reference.columns if c not in (label, "prediction")]
    numerical = [c for c in features if pd.api.types.is_numeric_dtype(reference[c])
                 and not pd.api.types.is_bool_dtype(reference[c])]
    if problem == "regression":
        task, preset = {"regression": [Regression(target=label, prediction="prediction")]}, RegressionPreset()
    else:
        kind = BinaryClassification if problem == "binary" else MulticlassClassification
        task, preset = {"classification": [kind(target=label, prediction_labels="prediction")]}, ClassificationPreset()
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=[c for c in features if c not in numerical],
                                **task)
    drift = DataDriftPreset(columns=features, method=method or None, threshold=threshold or None,
                            **({"drift_share": drift_share} if drift_share is not None else {}))
    report = Report([drift, preset], include_tests=True)
    with _no_unshown_column_widgets():
        return report.run(
            current_data=Dataset.from_pandas(_typed(problem, label, current[reference.columns]), data_definition=definition),
            reference_data=Dataset.from_pandas(_typed(problem, label, reference), data_definition=definition))


@contextmanager
def _no_unshown_column_widgets():
    """The drift preset draws its own table of columns and drops the chart each column's drift test
    draws, which costs about 0.1 s a column in plotly: skip those charts while our report runs."""
    from evidently.metrics.column_statistics import ValueDriftCalculation

    draw = ValueDriftCalculation._render  # noqa: SLF001 - the one chart to skip, put back below
    ValueDriftCalculation._render = lambda self, *args, **kwargs: []  # noqa: SLF001
    try:
        yield
    finally:
        ValueDriftCalculation._render = draw  # noqa: SLF001


def _typed(problem: str, label: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Label and prediction as the same type on both sides: class numbers, or floats for a regressor."""
    rows = rows.copy()
    kind = "float64" if problem == "regression" else "int64"
    rows[[label, "prediction"]] = rows[[label, "prediction"]].astype(kind)
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


def make_report(problem: str, label: str, reference: pd.DataFrame, current: pd.DataFrame, method: str,
                threshold: float, drift_share: float | None, html_path: str) -> ReportSummary:
    """Build the report, save it as HTML at `html_path` and return its headline figures."""
    snapshot = build_report(problem, label, reference, current, method, threshold, drift_share)
    snapshot.save_html(html_path)
    return summarize(snapshot)


def start_worker() -> None:
    """Make later reports in a separate process that imports Evidently now, while this one goes on
    (the local lifecycle starts it first: the import takes about 8 s of a core that is often idle)."""
    global worker
    if worker is None:
        worker = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        worker.submit(_load_evidently)


def stop_worker() -> None:
    global worker
    if worker is not None:
        worker.shutdown()
        worker = None


def _load_evidently() -> None:
    import evidently  # noqa: F401
