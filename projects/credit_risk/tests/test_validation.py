from copy import deepcopy

import mlflow
import pytest

from common import registry
from common.lifecycle.deployment import deploy
from common.lifecycle.settings import Threshold
from common.lifecycle.validation import ModelValidationFailed, validate
from projects.credit_risk.model import SPEC


def test_a_precision_recall_auc_the_model_misses_fails_validation_and_promotes_nothing(
        spark, fe, applications, sample_settings, trained, registered_copy):
    model_name, version = registered_copy.model_name, registered_copy.version
    settings = deepcopy(sample_settings)  # the session's own stay as they are
    settings.validation.thresholds = {
        "roc_auc": Threshold(threshold=0.6),
        "precision_recall_auc": Threshold(threshold=0.99),
    }
    with pytest.raises(ModelValidationFailed, match=rf"{model_name} version {version} failed validation: "
                                                   r".*precision_recall_auc"):
        validate(spark, fe, SPEC, settings, model_name=model_name, version=version,
                 raw_table=applications.raw, feature_table=applications.features,
                 experiment_name=applications.experiment)
    tags = registry.get_version(model_name, version).tags
    assert tags["validation_status"] == "FAILED"
    assert "roc_auc" not in tags["validation_message"]  # the metric it clears is not blamed
    # mlflow.models.evaluate's precision_recall_auc is the one training logged, on the same holdout.
    logged = mlflow.get_run(trained.run_id).data.metrics
    assert float(tags["validation_precision_recall_auc"]) == pytest.approx(logged["precision_recall_auc"], abs=1e-4)
    assert not deploy(model_name, version).promoted
    assert registry.version_by_alias(model_name, "Champion") is None
