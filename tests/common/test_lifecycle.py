"""common/lifecycle/ on its own: a small synthetic project with three models (binary, multi-class,
regression) through train, validate, deploy and batch inference, on real Spark, Delta tables, the
local feature store and the MLflow registry."""

from datetime import datetime

import mlflow
import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from sklearn.linear_model import LinearRegression, LogisticRegression

from common import registry, table_checks, tables
from common.config import ConfigError
from common.lifecycle.deployment import deploy
from common.lifecycle.inference import batch_inference
from common.lifecycle.metrics import HOLDOUT_METRICS, monitored_metrics
from common.lifecycle.monitoring import monitor
from common.lifecycle.settings import (
    ModelSettings,
    Monitoring,
    Threshold,
    Training,
    Validation,
    load_model_settings,
)
from common.lifecycle.spec import ModelSpec
from common.lifecycle.training import train
from common.lifecycle.validation import ModelValidationFailed, validate

OBSERVED = datetime(2026, 3, 1)
ROWS = 240


def _spec(problem: str, make_model, **kwargs) -> ModelSpec:
    return ModelSpec(keys=("entity_id",), timestamp="observed_at", label="target", problem=problem,
                     make_model=make_model, feature_keys=("entity_id", "feature_timestamp"), **kwargs)


SPECS = {
    "binary": _spec("binary", lambda p, seed: LogisticRegression(**p, random_state=seed),
                    label_values=lambda c: (c == "yes").cast("int")),
    "multiclass": _spec("multiclass", lambda p, seed: LogisticRegression(**p, random_state=seed)),
    "regression": _spec("regression", lambda p, seed: LinearRegression(**p)),
}
THRESHOLDS = {
    "binary": {"roc_auc": Threshold(threshold=0.8, min_absolute_change=0.0)},
    "multiclass": {"accuracy_score": Threshold(threshold=0.8)},
    "regression": {"r2_score": Threshold(threshold=0.8)},
}


@pytest.fixture(scope="module")
def project(spark, fe):
    """Raw labels and a feature table from which each label is well predicted."""
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(size=ROWS), rng.normal(size=ROWS)
    score = 2 * x1 - x2
    raw = pd.DataFrame({
        "entity_id": [f"E{i}" for i in range(ROWS)], "observed_at": OBSERVED,
        "binary": np.where(score > 0, "yes", "no"), "multiclass": np.digitize(score, [-1, 1]),
        "regression": 3 * x1 + x2 + rng.normal(scale=0.1, size=ROWS),
        "group": np.where(np.arange(ROWS) % 2 == 0, "A", "B"),
    })
    features = pd.DataFrame({"entity_id": raw.entity_id, "feature_timestamp": OBSERVED, "x1": x1, "x2": x2})
    tables.write_table(spark, spark.createDataFrame(raw), "test.lifecycle.raw")
    fe.create_table(name="test.lifecycle.features", primary_keys=["entity_id", "feature_timestamp"],
                    timeseries_column="feature_timestamp", df=spark.createDataFrame(features))
    return "test.lifecycle"


@pytest.fixture(scope="module")
def fe(spark):
    from common.runtime import feature_store_client

    return feature_store_client()


def _labels(spark, schema: str, problem: str) -> str:
    """The raw table with this problem's label as `target`."""
    name = f"{schema}.raw_{problem}"
    raw = tables.read_table(spark, f"{schema}.raw")
    tables.write_table(spark, raw.select("entity_id", "observed_at", F.col(problem).alias("target")), name)
    return name


@pytest.mark.parametrize("problem", list(SPECS))
def test_each_problem_type_trains_validates_deploys_and_scores(spark, fe, project, problem):
    spec = SPECS[problem]
    settings = ModelSettings(seed=1, holdout_fraction=0.25, training=Training({}),
                             validation=Validation(THRESHOLDS[problem]))
    raw, model_name = _labels(spark, project, problem), f"{project}.model_{problem}"
    common = {"raw_table": raw, "feature_table": f"{project}.features", "experiment_name": f"/tests/lifecycle/{problem}"}

    trained = train(spark, fe, spec, settings, model_name=model_name, **common)
    assert registry.aliases_of(model_name, trained.version) == ["Challenger"]
    plots = {a.path for a in mlflow.MlflowClient().list_artifacts(trained.run_id, "plots")}
    assert "plots/feature_importance.png" in plots
    assert ("plots/actual_vs_predicted.png" if problem == "regression" else "plots/confusion_matrix.png") in plots
    headline = {"binary": "roc_auc", "multiclass": "accuracy_score", "regression": "r2_score"}[problem]
    assert trained.metrics[headline] > 0.8

    assert set(trained.metrics) == set(HOLDOUT_METRICS[problem])  # what a validation threshold may name

    outcome = validate(spark, fe, spec, settings, model_name=model_name, version=trained.version, **common)
    assert outcome.status == "PASSED" and outcome.candidate_metrics[headline] > 0.8
    # Validation measured the registered version as training measured the model, on the same holdout.
    assert outcome.candidate_metrics[headline] == round(trained.metrics[headline], 4)
    assert deploy(model_name, trained.version).promoted

    predictions = f"{project}.predictions_{problem}"
    scored = batch_inference(spark, fe, spec, model_name=model_name, input_table=raw, output_table=predictions)
    assert scored.rows_scored == scored.table_rows == ROWS

    # Monitoring on the known outcomes: a classifier clears its accuracy floor, the regressor
    # misses an error ceiling no model could meet.
    limits = (Monitoring(minimum={"accuracy": 0.8}) if spec.is_classifier
              else Monitoring(maximum={"root_mean_squared_error": 1e-6}))
    checked = monitor(spark, spec, limits, predictions_table=predictions, labels_table=raw,
                      monitoring_table=f"{project}.monitoring_{problem}")
    assert checked.labelled_rows == ROWS and checked.model_version == trained.version
    assert set(checked.metrics) == set(monitored_metrics(spec)) - {"target_rate_gap", "drift_share"}
    assert checked.retrain == (problem == "regression")


