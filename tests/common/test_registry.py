"""Registration and aliases on the local registry, held to Unity Catalog's naming."""

import mlflow
import pytest
from sklearn.linear_model import LogisticRegression

from common import registry, runtime
from common.registry import FE_LOADER_MODULE, FE_RAW_MODEL_PATH, evaluation_model_uri


@pytest.fixture
def logged_model(spark, tmp_path):
    runtime.set_experiment("/tests/registry")
    X = [[0.0], [1.0], [2.0], [3.0]]
    with mlflow.start_run():
        return mlflow.sklearn.log_model(LogisticRegression().fit(X, [0, 0, 1, 1]), name="model",
                                        pip_requirements=["scikit-learn"])


@pytest.mark.parametrize("name", ["churn_model", "churn.churn_model", "dev.churn.churn-model", "a.b.c.d"])
def test_model_names_must_be_three_level(logged_model, name):
    with pytest.raises(ValueError, match=r"is not a Unity Catalog name catalog\.schema\.model"):
        registry.register(logged_model.model_uri, name)


def test_register_returns_each_new_version(logged_model, schema):
    name = f"{schema}.model"
    assert registry.register(logged_model.model_uri, name) == "1"
    assert registry.register(logged_model.model_uri, name) == "2"
    registry.set_alias(name, registry.CHAMPION, 2)
    assert registry.aliases_of(name, 2) == [registry.CHAMPION]


def test_evaluation_uses_the_raw_model_inside_a_feature_engineering_package(spark, tmp_path, schema):
    """FeatureEngineeringClient.log_model saves the trained model under data/feature_store/raw_model
    and logs a pyfunc wrapper around it; evaluation must reach the trained model."""
    raw = tmp_path / "feature_store" / "raw_model"
    X = [[0.0], [1.0], [2.0], [3.0]]
    mlflow.sklearn.save_model(LogisticRegression().fit(X, [0, 0, 1, 1]), raw, pip_requirements=["scikit-learn"])
    runtime.set_experiment("/tests/registry")
    with mlflow.start_run():
        packaged = mlflow.pyfunc.log_model(name="model", loader_module=FE_LOADER_MODULE,
                                           data_path=str(tmp_path / "feature_store"), pip_requirements=[])
    name = f"{schema}.packaged"
    uri = registry.model_uri(name, registry.register(packaged.model_uri, name))

    assert evaluation_model_uri(uri) == f"{uri}/{FE_RAW_MODEL_PATH}"
    model = mlflow.pyfunc.load_model(evaluation_model_uri(uri))
    assert list(model.predict([[0.0], [3.0]])) == [0, 1]


def test_evaluation_uses_a_locally_logged_model_itself(logged_model):
    assert evaluation_model_uri(logged_model.model_uri) == logged_model.model_uri
