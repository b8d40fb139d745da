from pathlib import Path

import mlflow
import pandas as pd
import pytest

from common import registry, tables
from common.lifecycle.training import train
from common.lifecycle.training_set import build_training_set, feature_columns, split_holdout
from projects.churn.model import SPEC


def test_holdout_split_is_stable_disjoint_and_near_the_fraction():
    pdf = pd.DataFrame({"customer_id": [f"C{i}" for i in range(2000)]})
    train_a, hold_a = split_holdout(SPEC, pdf, 0.2)
    _train_b, hold_b = split_holdout(SPEC, pdf.sample(frac=1, random_state=3), 0.2)
    assert set(hold_a.customer_id) == set(hold_b.customer_id)  # row order does not matter
    assert not set(hold_a.customer_id) & set(train_a.customer_id)
    assert len(hold_a) + len(train_a) == 2000
    assert 0.17 < len(hold_a) / 2000 < 0.23
    # A smaller holdout is part of a larger one: the entities' places never move.
    assert set(split_holdout(SPEC, pdf, 0.1)[1].customer_id) < set(hold_a.customer_id)


def test_training_set_has_one_row_per_label_with_its_features(spark, fe, shared):
    _, pdf = build_training_set(spark, fe, SPEC, shared.raw, shared.features)
    assert len(pdf) == 600
    assert set(pdf["churn"]) == {0, 1}
    assert "observed_at" not in pdf.columns
    assert pdf[feature_columns(SPEC, pdf)].notna().all().all()


def test_train_registers_a_challenger_with_signature_metrics_and_plots(trained, shared):
    assert registry.aliases_of(trained.model_name, trained.version) == ["Challenger"]
    run = mlflow.get_run(trained.run_id)
    assert run.data.metrics["roc_auc"] == pytest.approx(trained.metrics["roc_auc"])
    assert run.data.params["n_estimators"] == "50"
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(trained.run_id, "plots")}
    assert artifacts == {"plots/roc_curve.png", "plots/confusion_matrix.png", "plots/feature_importance.png"}
    info = mlflow.models.get_model_info(registry.model_uri(trained.model_name, trained.version))
    assert "contract_months" in info.signature.inputs.input_names()
    assert "customer_id" not in info.signature.inputs.input_names()
    model = mlflow.sklearn.load_model(registry.model_uri(trained.model_name, trained.version))
    assert type(model).__name__ == "LGBMClassifier"
    requirements = mlflow.pyfunc.get_model_dependencies(registry.model_uri(trained.model_name, trained.version))
    assert any(line.startswith("lightgbm==") for line in Path(requirements).read_text().splitlines())
    assert "lightgbm.sklearn.LGBMClassifier" in SPEC.skops_trusted_types


def test_missing_label_column_is_named_and_registers_nothing(spark, fe, shared, settings, schema):
    raw = f"{schema}.raw"
    tables.write_table(spark, tables.read_table(spark, shared.raw).drop("churn"), raw)
    model = f"{schema}.model"
    with pytest.raises(ValueError, match=rf"Table {raw} has no column 'churn'"):
        train(spark, fe, SPEC, settings, raw_table=raw, feature_table=shared.features, model_name=model,
              experiment_name=shared.experiment)
    with pytest.raises(LookupError):
        registry.get_version(model, 1)
