"""Validate a model version on the held-out rows, against absolute thresholds and the Champion.

Run modes, as in MLOps Stacks: ``disabled`` (no validation, the version may be deployed),
``dry_run`` (validate and record the verdict, but never fail the job), ``enabled`` (a failed
validation fails the job). The verdict is recorded as tags on the model version either way, and a
version that validation could not judge (bad input, missing artifacts...) gets the verdict ERROR,
which deployment refuses, whatever the mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
PASSED, FAILED, SKIPPED, ERROR = "PASSED", "FAILED", "SKIPPED", "ERROR"


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


class FeaturesMissing(LookupError):
    """A version needs features that today's training rows no longer have."""


def evaluate_model(spec: ModelSpec, model_uri: str, data, run_name: str) -> EvaluationResult:
    """A registered version's holdout metrics, as training computes them (metrics.holdout_metrics,
    named as mlflow.models.evaluate names them), logged in a nested run named `run_name`; for
    mlflow.validate_evaluation_results. Not mlflow.models.evaluate itself: about 80 % of its time
    goes to drawing curves, which the version's training run logged for the same holdout already.
    Each version is scored on the feature columns of its own signature: a Champion trained before
    a feature was added is scored as it scores in production."""
    loaded = mlflow.pyfunc.load_model(registry.evaluation_model_uri(model_uri))
    schema = loaded.metadata.get_input_schema()
    columns = schema.input_names() if schema is not None else [c for c in data.columns if c != spec.label]
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise FeaturesMissing(f"{model_uri} needs features the training rows no longer have: "
                                  f"{', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}")
    metrics = holdout_metrics(spec, loaded.get_raw_model(), data[columns], data[spec.label])
    with mlflow.start_run(run_name=run_name, nested=True) as run:
        mlflow.log_metrics(metrics)
    return EvaluationResult(metrics=metrics, artifacts={}, run_id=run.info.run_id)


def validate(spark, fe, spec: ModelSpec, settings: ModelSettings, *, model_name: str, version: str,
             raw_table: str, feature_table: str, experiment_name: str, mode: str = "enabled",
             sample_fraction: float = 1.0) -> ValidationOutcome:
    with verdict_on_error(model_name, version, mode) as version:
        if mode not in RUN_MODES:
            raise ValueError(f"Unknown validation mode {mode!r} (job parameter validation_mode); modes: "
                             f"{', '.join(RUN_MODES)}")
        outcome = ValidationOutcome(model_name, version, mode, SKIPPED)
        if mode == "disabled":
            outcome.message = "validation disabled"
            record_verdict(outcome)
        else:
            _judge(spark, fe, spec, settings, outcome, raw_table, feature_table, experiment_name, sample_fraction)
    if outcome.status == FAILED and mode == "enabled":
        raise ModelValidationFailed(f"{model_name} version {version} failed validation: {outcome.message}")
    return outcome


def _judge(spark, fe, spec: ModelSpec, settings: ModelSettings, outcome: ValidationOutcome, raw_table: str,
           feature_table: str, experiment_name: str, sample_fraction: float) -> None:
    """Evaluate the version and the Champion on the holdout, compare, and record the verdict."""
    model_name, version = outcome.model_name, outcome.version
    _, pdf = build_training_set(spark, fe, spec, raw_table, feature_table, sample_fraction)
    _, holdout = split_holdout(spec, pdf, settings.holdout_fraction)
    data = holdout[feature_columns(spec, pdf) + [spec.label]]
    champion = registry.version_by_alias(model_name, registry.CHAMPION)
    if champion is not None and str(champion.version) == version:
        champion = None  # re-validating the Champion itself: absolute thresholds only
    outcome.champion_version = str(champion.version) if champion is not None else None

    runtime.set_experiment(experiment_name)
    with mlflow.start_run(run_name=f"validate {model_name} v{version}") as run:
        candidate = evaluate_model(spec, registry.model_uri(model_name, version), data, "candidate")
        outcome.candidate_metrics = reported_metrics(spec, candidate.metrics, settings)
        baseline, note = None, ""
        if champion is not None:
            try:
                baseline = evaluate_model(spec, registry.model_uri(model_name, champion.version), data, "champion")
                outcome.champion_metrics = reported_metrics(spec, baseline.metrics, settings)
            except FeaturesMissing as why:  # the feature set changed: the Champion could not serve either
                note = f"Champion version {champion.version} not compared: {why}; absolute thresholds only. "
        try:
            mlflow.validate_evaluation_results(
                validation_thresholds=thresholds_for(settings, baseline is not None),
                candidate_result=candidate,
                baseline_result=baseline,
            )
            outcome.status = PASSED
        except ModelValidationFailedException as failure:
            outcome.status = FAILED
            note += str(failure).strip()
        outcome.message = note.strip()
        mlflow.set_tags({"validation_status": outcome.status, "model_version": version})
    record_verdict(outcome, run.info.run_id)


@contextmanager
def verdict_on_error(model_name: str, version: str, mode: str = "") -> Iterator[str]:
    """Whatever keeps validation from judging the version (a bad parameter, a missing table or
    artifact, a Champion that cannot be loaded) is recorded on it as the verdict ERROR, with the
    cause, and raised again: the version never goes on without a verdict. A version that is not
    there is refused first, as itself. Yields the version as the registry spells it."""
    version = str(registry.get_version(model_name, version).version)
    try:
        yield version
    except Exception as error:
        cause = f"{type(error).__name__}: {error}".strip()
        record_verdict(ValidationOutcome(model_name, str(version), mode or "unknown", ERROR,
                                         message=f"validation could not judge this version: {cause}"))
        raise


def reported_metrics(spec: ModelSpec, metrics: dict, settings: ModelSettings) -> dict[str, float]:
    """The evaluation metrics worth reporting: the thresholded ones and the problem's headline, rounded."""
    names = set(settings.validation.thresholds) | set(HEADLINE[spec.problem]) | {spec.headline}
    return {k: round(float(v), 4) for k, v in metrics.items() if k in names}


def record_verdict(outcome: ValidationOutcome, run_id: str | None = None) -> None:
    """The verdict as tags on the model version: status, mode, metrics, the Champion compared with."""
    tags = {"validation_status": outcome.status, "validation_mode": outcome.mode,
            # The Champion when the version was judged: promotion checks it is still the Champion.
            "validation_compared_with": outcome.champion_version or "none",
            "validation_message": outcome.message[:4000], "validation_run_id": run_id or ""}
    tags.update({f"validation_{k}": v for k, v in outcome.candidate_metrics.items()})
    registry.tag_version(outcome.model_name, outcome.version, tags)