def test_a_segment_model_trains_on_a_stable_sample_of_its_rows_and_records_its_notes(spark, fe, project):
    """A model of group A only, on half its entities, with a note recorded and a baseline to beat."""
    def notes(hyperparameters, labels):
        return {"positive_rate": f"{labels.mean():.3f}", "c": str(hyperparameters["C"])}

    spec = _spec("binary", lambda p, seed: LogisticRegression(**p, random_state=seed),
                 label_values=lambda c: (c == "yes").cast("int"), segment={"group": "A"}, training_notes=notes)
    raw = f"{project}.raw_segment"
    tables.write_table(spark, tables.read_table(spark, f"{project}.raw").select(
        "entity_id", "observed_at", "group", F.col("binary").alias("target")), raw)
    settings = ModelSettings(seed=1, holdout_fraction=0.25, training=Training({"C": 2.0}),
                             validation=Validation(THRESHOLDS["binary"]))
    common = {"raw_table": raw, "feature_table": f"{project}.features", "experiment_name": "/tests/lifecycle/segment",
              "model_name": f"{project}.model_segment", "sample_fraction": 0.5}

    first, second = train(spark, fe, spec, settings, **common), train(spark, fe, spec, settings, **common)
    params = [mlflow.get_run(t.run_id).data.params for t in (first, second)]
    rows = [int(p["training_rows"]) + int(p["holdout_rows"]) for p in params]
    assert rows[0] == rows[1] and 0.35 * ROWS / 2 < rows[0] < 0.65 * ROWS / 2  # half of group A, the same half
    assert params[0]["segment_group"] == "A" and params[0]["sample_fraction"] == "0.5"
    tags = registry.get_version(common["model_name"], first.version).tags
    assert tags["c"] == "2.0" and 0.2 < float(tags["positive_rate"]) < 0.8
    assert mlflow.get_run(first.run_id).data.tags["c"] == "2.0"
    assert first.baseline["roc_auc"] == 0.5 < first.metrics["roc_auc"]
    assert mlflow.get_run(first.run_id).data.metrics["baseline_roc_auc"] == 0.5

    registry.set_alias(common["model_name"], "Champion", first.version)
    scored = batch_inference(spark, fe, spec, model_name=common["model_name"], input_table=raw,
                             output_table=f"{project}.predictions_segment")
    assert scored.rows_scored == ROWS // 2  # every row of group A, none of B: scoring takes no sample

    nobody = _spec("binary", LogisticRegression, segment={"group": "Z"})
    with pytest.raises(table_checks.TableContentError, match=rf"Table {raw} has no row with group = 'Z'"):
        train(spark, fe, nobody, settings, **common)


def test_a_challenger_below_its_threshold_fails_and_the_champion_stays(spark, fe, project):
    spec = SPECS["regression"]
    raw, model_name = _labels(spark, project, "regression"), f"{project}.model_strict"
    common = {"raw_table": raw, "feature_table": f"{project}.features", "experiment_name": "/tests/lifecycle/strict",
              "model_name": model_name}
    easy = ModelSettings(1, 0.25, Training({}), Validation({"r2_score": Threshold(threshold=0.5)}))
    first = train(spark, fe, spec, easy, **common)
    validate(spark, fe, spec, easy, version=first.version, **common)
    deploy(model_name, first.version)
    strict = ModelSettings(1, 0.25, Training({}), Validation({"r2_score": Threshold(threshold=0.9999)}))
    second = train(spark, fe, spec, strict, **common)
    with pytest.raises(ModelValidationFailed, match=rf"version {second.version} failed validation: .*r2_score"):
        validate(spark, fe, spec, strict, version=second.version, **common)
    assert not deploy(model_name, second.version).promoted
    assert str(registry.version_by_alias(model_name, "Champion").version) == first.version


def test_a_spec_names_its_problem_and_settings_name_a_misspelt_hyperparameter(tmp_path):
    with pytest.raises(ValueError, match="ModelSpec.problem must be one of binary, multiclass, regression"):
        _spec("ranking", LinearRegression)
    config = tmp_path / "project.yml"
    config.write_text("training:\n  hyperparameters:\n    fit_intercep: true\nvalidation:\n  thresholds: {}\n")
    spec = _spec("regression", lambda p, seed: LinearRegression(**p), library="scikit-learn")
    with pytest.raises(ConfigError, match=r"unknown scikit-learn parameter 'training.hyperparameters.fit_intercep'; "
                                          r"did you mean 'fit_intercept'\?"):
        load_model_settings(ModelSettings, spec, config)


@pytest.mark.parametrize("fraction", [0.0, -0.5, 1.5])
def test_a_sample_fraction_outside_0_to_1_is_refused_before_anything_is_read(fraction):
    from common.lifecycle.training_set import build_training_set

    with pytest.raises(ValueError, match=rf"sample_fraction must be in \(0, 1\], not {fraction}"):
        build_training_set(None, None, SPECS["binary"], "no.such.raw", "no.such.features", fraction)
