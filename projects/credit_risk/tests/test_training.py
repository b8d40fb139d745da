import mlflow
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from common import registry
from common.lifecycle.training_set import build_training_set, feature_columns, split_holdout
from projects.credit_risk.model import SPEC, imbalance_notes
from projects.credit_risk.settings import load_settings


def test_the_project_settings_weigh_the_classes_and_threshold_a_precision_recall_metric():
    settings = load_settings()
    assert settings.training.hyperparameters["class_weight"] == "balanced"
    assert settings.training.hyperparameters["n_jobs"] == 1
    assert set(settings.validation.thresholds) == {"roc_auc", "precision_recall_auc"}
    assert settings.validation.thresholds["roc_auc"].min_absolute_change == 0.001
    assert set(settings.monitoring.maximum) == {"status_rate_gap", "drift_share"}


def test_the_imbalance_note_says_what_the_hyperparameters_did():
    labels = pd.Series([1, 0, 0, 0])
    balanced = imbalance_notes({"class_weight": "balanced"}, labels)
    assert balanced["imbalance_handling"].startswith("class_weight=balanced: a bad application weighs 3.00 times")
    assert balanced["training_bad_rate"] == "0.250"
    assert imbalance_notes({}, labels)["imbalance_handling"].startswith("none")
    assert imbalance_notes({"scale_pos_weight": 2.5}, labels)["imbalance_handling"].startswith("scale_pos_weight=2.5")


def test_training_registers_a_challenger_that_records_its_imbalance_handling(spark, fe, applications,
                                                                               sample_settings, trained):
    assert "Challenger" in registry.aliases_of(trained.model_name, trained.version)
    _, pdf = build_training_set(spark, fe, SPEC, applications.raw, applications.features)
    rows, holdout = split_holdout(SPEC, pdf, sample_settings.holdout_fraction)
    expected = imbalance_notes(sample_settings.training.hyperparameters, rows["status"])
    assert expected["imbalance_handling"].startswith("class_weight=balanced")
    tags = registry.get_version(trained.model_name, trained.version).tags
    assert {k: tags[k] for k in expected} == expected
    assert {k: mlflow.get_run(trained.run_id).data.tags[k] for k in expected} == expected

    # precision_recall_auc is average precision on the holdout, as mlflow.models.evaluate computes it.
    model = mlflow.sklearn.load_model(registry.model_uri(trained.model_name, trained.version))
    bad_probability = model.predict_proba(holdout[feature_columns(SPEC, pdf)])[:, 1]
    logged = mlflow.get_run(trained.run_id).data.metrics
    assert logged["precision_recall_auc"] == pytest.approx(average_precision_score(holdout["status"], bad_probability))
    # The baseline predicts the training bad rate for everyone: no ranking, and an average precision
    # of the holdout's bad rate. The model beats both.
    assert logged["baseline_roc_auc"] == 0.5
    assert logged["baseline_precision_recall_auc"] == pytest.approx(holdout["status"].mean())
    assert logged["roc_auc"] > logged["baseline_roc_auc"] + 0.1
    assert logged["precision_recall_auc"] > logged["baseline_precision_recall_auc"] + 0.1
