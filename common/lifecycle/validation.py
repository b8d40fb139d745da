"""Validate a model version on the held-out rows, against absolute thresholds and the Champion.

Run modes, as in MLOps Stacks: ``disabled`` (no validation, the version may be deployed),
``dry_run`` (validate and record the verdict, but never fail the job), ``enabled`` (a failed
validation fails the job). The verdict is recorded as tags on the model version either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mlflow
from mlflow.models import MetricThreshold
from mlflow.models.evaluation import EvaluationResult
from mlflow.models.evaluation.validation import ModelValidationFailedException

from common import registry, runtime
from common.lifecycle.metrics import HEADLINE, holdout_metrics
from common.lifecycle.settings import ModelSettings
from common.lifecycle.spec import ModelSpec
from common.lifecycle.training_set import build_training_set, feature_columns, split_holdout

RUN_MODES = ("disabled", "dry_run", "enabled")
PASSED, FAILED, SKIPPED = "PASSED", "FAILED", "SKIPPED"


class ModelValidationFailed(RuntimeError):
    pass


@dataclass
class ValidationOutcome:
    model_name: str
    version: str
    mode: str
    status: str
    candidate_metrics: dict[str, float] = field(default_factory=dict)
    champion_version: str | None = None
    champion_metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""


def thresholds_for(settings: ModelSettings, with_champion: bool) -> dict[str, MetricThreshold]:
    """The configured thresholds; the changes relative to a Champion only when there is one."""
    out = {}
    for metric, t in settings.validation.thresholds.items():
        changes = {"min_absolute_change": t.min_absolute_change, "min_relative_change": t.min_relative_change}
        kwargs = {"threshold": t.threshold, "greater_is_better": t.greater_is_better}
        if with_champion:
            kwargs.update(changes)
        if kwargs.get("threshold") is None and not any(kwargs.get(k) is not None for k in changes):
            continue  # a change-only threshold with no Champion to compare against
        out[metric] = MetricThreshold(**kwargs)
    return out


def evaluate_model(spec: ModelSpec, model_uri: str, data, run_name: str) -> EvaluationResult:
    """A registered version's holdout metrics, as training computes them (metrics.holdout_metrics,
    named as mlflow.models.evaluate names them), logged in a nested run named `run_name`; for
    mlflow.validate_evaluation_results. Not mlflow.models.evaluate itself: about 80 % of its time
    goes to drawing curves, which the version's training run logged for the same holdout already."""
    model = mlflow.pyfunc.load_model(registry.evaluation_model_uri(model_uri)).get_raw_model()
    metrics = holdout_metrics(spec, model, data.drop(columns=[spec.label]), data[spec.label])
    with mlflow.start_run(run_name=run_name, nested=True) as run:
        mlflow.log_metrics(metrics)
    return EvaluationResult(metrics=metrics, artifacts={}, run_id=run.info.run_id)


def validate(spark, fe, spec: ModelSpec, settings: ModelSettings, *, model_name: str, version: str,
             raw_table: str, feature_table: str, experiment_name: str, mode: str = "enabled",
             sample_fraction: float = 1.0) -> ValidationOutcome:
    if mode not in RUN_MODES:
        raise ValueError(f"Unknown validation mode {mode!r}; modes: {', '.join(RUN_MODES)}")
    version = str(registry.get_version(model_name, version).version)
    outcome = ValidationOutcome(model_name, version, mode, SKIPPED)
    if mode == "disabled":
        outcome.message = "validation disabled"
        record_verdict(outcome)
        return outcome

    _, pdf = build_training_set(spark, fe, spec, raw_table, feature_table, sample_fraction)
    _, holdout = split_holdout(spec, pdf, settings.holdout_fraction, settings.seed)
    data = holdout[feature_columns(spec, pdf) + [spec.label]]
    champion = registry.version_by_alias(model_name, registry.CHAMPION)
    if champion is not None and str(champion.version) == version:
        champion = None  # re-validating the Champion itself: absolute thresholds only

    runtime.set_experiment(experiment_name)
    with mlflow.start_run(run_name=f"validate {model_name} v{version}") as run:
        candidate = evaluate_model(spec, registry.model_uri(model_name, version), data, "candidate")
        baseline = None
        if champion is not None:
            outcome.champion_version = str(champion.version)
            baseline = evaluate_model(spec, registry.model_uri(model_name, champion.version), data, "champion")
            outcome.champion_metrics = reported_metrics(spec, baseline.metrics, settings)
        outcome.candidate_metrics = reported_metrics(spec, candidate.metrics, settings)
        try:
            mlflow.validate_evaluation_results(
                validation_thresholds=thresholds_for(settings, champion is not None),
                candidate_result=candidate,
                baseline_result=baseline,
            )
            outcome.status = PASSED
        except ModelValidationFailedException as failure:
            outcome.status, outcome.message = FAILED, str(failure).strip()
        mlflow.set_tags({"validation_status": outcome.status, "model_version": version})
        outcome_run = run.info.run_id
    record_verdict(outcome, outcome_run)
    if outcome.status == FAILED and mode == "enabled":
        raise ModelValidationFailed(f"{model_name} version {version} failed validation: {outcome.message}")
    return outcome


def reported_metrics(spec: ModelSpec, metrics: dict, settings: ModelSettings) -> dict[str, float]:
    """The evaluation metrics worth reporting: the thresholded ones and the problem's headline, rounded."""
    names = set(settings.validation.thresholds) | set(HEADLINE[spec.problem]) | {spec.headline}
    return {k: round(float(v), 4) for k, v in metrics.items() if k in names}


def record_verdict(outcome: ValidationOutcome, run_id: str | None = None) -> None:
    """The verdict as tags on the model version: status, mode, metrics, the Champion compared with."""
    tags = {"validation_status": outcome.status, "validation_mode": outcome.mode}
    tags.update({f"validation_{k}": v for k, v in outcome.candidate_metrics.items()})
    if outcome.champion_version:
        tags["validation_compared_with"] = outcome.champion_version
    if run_id:
        tags["validation_run_id"] = run_id
    if outcome.message:
        tags["validation_message"] = outcome.message[:4000]
    registry.tag_version(outcome.model_name, outcome.version, tags)
