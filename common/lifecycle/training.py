"""Train a project's model on its feature-store training set, log the run and register the
version as Challenger. The registered model's deployment job takes the version from there."""

from __future__ import annotations

from dataclasses import dataclass

import mlflow

from common import registry, runtime
from common.lifecycle import reports
from common.lifecycle.metrics import holdout_metrics, log_plots
from common.lifecycle.settings import ModelSettings
from common.lifecycle.spec import ModelSpec
from common.lifecycle.training_set import UNLABELLED_ROWS, build_training_set, feature_columns, split_holdout

VARIANT_TAG = "variant"
# On each version: the feature table it was trained on, whose columns batch inference checks first.
FEATURE_TABLE_TAG = "feature_table"


@dataclass
class TrainingResult:
    model_name: str
    version: str
    run_id: str
    metrics: dict[str, float]
    baseline: dict[str, float]
    unlabelled_rows: int = 0  # rows of the raw table with no label yet, left out


def train(spark, fe, spec: ModelSpec, settings: ModelSettings, *, raw_table: str, feature_table: str,
          model_name: str, experiment_name: str, sample_fraction: float = 1.0, variant: str = "",
          deployment_job_id: str = "") -> TrainingResult:
    """Fit on the training rows, log the run (parameters, holdout metrics and those of a baseline
    that always predicts the majority class or the mean, plots, the model), register the version
    and make it Challenger. With `deployment_job_id` the registered model is first connected to
    that job, so the new version starts it; the version's tag `variant` tells the job which config
    variant trained it."""
    training_set, pdf = build_training_set(spark, fe, spec, raw_table, feature_table, sample_fraction)
    train_rows, holdout = split_holdout(spec, pdf, settings.holdout_fraction)
    _require_trainable(spec, train_rows, holdout, raw_table)
    features = feature_columns(spec, pdf)
    X, y = train_rows[features], train_rows[spec.label]
    params = dict(settings.training.hyperparameters)
    model = fit(spec, params, settings.seed, X, y, feature_table)

    runtime.set_experiment(experiment_name)
    notes = spec.training_notes(params, y) if spec.training_notes else {}
    with mlflow.start_run(run_name="train") as run:
        mlflow.log_params({**params, "seed": settings.seed, "training_rows": len(X), "holdout_rows": len(holdout),
                           "sample_fraction": sample_fraction, UNLABELLED_ROWS: pdf.attrs.get(UNLABELLED_ROWS, 0),
                           **{f"segment_{k}": v for k, v in spec.segment.items()}})
        mlflow.set_tags(notes)
        metrics = holdout_metrics(spec, model, holdout[features], holdout[spec.label])
        baseline = holdout_metrics(spec, baseline_model(spec).fit(X, y), holdout[features], holdout[spec.label])
        mlflow.log_metrics({**metrics, **{f"baseline_{k}": v for k, v in baseline.items()}})
        log_plots(spec, model, holdout[features], holdout[spec.label])
        reports.log_reference(reports.reference_rows(spec, model, train_rows, features, settings.seed))
        info = fe.log_model(
            model=model,
            artifact_path="model",
            flavor=mlflow.sklearn,
            training_set=training_set,
            signature=mlflow.models.infer_signature(X, model.predict(X)),
            input_example=X.head(5),
            pip_requirements=list(spec.pip_requirements),
            skops_trusted_types=list(spec.skops_trusted_types),
        )
    # Registered here rather than through log_model: FeatureEngineeringClient returns the ModelInfo
    # of the logged model, which carries no registered version.
    if deployment_job_id:
        runtime.connect_deployment_job(registry.check_model_name(model_name), deployment_job_id)
    tags = {**notes, FEATURE_TABLE_TAG: feature_table, **({VARIANT_TAG: variant} if variant else {})}
    version = registry.register(info.model_uri, model_name, tags)
    registry.set_alias(model_name, registry.CHALLENGER, version)
    return TrainingResult(model_name, version, run.info.run_id, metrics, baseline, pdf.attrs.get(UNLABELLED_ROWS, 0))


def _require_trainable(spec: ModelSpec, train_rows, holdout, raw_table: str) -> None:
    """Rows to hold out, and for a classifier two classes or more to learn from."""
    if holdout.empty or train_rows.empty:
        raise ValueError(f"Table {raw_table} has too few entities to hold some out: {len(train_rows)} training rows, "
                         f"{len(holdout)} held out")
    if spec.is_classifier and train_rows[spec.label].nunique() < 2:
        found = ", ".join(map(str, sorted(train_rows[spec.label].unique())))
        raise ValueError(f"Table {raw_table} column {spec.label}: the {len(train_rows)} training rows have one class "
                         f"only ({found}, as the model sees it); a classifier needs at least two")


def fit(spec: ModelSpec, params: dict, seed: int, X, y, feature_table: str):
    """The model fitted on X, y; a model that takes no missing value names the columns that have them."""
    try:
        return spec.make_model(params, seed).fit(X, y)
    except ValueError as exc:
        nulls = X.isna().sum()
        nulls = nulls[nulls > 0]
        if nulls.empty:
            raise
        columns = ", ".join(f"{c} ({n} of {len(X)} rows)" for c, n in nulls.items())
        raise ValueError(f"Feature table {feature_table} has missing values (null or NaN) in {columns}, which "
                         f"{spec.library} cannot take: fill them in features.py, or use a model that takes them "
                         f"(LightGBM does). {spec.library} said: {str(exc).splitlines()[0]}") from None


def trained_variant(model_name: str, version: str) -> str:
    """The config variant that trained a version (its tag `variant`; "" for the default)."""
    return registry.get_version(model_name, version).tags.get(VARIANT_TAG, "")


def baseline_model(spec: ModelSpec):
    """What the model must beat: the class priors (majority class) or the mean of the label."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    return DummyClassifier(strategy="prior") if spec.is_classifier else DummyRegressor(strategy="mean")
