"""Bad inputs to training, validation, deployment, batch inference and monitoring: each ends in one
message naming the table and column, or the model and version, and leaves every table, model
version and alias as it was.

Two parts. Every project's model (its ModelSpec: keys, label time, segment) meets bad label and
input tables made from its own shape, so a new project is covered the day it is added; these fail
before a label's value matters. The cases that need real labels and a trained model run once, on a
small binary model of the shared lifecycle: the lifecycle code is the same for every project.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import mlflow
import pandas as pd
import pytest
from pyspark.sql import functions as F
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from common import registry, runtime, tables
from common.lifecycle import predictions
from common.lifecycle.approval import approve, check_approval
from common.lifecycle.deployment import deploy, rollback
from common.lifecycle.inference import batch_inference
from common.lifecycle.monitoring import monitor
from common.lifecycle.settings import ModelSettings, Monitoring, Threshold, Training, Validation
from common.lifecycle.spec import ModelSpec
from common.lifecycle.training import train, trained_variant
from common.lifecycle.validation import validate
from common.projects import project_module
from tests.common.bad_inputs import (
    PROJECTS,
    START,
    create_feature_table,
    label_rows,
    model_state,
    project_spec,
    snapshot,
)

# --- every project's model ---------------------------------------------------------------------

@dataclass
class Stage:
    project: str
    spec: ModelSpec
    raw: str  # labels not known yet (null), of the model's segment
    features: str
    model: str  # never registered: training must leave it so
    champion: str  # a registered model with a Champion, for inference
    experiment: str
    made: dict[str, str] = field(default_factory=dict)  # the bad tables written so far, by case

    @property
    def time(self) -> str:
        return self.spec.timestamp

    @cached_property
    def settings(self) -> ModelSettings:
        model = project_module(self.project, "model")
        variant = model.VARIANTS[0] if hasattr(model, "spec_for") else None
        return project_module(self.project, "settings").load_settings(variant)


@pytest.fixture(scope="module")
def dummy_model_uri(spark) -> str:
    """Any logged model: inference checks its input before it loads the Champion."""
    runtime.set_experiment("/tests/bad_inputs")
    with mlflow.start_run():
        return mlflow.sklearn.log_model(DummyClassifier().fit([[0.0], [1.0]], [0, 1]), name="model",
                                        pip_requirements=["scikit-learn"]).model_uri


@pytest.fixture(scope="module", params=PROJECTS)
def stage(request, spark, fe, dummy_model_uri) -> Stage:
    spec = project_spec(request.param)
    ns = f"test.bad_lifecycle_{request.param}"
    found = Stage(request.param, spec, f"{ns}.labels", f"{ns}.features", f"{ns}.never_trained", f"{ns}.champion",
                  f"/tests/bad_lifecycle/{request.param}")
    tables.write_table(spark, label_rows(spark, spec), found.raw)
    create_feature_table(spark, fe, spec, found.features, found.raw)
    version = registry.register(dummy_model_uri, found.champion)
    registry.set_alias(found.champion, registry.CHAMPION, version)
    return found


def _raw_variant(spark, stage: Stage, name: str, change) -> str:
    """A copy of the stage's label table, changed (written once per module)."""
    table = f"{stage.raw}_{name}"
    if name not in stage.made:
        tables.write_table(spark, change(tables.read_table(spark, stage.raw)), table)
        stage.made[name] = table
    return table


def _first_key_null(stage: Stage):
    key = stage.spec.keys[0]

    def change(df):
        first = df.limit(1).collect()[0][key]
        return df.withColumn(key, F.when(F.col(key) == F.lit(first), None).otherwise(F.col(key)))
    return change


# The label (raw) tables every stage reads, each wrong in one way, and what the message says.
BAD_LABEL_TABLES = {
    "missing": (None, "^Table {table} does not exist"),
    "no_label": (lambda s: lambda df: df.drop(s.spec.label), "^Table {table} has no column '{label}'; its columns: "),
    "empty": (lambda s: lambda df: df.limit(0), "^Table {table} has no rows$"),
    "null_key": (_first_key_null, r"^Table {table} column {key}: 1 of 6 rows have no value \(null\), and it is a key$"),
    "duplicate": (lambda s: lambda df: df.unionByName(df.limit(1)),
                  r"^Table {table} has more than one row for key .* \({keys} must be unique\)$"),
    "time_as_text": (lambda s: lambda df: df.withColumn(s.time, F.col(s.time).cast("string")),
                     "^Table {table} column {time}: expected {time_type}, found string$"),
}


