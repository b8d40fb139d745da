"""FLOOR ONLY: a project's lifecycle doing the same work with no Spark, for lifecycle_benchmark.py.

    MLOPS_LAKEHOUSE=/tmp/floor .venv/bin/python benchmarks/lifecycle_benchmark.py --floor-child churn

Tables are Delta folders written and read with `deltalake`; the point-in-time join is pandas'
`merge_asof`; a project's features, labels and label mapping are re-implemented in pandas
(floor_projects.py). Everything else is the shared lifecycle's own code, called as its tasks call
it: the holdout split, the model factory and hyperparameters, holdout and baseline metrics, plots,
the reference rows, `pip_requirements`, registration and aliases, `evaluate_model` and
`validate_evaluation_results`, the verdict, approval, `deploy`, the monitoring limits and the
Evidently report. Each model's holdout metrics are returned: they must equal the lifecycle's.
"""

from __future__ import annotations

import hashlib
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make common/ and projects/ importable
    sys.path.insert(0, str(ROOT))

import mlflow
import pandas as pd
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from common import registry, runtime, tables
from common.lifecycle import evidently_report, reports
from common.lifecycle.approval import check_approval
from common.lifecycle.deployment import deploy
from common.lifecycle.metrics import holdout_metrics, log_plots
from common.lifecycle.monitoring import check_limits
from common.lifecycle.predictions import LABEL, MODEL_ID, MODEL_NAME, PREDICTION, SCORED_AT
from common.lifecycle.training import baseline_model
from common.lifecycle.training_set import feature_columns, split_holdout
from common.lifecycle.validation import (
    FAILED,
    PASSED,
    ValidationOutcome,
    evaluate_model,
    record_verdict,
    reported_metrics,
    thresholds_for,
)

# --- tables ---------------------------------------------------------------------------------------------

def write(df: pd.DataFrame, name: str, mode: str = "overwrite") -> None:
    write_deltalake(str(tables.location(name)), pa.Table.from_pandas(df, preserve_index=False), mode=mode)


def read(name: str, columns: list[str] | None = None) -> pd.DataFrame:
    return DeltaTable(str(tables.location(name))).to_pandas(columns=columns)


def point_in_time(spine: pd.DataFrame, features: pd.DataFrame, keys: list[str], when: str, feature_time: str):
    """Each spine row with the newest feature row of its keys at or before `when` (a left join)."""
    features = features.rename(columns={feature_time: "__found_at"}).sort_values("__found_at")
    out = pd.merge_asof(spine.sort_values(when), features, left_on=when, right_on="__found_at", by=keys,
                        direction="backward")
    return out.drop(columns=["__found_at"])


# --- one model's lifecycle ------------------------------------------------------------------------------

@dataclass
class FloorModel:
    """One registered model of a project, and the tables its jobs read and write."""

    spec: object  # the project's ModelSpec
    settings: object  # its ModelSettings
    name: str
    labels: str  # the label table: the spine of training and the rows batch inference scores
    features: str
    feature_time: str  # the feature table's timeseries column
    label_values: object  # FLOOR ONLY: spec.label_values in pandas, Series -> Series
    sample_fraction: float = 1.0
    variant: str = ""
    serving_endpoint: str = ""
    experiment: str = ""
    metrics: dict = field(default_factory=dict)

    def table(self, what: str) -> str:
        return f"{self.name}_{what}"


def segment(m: FloorModel, rows: pd.DataFrame) -> pd.DataFrame:
    for column, value in m.spec.segment.items():
        rows = rows[rows[column] == value]
    return rows


