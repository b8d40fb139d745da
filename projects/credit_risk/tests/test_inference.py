import mlflow
import pytest
from pyspark.sql import functions as F

from common import registry, tables
from common.lifecycle.inference import batch_inference
from common.lifecycle.training_set import build_training_set, feature_columns
from projects.credit_risk.model import SPEC


def test_the_champion_scores_every_application_into_delta_once(spark, fe, applications, registered_copy, schema):
    model_name, version = registered_copy.model_name, registered_copy.version
    out = f"{schema}.predictions"
    with pytest.raises(LookupError, match=rf"{model_name} has no Champion alias"):
        batch_inference(spark, fe, SPEC, model_name=model_name, input_table=applications.raw, output_table=out)
    assert not tables.table_exists(spark, out)

    registry.set_alias(model_name, "Champion", version)
    first = batch_inference(spark, fe, SPEC, model_name=model_name, input_table=applications.raw, output_table=out)
    again = batch_inference(spark, fe, SPEC, model_name=model_name, input_table=applications.raw, output_table=out)
    assert (first.rows_scored, first.table_rows, again.table_rows) == (500, 500, 500)
    scored = tables.read_table(spark, out)
    assert scored.filter(F.col("model_version") != version).count() == 0
    # Each prediction is the Champion's own verdict (1 = bad) on that application's features.
    _, pdf = build_training_set(spark, fe, SPEC, applications.raw, applications.features)
    model = mlflow.sklearn.load_model(registry.model_uri(model_name, version))
    expected = dict(zip(pdf["application_id"], model.predict(pdf[feature_columns(SPEC, pdf)]).astype(float)))
    assert {r.application_id: r.prediction for r in scored.collect()} == expected
    assert 0 < sum(expected.values()) < len(expected)
