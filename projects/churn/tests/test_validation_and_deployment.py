from dataclasses import replace

import pandas as pd
import pytest

from common import registry
from common.lifecycle.deployment import deploy
from common.lifecycle.settings import Threshold
from common.lifecycle.training_set import build_training_set
from common.lifecycle.validation import ModelValidationFailed, thresholds_for, validate
from projects.churn.model import SPEC


def _validate(spark, fe, shared, settings, trained, mode="enabled"):
    return validate(spark, fe, SPEC, settings, model_name=trained.model_name, version=trained.version,
                    raw_table=shared.raw, feature_table=shared.features, experiment_name=shared.experiment, mode=mode)


def _tags(trained):
    return registry.get_version(trained.model_name, trained.version).tags


def test_change_thresholds_apply_only_when_there_is_a_champion(settings):
    alone, against = thresholds_for(settings, False), thresholds_for(settings, True)
    assert alone["roc_auc"].min_absolute_change is None and alone["roc_auc"].threshold == 0.6
    assert against["roc_auc"].min_absolute_change == 0.001
    settings.validation.thresholds["log_loss"] = Threshold(min_relative_change=0.1, greater_is_better=False)
    assert "log_loss" not in thresholds_for(settings, False)


def test_first_model_passes_on_thresholds_alone_and_becomes_champion(spark, fe, shared, settings, trained):
    outcome = _validate(spark, fe, shared, settings, trained)
    assert outcome.status == "PASSED" and outcome.champion_version is None
    assert outcome.candidate_metrics["roc_auc"] > 0.6
    assert _tags(trained)["validation_status"] == "PASSED"
    result = deploy(trained.model_name, trained.version)
    assert result.promoted and result.aliases == ["Challenger", "Champion"]


def test_a_challenger_no_better_than_the_champion_is_not_promoted(spark, fe, shared, settings, trained):
    registry.set_alias(trained.model_name, registry.CHAMPION, trained.version)
    # The same model registered again as the Challenger: it cannot beat the Champion by 0.001.
    source = registry.get_version(trained.model_name, trained.version).source
    again = replace(trained, version=registry.register(source, trained.model_name))
    registry.set_alias(trained.model_name, registry.CHALLENGER, again.version)
    with pytest.raises(ModelValidationFailed, match=rf"version {again.version} failed validation: .*roc_auc"):
        _validate(spark, fe, shared, settings, again)
    tags = _tags(again)
    assert tags["validation_status"] == "FAILED"
    assert tags["validation_compared_with"] == trained.version
    result = deploy(trained.model_name, again.version)
    assert not result.promoted
    assert str(registry.version_by_alias(trained.model_name, "Champion").version) == trained.version
    assert str(registry.version_by_alias(trained.model_name, "Challenger").version) == again.version


def test_dry_run_records_a_failure_without_raising(spark, fe, shared, settings, trained):
    settings.validation.thresholds = {"roc_auc": Threshold(threshold=0.999)}
    outcome = _validate(spark, fe, shared, settings, trained, mode="dry_run")
    assert outcome.status == "FAILED" and "roc_auc" in outcome.message
    assert _tags(trained)["validation_mode"] == "dry_run"
    assert not deploy(trained.model_name, trained.version).promoted
    assert registry.version_by_alias(trained.model_name, "Champion") is None


def test_disabled_validation_skips_and_allows_deployment(spark, fe, shared, settings, trained):
    outcome = _validate(spark, fe, shared, settings, trained, mode="disabled")
    assert outcome.status == "SKIPPED" and outcome.candidate_metrics == {}
    assert deploy(trained.model_name, trained.version).promoted


def test_bad_mode_unknown_version_and_unvalidated_deploy_are_named(spark, fe, shared, settings, trained):
    with pytest.raises(LookupError, match=rf"{trained.model_name} has no version 99"):
        _validate(spark, fe, shared, settings, replace(trained, version="99"))
    with pytest.raises(ValueError, match=rf"version {trained.version} has no validation verdict"):
        deploy(trained.model_name, trained.version)
    with pytest.raises(LookupError, match=rf"{trained.model_name} has no version 99"):
        deploy(trained.model_name, "99")
    with pytest.raises(ValueError, match="Unknown validation mode 'strict' .*; modes: disabled, dry_run, enabled"):
        _validate(spark, fe, shared, settings, trained, mode="strict")
    # A refused run mode is a verdict too: the version can never be promoted on no judgement.
    assert _tags(trained)["validation_status"] == "ERROR"
    assert "Unknown validation mode 'strict'" in _tags(trained)["validation_message"]
    with pytest.raises(ValueError, match=rf"version {trained.version} could not be validated, so it cannot become"):
        deploy(trained.model_name, trained.version)
    assert registry.aliases_of(trained.model_name, trained.version) == ["Challenger"]


