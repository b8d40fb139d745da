"""common/lifecycle/predictions.py: the predictions and baseline tables a quality monitor reads, the
outcomes the monitoring job merges into them, and a clear message for each bad input."""

import pandas as pd
import pytest
from pyspark.sql import functions as F

import conftest
from common import table_checks, tables
from common.lifecycle import predictions
from common.lifecycle.spec import ModelSpec

SPEC = ModelSpec(keys=("customer_id",), timestamp="observed_at", label="churn", problem="binary",
                 make_model=lambda params, seed: None,
                 label_values=lambda c: c.cast("string").isin("Yes").cast("int"))


@pytest.fixture
def schema(request):
    return f"preds.{conftest.test_name(request)}"


def test_a_fresh_target_gets_both_tables_empty_and_a_rerun_creates_nothing(spark, schema):
    created = predictions.create_tables(spark, SPEC, f"{schema}_p.scored", f"{schema}_p.model_baseline")
    assert created == [f"{schema}_p.scored", f"{schema}_p.model_baseline"]
    for name in created:
        df = tables.read_table(spark, name)
        assert [(f.name, f.dataType.simpleString()) for f in df.schema.fields] == predictions.columns(SPEC)
        assert df.isEmpty()
    assert predictions.create_tables(spark, SPEC, f"{schema}_p.scored", f"{schema}_p.model_baseline") == []


@pytest.mark.parametrize(("scored", "baseline", "message"), [
    ("", "c.s.b", "parameter 'predictions_table' is empty"),
    ("c.s.p", "b", "Table name 'b' is not a three-level name"),
    ("c.s.p", "c.s.p", "predictions_table and baseline_table are both c.s.p"),
])
def test_bad_table_names_are_named(spark, scored, baseline, message):
    with pytest.raises(ValueError, match=message):
        predictions.create_tables(spark, SPEC, scored, baseline)


def test_a_table_from_before_the_label_column_is_named(spark, schema):
    old = spark.createDataFrame([("C1", 1.0)], "customer_id string, prediction double").select(
        "customer_id", F.current_timestamp().alias("observed_at"), "prediction", F.lit("m").alias("model_name"),
        F.lit("1").alias("model_version"), F.current_timestamp().alias("scored_at"))
    tables.write_table(spark, old, f"{schema}.old")
    with pytest.raises(table_checks.TableContentError, match=rf"Table {schema}.old predates the column 'label'"):
        predictions.ensure_table(spark, SPEC, f"{schema}.old")


def _scored(spark, name, rows):
    predictions.ensure_table(spark, SPEC, name)
    df = spark.createDataFrame(rows, "customer_id string, prediction double").select(
        "customer_id", F.lit("2026-01-31 00:00:00").cast("timestamp").alias("observed_at"), "prediction",
        F.lit("m").alias("model_name"), F.lit("1").alias("model_version"), F.current_timestamp().alias("scored_at"))
    tables.merge_into(spark, df, name, SPEC.prediction_keys, only_columns=True)


def _labels(spark, name, rows):
    tables.write_table(spark, spark.createDataFrame(rows, "customer_id string, churn string").withColumn(
        "observed_at", F.lit("2026-01-31 00:00:00").cast("timestamp")), name)


def test_known_outcomes_fill_the_label_and_a_rescoring_keeps_them(spark, schema):
    scored, labels = f"{schema}.scored", f"{schema}.labels"
    _scored(spark, scored, [("C1", 1.0), ("C2", 0.0), ("C3", 1.0)])
    _labels(spark, labels, [("C1", "Yes"), ("C2", "Yes"), ("C9", "No")])  # C3 unknown yet, C9 never scored
    predictions.record_outcomes(spark, SPEC, scored, labels)
    _scored(spark, scored, [("C1", 0.0), ("C4", 0.0)])  # batch inference again: new predictions, labels kept
    got = {r.customer_id: (r.prediction, r.label) for r in tables.read_table(spark, scored).collect()}
    assert got == {"C1": (0.0, 1.0), "C2": (0.0, 1.0), "C3": (1.0, None), "C4": (0.0, None)}


def test_bad_outcomes_are_named_and_change_nothing(spark, schema):
    scored, labels = f"{schema}.scored", f"{schema}.labels"
    _scored(spark, scored, [("C1", 1.0)])
    _labels(spark, labels, [("C1", "Yes"), ("C1", "No")])
    with pytest.raises(table_checks.TableContentError, match=rf"Outcomes in {labels} has more than one row for key"):
        predictions.record_outcomes(spark, SPEC, scored, labels)
    tables.write_table(spark, spark.createDataFrame([("C1",)], "customer_id string"), f"{schema}.no_label")
    with pytest.raises(table_checks.TableContentError, match="has no column 'observed_at', 'churn'"):
        predictions.record_outcomes(spark, SPEC, scored, f"{schema}.no_label")
    with pytest.raises(tables.TableNotFoundError, match=rf"Table {schema}.missing does not exist"):
        predictions.record_outcomes(spark, SPEC, scored, f"{schema}.missing")
    assert tables.read_table(spark, scored).where("label IS NOT NULL").isEmpty()


def test_the_baseline_is_the_champions_training_rows_in_the_same_columns(spark, schema):
    reference = pd.DataFrame({"tenure": [1.0, 2.0], "churn": [1, 0], "prediction": [1, 1]})
    name = predictions.write_baseline(spark, SPEC, f"{schema}.churn_model", "4", reference)
    assert name == f"{schema}.churn_model_baseline"
    df = tables.read_table(spark, name)
    assert [(f.name, f.dataType.simpleString()) for f in df.schema.fields] == predictions.columns(SPEC)
    assert sorted((r.label, r.prediction, r.model_version) for r in df.collect()) == [(0.0, 1.0, "4"), (1.0, 1.0, "4")]
    with pytest.raises(ValueError, match=r"training rows of .* version 5 have no rows or lack \['prediction'\]"):
        predictions.write_baseline(spark, SPEC, f"{schema}.churn_model", "5", reference.drop(columns="prediction"))


def test_locally_no_baseline_is_published(spark):
    assert predictions.publish_baseline(spark, SPEC, "dev.churn.churn_model", "1") == ""