def _bad_label_table(spark, stage: Stage, case: str) -> tuple[str, str]:
    """The case's table, and the message expected for it."""
    change, message = BAD_LABEL_TABLES[case]
    table = f"{stage.raw}_{case}" if change is None else _raw_variant(spark, stage, case, change(stage))
    return table, message.format(table=table, label=stage.spec.label, key=stage.spec.keys[0], time=stage.time,
                                 keys=", ".join(stage.spec.prediction_keys),
                                 time_type=stage.spec.key_types.get(stage.time, "timestamp"))


@pytest.mark.parametrize("case", [*BAD_LABEL_TABLES, "all_labels_null"])
def test_training_refuses_a_bad_label_table_and_registers_nothing(spark, fe, stage, case):
    if case == "all_labels_null":  # the stage's own table: no outcome is known yet
        table = stage.raw
        message = rf"^Table {table} column {stage.spec.label}: none of its 6 rows has a label \(all null\): nothing"
    else:
        table, message = _bad_label_table(spark, stage, case)
    before = snapshot(spark, [table, stage.features], [stage.model])
    with pytest.raises((LookupError, ValueError), match=message):
        train(spark, fe, stage.spec, stage.settings, raw_table=table, feature_table=stage.features,
              model_name=stage.model, experiment_name=stage.experiment)
    assert snapshot(spark, [table, stage.features], [stage.model]) == before
    assert before[stage.model] is None  # no model registered, not even an empty one


def test_training_of_a_segment_with_no_row_names_the_segment(spark, fe, stage):
    segment = stage.spec.segment or {stage.spec.label: "a value no row has"}
    spec = replace(stage.spec, segment=segment)
    table = _raw_variant(spark, stage, "other_segment",
                         lambda df: df.withColumn(next(iter(segment)), F.lit("elsewhere")))
    chosen = ", ".join(f"{c} = {v!r}" for c, v in segment.items())
    with pytest.raises(ValueError, match=rf"^Table {table} has no row with {chosen}$"):
        train(spark, fe, spec, stage.settings, raw_table=table, feature_table=stage.features,
              model_name=stage.model, experiment_name=stage.experiment)
    assert model_state(stage.model) is None


@pytest.mark.parametrize("case", list(BAD_LABEL_TABLES))
def test_batch_inference_refuses_a_bad_input_table_and_writes_nothing(spark, fe, stage, case):
    table, message = _bad_label_table(spark, stage, case)
    if case == "no_label":  # inference reads no label: drop the label time instead
        table = _raw_variant(spark, stage, "no_time", lambda df: df.drop(stage.time))
        message = f"^Table {table} has no column '{stage.time}'; its columns: "
    output = f"{stage.raw}_predictions_{case}"
    before = snapshot(spark, [table, output], [stage.champion])
    with pytest.raises((LookupError, ValueError), match=message):
        batch_inference(spark, fe, stage.spec, model_name=stage.champion, input_table=table, output_table=output)
    assert snapshot(spark, [table, output], [stage.champion]) == before
    assert before[output] is None  # not even created empty


def test_batch_inference_names_a_model_that_does_not_exist_or_has_no_champion(spark, fe, stage):
    output = f"{stage.raw}_predictions_no_model"
    with pytest.raises(LookupError, match=rf"^Registered model {stage.model} does not exist in the registry"):
        batch_inference(spark, fe, stage.spec, model_name=stage.model, input_table=stage.raw, output_table=output)
    no_champion = f"{stage.champion}_without"
    registry.register(registry.get_version(stage.champion, 1).source, no_champion)
    with pytest.raises(LookupError, match=rf"^Registered model {no_champion} has no Champion alias; train and "):
        batch_inference(spark, fe, stage.spec, model_name=no_champion, input_table=stage.raw, output_table=output)
    assert not tables.table_exists(spark, output)