def test_a_version_validation_cannot_judge_gets_the_verdict_error_until_judged(spark, fe, shared, settings, trained):
    missing = replace(shared, raw="test.churn_shared.no_such_table")
    with pytest.raises(LookupError, match="Table test.churn_shared.no_such_table does not exist"):
        _validate(spark, fe, missing, settings, trained, mode="dry_run")  # whatever the mode
    tags = _tags(trained)
    assert tags["validation_status"] == "ERROR" and "no_such_table does not exist" in tags["validation_message"]
    with pytest.raises(ValueError, match="could not be validated"):
        deploy(trained.model_name, trained.version)
    assert registry.version_by_alias(trained.model_name, "Champion") is None
    # Fixed and validated again, it gets a real verdict, and the old cause goes.
    assert _validate(spark, fe, shared, settings, trained).status == "PASSED"
    assert _tags(trained)["validation_message"] == ""
    assert deploy(trained.model_name, trained.version).promoted


def test_a_version_judged_against_one_champion_is_not_promoted_over_another(spark, fe, shared, settings, trained):
    """Two trainings at once both validate against "no Champion"; the second to deploy is refused."""
    assert _validate(spark, fe, shared, settings, trained).status == "PASSED"
    assert _tags(trained)["validation_compared_with"] == "none"
    source = registry.get_version(trained.model_name, trained.version).source
    other = registry.register(source, trained.model_name)
    registry.set_alias(trained.model_name, registry.CHAMPION, other)  # the other training got there first
    with pytest.raises(RuntimeError, match=rf"version {trained.version} was validated against no Champion, but the "
                                           rf"Champion is now version {other}: validate it again"):
        deploy(trained.model_name, trained.version)
    assert str(registry.version_by_alias(trained.model_name, "Champion").version) == other
    assert registry.aliases_of(trained.model_name, trained.version) == ["Challenger"]
    # Judged again, against that Champion, it is no better than itself: not promoted, and said so.
    with pytest.raises(ModelValidationFailed):
        _validate(spark, fe, shared, settings, trained)
    assert not deploy(trained.model_name, trained.version).promoted


def _champion_on_features(spark, fe, shared, trained, feature: str, values: str) -> str:
    """A Champion fitted on one feature, `feature`, whose values are the training rows' `values`."""
    import mlflow
    from lightgbm import LGBMClassifier

    _, pdf = build_training_set(spark, fe, SPEC, shared.raw, shared.features)
    X = pd.DataFrame({feature: pdf[values]})
    model = LGBMClassifier(n_estimators=20, verbose=-1).fit(X, pdf[SPEC.label])
    with mlflow.start_run(run_name="an older Champion"):
        info = mlflow.sklearn.log_model(model, name="model", signature=mlflow.models.infer_signature(X),
                                        skops_trusted_types=list(SPEC.skops_trusted_types))
    version = registry.register(info.model_uri, trained.model_name)
    registry.set_alias(trained.model_name, registry.CHAMPION, version)
    return version


def test_a_champion_trained_on_fewer_features_is_scored_on_its_own(spark, fe, shared, settings, trained):
    version = _champion_on_features(spark, fe, shared, trained, "tenure_months", "tenure_months")
    outcome = _validate(spark, fe, shared, settings, trained, mode="dry_run")
    assert outcome.champion_version == version and outcome.champion_metrics["roc_auc"] > 0.6
    assert "not compared" not in outcome.message  # compared, whichever wins


def test_a_champion_needing_a_feature_that_is_gone_is_not_compared_and_blocks_nothing(spark, fe, shared, settings,
                                                                                       trained):
    version = _champion_on_features(spark, fe, shared, trained, "dropped_feature", "tenure_months")
    outcome = _validate(spark, fe, shared, settings, trained)
    assert outcome.status == "PASSED" and outcome.champion_metrics == {}
    assert f"Champion version {version} not compared" in outcome.message and "dropped_feature" in outcome.message
    assert _tags(trained)["validation_compared_with"] == version
    assert deploy(trained.model_name, trained.version).promoted
