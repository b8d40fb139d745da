"""The iris model through the shared lifecycle: train, validate, deploy, score and monitor."""

import pytest
from pyspark.sql import functions as F

from common import registry, tables
from common.lifecycle.deployment import deploy
from common.lifecycle.inference import batch_inference
from common.lifecycle.monitoring import monitor
from common.lifecycle.training import train
from common.lifecycle.validation import validate
from projects.iris.model import SPEC
from projects.iris.settings import load_settings

MODEL = "test.iris.iris_model"


def test_species_names_become_class_numbers(spark):
    df = spark.createDataFrame([("setosa",), ("versicolor",), ("virginica",), ("rose",)], "species string")
    assert [r[0] for r in df.select(SPEC.label_values(F.col("species"))).collect()] == [0, 1, 2, None]


def test_a_misspelt_hyperparameter_names_the_file_and_the_closest_parameter(tmp_path):
    config = tmp_path / "project.yml"
    config.write_text("training:\n  hyperparameters:\n    max_iters: 100\nvalidation: {}\n")
    with pytest.raises(ValueError, match=r"project.yml: unknown .*'training.hyperparameters.max_iters'; "
                                         r"did you mean 'max_iter'\?"):
        load_settings(config_file=config)


def test_the_model_beats_the_baseline_is_promoted_and_scores_every_flower(spark, fe, flowers, schema):
    settings = load_settings()
    trained = train(spark, fe, SPEC, settings, raw_table=flowers["raw"], feature_table=flowers["features"],
                    model_name=MODEL, experiment_name="/tests/iris")
    assert trained.metrics["accuracy_score"] >= 0.95 > trained.baseline["accuracy_score"]

    outcome = validate(spark, fe, SPEC, settings, model_name=MODEL, version=trained.version,
                       raw_table=flowers["raw"], feature_table=flowers["features"], experiment_name="/tests/iris")
    assert outcome.status == "PASSED" and outcome.candidate_metrics["accuracy_score"] >= 0.9
    assert deploy(MODEL, trained.version).aliases == ["Challenger", "Champion"]

    predictions = f"{schema}.predictions"
    scored = batch_inference(spark, fe, SPEC, model_name=MODEL, input_table=flowers["raw"], output_table=predictions)
    assert scored.rows_scored == scored.table_rows == 150
    classes = {r.prediction for r in tables.read_table(spark, predictions).select("prediction").distinct().collect()}
    assert classes == {0.0, 1.0, 2.0}

    checked = monitor(spark, SPEC, settings.monitoring, predictions_table=predictions, labels_table=flowers["raw"],
                      monitoring_table=f"{schema}.monitoring")
    assert checked.labelled_rows == 150 and checked.metrics["accuracy"] >= 0.9 and not checked.retrain
    assert registry.version_by_alias(MODEL, "Champion").version == int(trained.version)