def _predictions(spark, stage: Stage) -> str:
    """A predictions table of the stage's rows, as batch inference writes it, outcomes not known yet
    (one per module: a monitoring that fails leaves it as it was, which each test checks)."""
    table = f"{stage.raw}_scored"
    if table in stage.made.values():
        return table
    stage.made["scored"] = table
    typed = dict(predictions.columns(stage.spec))
    scored = tables.read_table(spark, stage.raw).select(
        *[F.col(k).cast(typed[k]).alias(k) for k in stage.spec.prediction_keys],
        F.lit(1.0).alias(predictions.PREDICTION), F.lit(None).cast("double").alias(predictions.LABEL),
        F.lit(stage.champion).alias(predictions.MODEL_NAME), F.lit("1").alias(predictions.MODEL_ID),
        F.current_timestamp().alias(predictions.SCORED_AT))
    tables.write_table(spark, scored, table)
    return table


@pytest.mark.parametrize("case", [*BAD_LABEL_TABLES, "all_labels_null"])
def test_monitoring_refuses_bad_outcomes_and_records_nothing(spark, stage, case):
    scored = _predictions(spark, stage)
    history = f"{stage.raw}_monitoring_{case}"
    labels, message = (stage.raw, "") if case == "all_labels_null" else _bad_label_table(spark, stage, case)
    if case in ("all_labels_null", "empty"):  # outcomes not known yet: nothing to measure
        message = rf"^No prediction in {scored} has a known outcome in {labels}: nothing to monitor yet$"
    elif case in ("duplicate", "null_key"):  # a key twice would give a row two outcomes
        message = message.replace("^Table ", "^Outcomes in ")
    rows_before = tables.read_table(spark, scored).orderBy(*stage.spec.prediction_keys).collect()
    with pytest.raises((LookupError, ValueError), match=message):
        monitor(spark, stage.spec, Monitoring(), predictions_table=scored, labels_table=labels,
                monitoring_table=history)
    assert not tables.table_exists(spark, history)
    assert tables.read_table(spark, scored).orderBy(*stage.spec.prediction_keys).collect() == rows_before


def test_monitoring_refuses_an_empty_or_missing_predictions_table(spark, stage):
    empty, history = f"{stage.raw}_no_predictions", f"{stage.raw}_monitoring_empty"
    predictions.ensure_table(spark, stage.spec, empty)
    for table, message in ((empty, f"^Table {empty} has no rows$"), (f"{empty}_x", f"^Table {empty}_x does not exist")):
        with pytest.raises((LookupError, ValueError), match=message):
            monitor(spark, stage.spec, Monitoring(), predictions_table=table, labels_table=stage.raw,
                    monitoring_table=history)
    assert not tables.table_exists(spark, history)


# --- the shared lifecycle, with real labels and a trained model ----------------------------------

ROWS = 40
SPEC = ModelSpec(keys=("entity_id",), timestamp="observed_at", label="target", problem="binary",
                 make_model=lambda p, seed: LogisticRegression(**p, random_state=seed),
                 feature_keys=("entity_id", "feature_timestamp"), label_values=lambda c: (c == "yes").cast("int"),
                 library="scikit-learn LogisticRegression")
SETTINGS = ModelSettings(seed=1, holdout_fraction=0.25, training=Training({}),
                         validation=Validation({"roc_auc": Threshold(threshold=0.5)}))
NS = "test.bad_lifecycle_shared"


def _labels(values) -> pd.DataFrame:
    return pd.DataFrame({"entity_id": [f"E{i}" for i in range(len(values))], "observed_at": START, "target": values})


def _features(entities, x1=None) -> pd.DataFrame:
    x1 = list(range(len(entities))) if x1 is None else x1
    return pd.DataFrame({"entity_id": entities, "feature_timestamp": START, "x1": x1,
                         "x2": [i % 3 for i in range(len(entities))]})