def training_rows(m: FloorModel) -> pd.DataFrame:
    """build_training_set's rows: the segment's labels mapped, joined point in time, sampled, sorted."""
    spec = m.spec
    spine = segment(m, read(m.labels, [*spec.keys, spec.timestamp, spec.label, *spec.segment]))
    spine = spine[[*spec.keys, spec.timestamp]].assign(**{spec.label: m.label_values(spine[spec.label])})
    pdf = point_in_time(spine, read(m.features), list(spec.keys), spec.timestamp, m.feature_time)
    pdf = pdf.drop(columns=[spec.timestamp])
    if m.sample_fraction < 1:  # the same stable sample of entities as training_set.py's
        salt = b"sample:"
        buckets = [int(hashlib.sha256(salt + str(e).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
                   for e in pdf[spec.keys[0]]]
        pdf = pdf[pd.Series(buckets, index=pdf.index) < m.sample_fraction]
    order = [*spec.keys, *(c for c in pdf.columns if c not in spec.keys)]
    return pdf.sort_values(order, ignore_index=True)


def train(m: FloorModel) -> str:
    spec, settings = m.spec, m.settings
    pdf = training_rows(m)
    train_rows, holdout = split_holdout(spec, pdf, settings.holdout_fraction)
    features = feature_columns(spec, pdf)
    X, y = train_rows[features], train_rows[spec.label]
    params = dict(settings.training.hyperparameters)
    model = spec.make_model(params, settings.seed).fit(X, y)
    runtime.set_experiment(m.experiment)
    notes = spec.training_notes(params, y) if spec.training_notes else {}
    with mlflow.start_run(run_name="train"):
        mlflow.log_params({**params, "seed": settings.seed, "training_rows": len(X), "holdout_rows": len(holdout),
                           "sample_fraction": m.sample_fraction, **{f"segment_{k}": v for k, v in spec.segment.items()}})
        mlflow.set_tags(notes)
        m.metrics = holdout_metrics(spec, model, holdout[features], holdout[spec.label])
        baseline = holdout_metrics(spec, baseline_model(spec).fit(X, y), holdout[features], holdout[spec.label])
        mlflow.log_metrics({**m.metrics, **{f"baseline_{k}": v for k, v in baseline.items()}})
        log_plots(spec, model, holdout[features], holdout[spec.label])
        reports.log_reference(reports.reference_rows(spec, model, train_rows, features, settings.seed))
        info = mlflow.sklearn.log_model(
            model, name="model", signature=mlflow.models.infer_signature(X, model.predict(X)),
            input_example=X.head(5), pip_requirements=list(spec.pip_requirements),
            skops_trusted_types=list(spec.skops_trusted_types))
    version = registry.register(info.model_uri, m.name, {**notes, **({"variant": m.variant} if m.variant else {})})
    registry.set_alias(m.name, registry.CHALLENGER, version)
    return version


def validate(m: FloorModel, version: str) -> None:
    """The validation task: the training rows built again, the holdout evaluated, the verdict recorded."""
    from mlflow.models.evaluation.validation import ModelValidationFailedException

    spec, settings = m.spec, m.settings
    pdf = training_rows(m)
    _, holdout = split_holdout(spec, pdf, settings.holdout_fraction)
    data = holdout[feature_columns(spec, pdf) + [spec.label]]
    outcome = ValidationOutcome(m.name, version, "dry_run", PASSED)
    champion = registry.version_by_alias(m.name, registry.CHAMPION)
    runtime.set_experiment(m.experiment)
    with mlflow.start_run(run_name=f"validate {m.name} v{version}") as run:
        candidate = evaluate_model(spec, registry.model_uri(m.name, version), data, "candidate")
        baseline = None if champion is None else evaluate_model(
            spec, registry.model_uri(m.name, champion.version), data, "champion")
        outcome.candidate_metrics = reported_metrics(spec, candidate.metrics, settings)
        try:
            mlflow.validate_evaluation_results(thresholds_for(settings, champion is not None), candidate, baseline)
        except ModelValidationFailedException as failure:
            outcome.status, outcome.message = FAILED, str(failure)
        mlflow.set_tags({"validation_status": outcome.status, "model_version": version})
    record_verdict(outcome, run.info.run_id)


def score(m: FloorModel) -> int:
    """Batch inference: the Champion scores every label row, features looked up point in time."""
    spec = m.spec
    champion = registry.version_by_alias(m.name, registry.CHAMPION)
    model = mlflow.pyfunc.load_model(registry.model_uri(m.name, champion.version))
    keys = [*spec.keys, spec.timestamp]
    rows = segment(m, read(m.labels, [*keys, *spec.segment]))[keys]
    joined = point_in_time(rows, read(m.features), list(spec.keys), spec.timestamp, m.feature_time)
    inputs = model.metadata.get_input_schema().input_names()
    if joined[inputs].isna().all(axis=1).any():
        raise ValueError(f"rows of {m.labels} found no features")
    predictions = joined[keys].assign(**{
        PREDICTION: pd.Series(model.predict(joined[inputs]), index=joined.index).astype("float64"),
        LABEL: float("nan"), MODEL_NAME: m.name, MODEL_ID: str(champion.version), SCORED_AT: pd.Timestamp.now(tz="UTC"),
    })
    write(predictions, m.table("predictions"))
    return len(predictions)


def quality_metrics(spec, labelled: pd.DataFrame) -> dict[str, float]:
    """FLOOR ONLY: monitoring.quality_metrics in pandas."""
    p, y = labelled[PREDICTION], labelled[spec.label]
    if spec.problem == "multiclass":
        return {"accuracy": float((p == y).mean())}
    p, y = p >= 0.5, y == 1
    n, tp, fp, fn = len(labelled), int((p & y).sum()), int((p & ~y).sum()), int((~p & y).sum())
    precision, recall = tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0
    return {"accuracy": (n - fp - fn) / n, "precision": precision, "recall": recall,
            "f1_score": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            f"predicted_{spec.label}_rate": (tp + fp) / n, f"observed_{spec.label}_rate": (tp + fn) / n}


def monitor(m: FloorModel) -> list[str]:
    """The monitoring task: outcomes into the predictions, quality metrics, the drift report, limits."""
    spec, limits = m.spec, m.settings.monitoring
    keys = [*spec.keys, spec.timestamp]
    known = read(m.labels, [*keys, spec.label])
    known = known[keys].assign(**{LABEL: m.label_values(known[spec.label]).astype("float64")})
    assert not known.duplicated(keys).any(), f"duplicate outcomes in {m.labels}"
    predictions = read(m.table("predictions")).drop(columns=[LABEL]).merge(known, on=keys, how="left")
    write(predictions, m.table("predictions"))
    latest = predictions.sort_values(SCORED_AT).iloc[-1]
    labelled = predictions[(predictions[MODEL_ID] == latest[MODEL_ID]) & predictions[LABEL].notna()]
    labelled = labelled.rename(columns={LABEL: spec.label})
    metrics = {k: round(v, 4) for k, v in quality_metrics(spec, labelled).items()}
    sample = labelled.sample(frac=min(1.0, reports.REPORT_ROWS / len(labelled)), random_state=0)
    current = point_in_time(sample[[*keys, spec.label, PREDICTION]], read(m.features), list(spec.keys),
                            spec.timestamp, m.feature_time).drop(columns=[spec.timestamp])
    summary = reports.report(spec, m.name, str(latest[MODEL_ID]), current, m.experiment, limits.drift,
                             limits.maximum.get("drift_share"))
    reasons = check_limits(spec, {**metrics, "drift_share": summary.drift_share}, limits)
    history = pd.DataFrame([{MODEL_NAME: m.name, MODEL_ID: str(latest[MODEL_ID]), "labelled_rows": len(labelled),
                             **metrics, "drift_share": summary.drift_share, "report": summary.uri,
                             "retrain": bool(reasons), "checked_at": pd.Timestamp.now(tz="UTC")}])
    write(history, m.table("monitoring"), mode="append")
    return reasons


# --- a project: its tables, then each model through every stage ------------------------------------------

def run_project(project: str) -> dict:
    """Every stage of the project, in the lifecycle's order; each stage's seconds summed over models."""
    from floor_projects import PROJECTS

    steps: dict[str, float] = {}

    @contextmanager
    def step(name):
        began = time.perf_counter()
        yield
        steps[name] = round(steps.get(name, 0.0) + time.perf_counter() - began, 3)

    evidently_report.start_worker()  # as the lifecycle does: Evidently loads on the other core meanwhile
    try:
        models = PROJECTS[project](step)  # ingest, features (and labels): the project's own steps
        for m in models:
            with step("train"):
                version = train(m)
            with step("model_validation"):
                validate(m, version)
            with step("model_deployment"):
                check_approval(m.name, version, required=False)
                assert deploy(m.name, version, serving_endpoint=m.serving_endpoint).promoted, m.name
        for m in models:
            with step("batch_inference"):
                score(m)
        for m in models:
            with step("check_metrics"):
                monitor(m)
    finally:
        evidently_report.stop_worker()
    return {"steps": steps, "holdout_metrics": [{k: round(v, 4) for k, v in m.metrics.items()} for m in models]}

