import pytest
from pyspark.sql import functions as F

from common import registry, table_checks, tables
from common.lifecycle.inference import batch_inference
from projects.churn.model import SPEC


def test_no_champion_is_a_clear_error_and_writes_nothing(spark, fe, shared, trained, schema):
    with pytest.raises(LookupError, match=rf"{trained.model_name} has no Champion alias"):
        batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=shared.raw,
                        output_table=f"{schema}.predictions")
    assert not tables.table_exists(spark, f"{schema}.predictions")


def test_scores_every_row_with_the_champion_and_a_rerun_adds_none(spark, fe, shared, trained, schema):
    registry.set_alias(trained.model_name, "Champion", trained.version)
    out = f"{schema}.predictions"
    first = batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=shared.raw, output_table=out)
    assert first.rows_scored == first.table_rows == 600
    again = batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=shared.raw, output_table=out)
    assert again.table_rows == 600
    df = tables.read_table(spark, out)
    assert {"customer_id", "observed_at", "prediction", "model_name", "model_version", "scored_at"} <= set(df.columns)
    assert df.filter(F.col("model_version") != trained.version).count() == 0
    assert {r.prediction for r in df.select("prediction").distinct().collect()} <= {0.0, 1.0}
    # The predictions agree with the model applied to the training set's own features.
    import mlflow

    from common.lifecycle.training_set import build_training_set, feature_columns

    _, pdf = build_training_set(spark, fe, SPEC, shared.raw, shared.features)
    model = mlflow.sklearn.load_model(registry.model_uri(trained.model_name, trained.version))
    expected = dict(zip(pdf.customer_id, model.predict(pdf[feature_columns(SPEC, pdf)]).astype(float)))
    got = {r.customer_id: r.prediction for r in df.collect()}
    assert got == expected


def test_empty_input_table_is_named(spark, fe, shared, trained, schema):
    registry.set_alias(trained.model_name, "Champion", trained.version)
    empty = f"{schema}.empty"
    tables.write_table(spark, tables.read_table(spark, shared.raw).limit(0), empty)
    with pytest.raises(ValueError, match=rf"Table {empty} has no rows"):
        batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=empty, output_table=f"{schema}.p")
    assert not tables.table_exists(spark, f"{schema}.p")


def test_rows_without_features_are_refused_and_the_predictions_kept(spark, fe, shared, trained, schema):
    registry.set_alias(trained.model_name, "Champion", trained.version)
    out = f"{schema}.predictions"
    batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=shared.raw, output_table=out)
    before = sorted((r.customer_id, r.prediction) for r in tables.read_table(spark, out).collect())
    # Customers the feature table has never seen, as when it is empty or behind the input.
    unknown = f"{schema}.unknown_customers"
    tables.write_table(spark, tables.read_table(spark, shared.raw).limit(50).withColumn(
        "customer_id", F.concat(F.lit("NEW-"), F.col("customer_id"))), unknown)
    with pytest.raises(table_checks.TableContentError,
                       match=rf"50 of 50 rows of {unknown} found no features for {trained.model_name} version "
                             rf"{trained.version} .*no prediction was written"):
        batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=unknown, output_table=out)
    assert sorted((r.customer_id, r.prediction) for r in tables.read_table(spark, out).collect()) == before