@pytest.fixture(scope="module")
def shared(spark, fe):
    """Labels that the features predict (yes from the 20th entity on), and their feature table."""
    labels = _labels(["no"] * (ROWS // 2) + ["yes"] * (ROWS // 2))
    tables.write_table(spark, spark.createDataFrame(labels), f"{NS}.labels")
    fe.create_table(name=f"{NS}.features", primary_keys=list(SPEC.feature_keys), timeseries_column="feature_timestamp",
                    df=spark.createDataFrame(_features(labels.entity_id)))
    return {"raw_table": f"{NS}.labels", "feature_table": f"{NS}.features", "experiment_name": "/tests/bad_shared"}


@pytest.fixture(scope="module")
def trained(spark, fe, shared):
    return train(spark, fe, SPEC, SETTINGS, model_name=f"{NS}.model", **shared)


def _refused_training(spark, fe, model_name: str, match: str, **tables_used) -> None:
    names = [tables_used["raw_table"], tables_used["feature_table"]]
    before = snapshot(spark, names, [model_name])
    with pytest.raises((LookupError, ValueError), match=match):
        train(spark, fe, SPEC, SETTINGS, model_name=model_name, experiment_name="/tests/bad_shared", **tables_used)
    assert snapshot(spark, names, [model_name]) == before


def test_rows_with_no_label_yet_are_left_out_of_training_and_counted(spark, fe, shared, schema):
    """The decision: a null label is an outcome not known yet (monitoring skips them too). Training
    leaves those rows out, says how many (the Train task prints it) and records it on the run;
    before, they reached scikit-learn as "Input contains NaN." naming no table or column."""
    values = ["no"] * (ROWS // 2) + ["yes"] * (ROWS // 2)
    values[3] = values[30] = values[31] = None
    tables.write_table(spark, spark.createDataFrame(_labels(values)), f"{schema}.labels")
    result = train(spark, fe, SPEC, SETTINGS, raw_table=f"{schema}.labels", feature_table=shared["feature_table"],
                   model_name=f"{schema}.model", experiment_name="/tests/bad_shared")
    params = mlflow.get_run(result.run_id).data.params
    assert result.unlabelled_rows == 3 and params["unlabelled_rows"] == "3"
    assert int(params["training_rows"]) + int(params["holdout_rows"]) == ROWS - 3


def test_a_label_the_model_has_no_class_for_is_refused(spark, fe, shared, schema):
    values = ["no"] * (ROWS // 2) + ["yes"] * (ROWS // 2)
    spec = replace(SPEC, label_values=lambda c: F.when(c == "yes", 1).when(c == "no", 0))  # nothing else
    values[5], values[6] = "Yes", "maybe"
    tables.write_table(spark, spark.createDataFrame(_labels(values)), f"{schema}.labels")
    with pytest.raises(ValueError, match=rf"^Table {schema}.labels column target: 2 of {ROWS} rows have a label the "
                                         r"model has no class for \('(Yes|maybe)', '(Yes|maybe)'\); correct them"):
        train(spark, fe, spec, SETTINGS, raw_table=f"{schema}.labels", feature_table=shared["feature_table"],
              model_name=f"{schema}.model", experiment_name="/tests/bad_shared")
    assert model_state(f"{schema}.model") is None


def test_one_label_class_is_refused_naming_table_and_column(spark, fe, shared, schema):
    tables.write_table(spark, spark.createDataFrame(_labels(["no"] * ROWS)), f"{schema}.labels")
    _refused_training(spark, fe, f"{schema}.model",
                      rf"^Table {schema}.labels column target: the \d+ training rows have one class only \(0, as the "
                      r"model sees it\); a classifier needs at least two$",
                      raw_table=f"{schema}.labels", feature_table=shared["feature_table"])


@pytest.mark.parametrize("found", [0, ROWS // 2])
def test_labels_that_find_no_features_are_refused(spark, fe, shared, schema, found):
    """Before, an empty feature table trained a model on nulls and registered it."""
    labels, features = _labels(["no", "yes"] * (ROWS // 2)), f"{schema}.features_{found}"
    fe.create_table(name=features, primary_keys=list(SPEC.feature_keys), timeseries_column="feature_timestamp",
                    df=spark.createDataFrame(_features(labels.entity_id[:found])) if found
                    else spark.createDataFrame(_features(labels.entity_id)).limit(0))
    _refused_training(spark, fe, f"{schema}.model",
                      rf"^{ROWS - found} of {ROWS} labelled rows of {shared['raw_table']} found no features in "
                      rf"{features} \(none of x1, x2 at or before their observed_at\): is the feature table "
                      "empty or behind the labels\\?",
                      raw_table=shared["raw_table"], feature_table=features)


def test_missing_features_a_model_cannot_take_are_named(spark, fe, shared, schema):
    labels = _labels(["no", "yes"] * (ROWS // 2))
    x1 = [None if i % 10 == 0 else float(i) for i in range(ROWS)]
    fe.create_table(name=f"{schema}.features", primary_keys=list(SPEC.feature_keys),
                    timeseries_column="feature_timestamp", df=spark.createDataFrame(_features(labels.entity_id, x1)))
    _refused_training(spark, fe, f"{schema}.model",
                      rf"^Feature table {schema}.features has missing values \(null or NaN\) in x1 \(\d of \d+ rows\), "
                      "which scikit-learn LogisticRegression cannot take",
                      raw_table=shared["raw_table"], feature_table=f"{schema}.features")


def test_a_feature_that_is_no_number_is_refused_before_a_row_is_read(spark, fe, shared, schema):
    labels = _labels(["no", "yes"] * (ROWS // 2))
    fe.create_table(name=f"{schema}.features", primary_keys=list(SPEC.feature_keys),
                    timeseries_column="feature_timestamp",
                    df=spark.createDataFrame(_features(labels.entity_id).astype({"x1": str})))
    _refused_training(spark, fe, f"{schema}.model",
                      rf"^Feature table {schema}.features column x1: expected a number, found string$",
                      raw_table=shared["raw_table"], feature_table=f"{schema}.features")


def test_a_missing_feature_table(spark, fe, shared, schema):
    with pytest.raises(ValueError, match=rf"^Feature table {schema}.nowhere does not exist"):
        train(spark, fe, SPEC, SETTINGS, raw_table=shared["raw_table"], feature_table=f"{schema}.nowhere",
              model_name=f"{schema}.model", experiment_name="/tests/bad_shared")
    assert model_state(f"{schema}.model") is None


def test_batch_inference_names_a_feature_gone_from_the_table_the_model_was_trained_on(spark, fe, shared, trained,
                                                                                       request, schema):
    """Before, a feature dropped since training surfaced as a raw Spark error and gRPC log records."""
    from conftest import registered_copy

    model = registered_copy(trained, request, f"{NS}_models")
    registry.tag_version(model.model_name, model.version, {"feature_table": f"{schema}.features"})
    registry.set_alias(model.model_name, registry.CHAMPION, model.version)
    fe.create_table(name=f"{schema}.features", primary_keys=list(SPEC.feature_keys),
                    timeseries_column="feature_timestamp",
                    df=spark.createDataFrame(_features(_labels([0] * ROWS).entity_id)).drop("x2"))
    output = f"{schema}.predictions"
    before = snapshot(spark, [output], [model.model_name])
    with pytest.raises(ValueError, match=rf"^Feature table {schema}.features, which {model.model_name} version 1 was "
                                         r"trained on, has no column 'x2'; its columns: "):
        batch_inference(spark, fe, SPEC, model_name=model.model_name, input_table=shared["raw_table"],
                        output_table=output)
    assert snapshot(spark, [output], [model.model_name]) == before


def test_batch_inference_refuses_rows_that_find_no_features_and_keeps_the_predictions(spark, fe, shared, trained,
                                                                                      request, schema):
    """Before, an empty feature table had every row scored on nulls, replacing good predictions."""
    from conftest import registered_copy

    model = registered_copy(trained, request, f"{NS}_models")
    registry.set_alias(model.model_name, registry.CHAMPION, model.version)
    output = f"{schema}.predictions"
    batch_inference(spark, fe, SPEC, model_name=model.model_name, input_table=shared["raw_table"],
                    output_table=output)
    later = f"{schema}.later_labels"  # entities the feature table has never seen
    tables.write_table(spark, spark.createDataFrame(_labels(["no"] * 5).assign(entity_id=lambda d: "new_" + d.entity_id)),
                       later)
    before = snapshot(spark, [output], [model.model_name])
    with pytest.raises(ValueError, match=rf"^5 of 5 rows of {later} found no features for {model.model_name} version "
                                         rf"{model.version} "):
        batch_inference(spark, fe, SPEC, model_name=model.model_name, input_table=later, output_table=output)
    assert snapshot(spark, [output], [model.model_name]) == before


def test_monitoring_names_a_scoring_version_the_registry_no_longer_has_before_writing(spark, fe, shared, schema):
    scored, history = f"{schema}.predictions", f"{schema}.monitoring"
    typed = dict(predictions.columns(SPEC))
    tables.write_table(spark, tables.read_table(spark, shared["raw_table"]).select(
        *[F.col(k).cast(typed[k]).alias(k) for k in SPEC.prediction_keys], F.lit(1.0).alias("prediction"),
        F.lit(None).cast("double").alias("label"), F.lit("test.nowhere.model").alias("model_name"),
        F.lit("3").alias("model_version"), F.current_timestamp().alias("scored_at")), scored)
    before = snapshot(spark, [scored])
    with pytest.raises(LookupError, match=r"^Registered model test.nowhere.model does not exist in the registry "):
        monitor(spark, SPEC, Monitoring(), predictions_table=scored, labels_table=shared["raw_table"],
                monitoring_table=history, fe=fe, feature_table=shared["feature_table"], experiment_name="/tests/x")
    assert snapshot(spark, [scored]) == before  # not even the outcomes copied in
    assert not tables.table_exists(spark, history)


@pytest.mark.parametrize("text", ["abc", "0", "1.5", ""])
def test_a_sample_fraction_parameter_that_is_no_share_is_named(text):
    from common.lifecycle.training_set import parse_sample_fraction

    with pytest.raises(ValueError, match=rf"^The parameter sample_fraction must be a number in \(0, 1\] .*, not "
                                         rf"'{text}'$"):
        parse_sample_fraction(text)
    assert parse_sample_fraction(" 0.25 ") == 0.25


def test_training_records_the_feature_table_each_version_was_trained_on(trained, shared):
    assert registry.get_version(trained.model_name, trained.version).tags["feature_table"] == shared["feature_table"]


# --- model names, versions and aliases that do not exist ---------------------------------------

@pytest.fixture
def model(trained, request):
    """The trained model as version 1 of a model of this test's own: Challenger, no Champion yet."""
    from conftest import registered_copy

    return registered_copy(trained, request, f"{NS}_models").model_name


def _unchanged(model_name: str):
    return model_state(model_name), {v: dict(registry.get_version(model_name, v).tags)
                                     for v in model_state(model_name)[0]}


def test_deployment_names_a_version_or_model_that_does_not_exist(model):
    before = _unchanged(model)
    with pytest.raises(LookupError, match=rf"^Registered model {model} has no version 9$"):
        deploy(model, "9")
    with pytest.raises(LookupError, match=r"^Registered model test.nowhere.model does not exist in the registry "):
        deploy("test.nowhere.model", "1")
    with pytest.raises(ValueError, match=r"^Registered model name 'churn_model' is not a Unity Catalog name "):
        deploy("churn_model", "1")
    with pytest.raises(ValueError, match=rf"^No version of {model} given: set the job parameter model_version"):
        deploy(model, "")
    assert _unchanged(model) == before and model_state("test.nowhere.model") is None


def test_approval_names_a_version_that_does_not_exist(model):
    before = _unchanged(model)
    for act in (lambda: check_approval(model, "9", required=True), lambda: approve(model, "9", actor="me")):
        with pytest.raises(LookupError, match=rf"^Registered model {model} has no version 9$"):
            act()
    assert _unchanged(model) == before


def test_rollback_without_a_champion_or_of_a_model_that_does_not_exist(model):
    before = _unchanged(model)
    for name, message in ((model, rf"^{model} has no Champion alias: there is nothing to roll back$"),
                          ("test.nowhere.model", "^Registered model test.nowhere.model does not exist")):
        with pytest.raises(LookupError, match=message):
            rollback(name, reason="a test")
    assert _unchanged(model) == before


def test_validation_names_a_version_or_model_that_does_not_exist(spark, fe, model, shared):
    before = _unchanged(model)
    for name, version, message in ((model, "9", f"^Registered model {model} has no version 9$"),
                                   ("test.nowhere.model", "1", "^Registered model test.nowhere.model does not exist")):
        with pytest.raises(LookupError, match=message):
            trained_variant(name, version)  # the validation task's first question about the version
        with pytest.raises(LookupError, match=message):
            validate(spark, fe, SPEC, SETTINGS, model_name=name, version=version, **shared)
    assert _unchanged(model) == before
