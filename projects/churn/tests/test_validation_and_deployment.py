from dataclasses import replace

import pytest

from common import registry
from common.lifecycle.deployment import deploy
from common.lifecycle.settings import Threshold
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
    with pytest.raises(ValueError, match="Unknown validation mode 'strict'; modes: disabled, dry_run, enabled"):
        _validate(spark, fe, shared, settings, trained, mode="strict")
    with pytest.raises(ValueError, match=rf"version {trained.version} has no validation verdict"):
        deploy(trained.model_name, trained.version)
    with pytest.raises(LookupError, match=rf"{trained.model_name} has no version 99"):
        deploy(trained.model_name, "99")
    assert registry.aliases_of(trained.model_name, trained.version) == ["Challenger"]
