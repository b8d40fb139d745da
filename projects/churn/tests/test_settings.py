import pytest

from common.config import ConfigError
from projects.churn.settings import PROJECT_CONFIG, load_settings


def test_project_settings_load_and_the_quick_variant_overrides_one_key():
    base, quick = load_settings(), load_settings("quick")
    assert base.training.hyperparameters["n_estimators"] == 200
    assert quick.training.hyperparameters["n_estimators"] == 50
    assert quick.training.hyperparameters["learning_rate"] == base.training.hyperparameters["learning_rate"]
    assert base.validation.thresholds["roc_auc"].threshold == 0.75


@pytest.mark.parametrize(("old", "new", "message"), [
    ("num_leaves:", "num_leafs:",
     r"unknown LightGBM parameter 'training.hyperparameters.num_leafs'; did you mean 'num_leaves'\?"),
    ("churn_rate_gap: 0.1", "churn_rate_gapp: 0.1",
     r"'monitoring.maximum.churn_rate_gapp' is no metric that monitoring measures; did you mean 'churn_rate_gap'\?"),
    ("    roc_auc:\n", "    roc_aucc:\n",
     r"'validation.thresholds.roc_aucc' is no holdout metric; did you mean 'roc_auc'\? \(validation compares "
     r"roc_auc, precision_recall_auc, f1_score"),
])
def test_misspelt_names_name_file_and_key(tmp_path, old, new, message):
    config = tmp_path / "project.yml"
    config.write_text(PROJECT_CONFIG.read_text().replace(old, new))
    with pytest.raises(ConfigError, match=message) as err:
        load_settings(config_file=config)
    assert str(config) in str(err.value)


def test_misspelt_threshold_key_names_file_and_key(tmp_path):
    config = tmp_path / "project.yml"
    config.write_text(PROJECT_CONFIG.read_text().replace("greater_is_better: true", "greater_is_beter: true", 1))
    with pytest.raises(ConfigError, match=r"unknown key 'validation.thresholds.roc_auc.greater_is_beter'"):
        load_settings(config_file=config)


def test_holdout_fraction_must_be_a_fraction(tmp_path):
    config = tmp_path / "project.yml"
    config.write_text(PROJECT_CONFIG.read_text() + "\nholdout_fraction: 1.5\n")
    with pytest.raises(ConfigError, match="holdout_fraction must be between 0 and 1"):
        load_settings(config_file=config)



def test_any_lightgbm_parameter_is_taken_and_reaches_the_model(tmp_path):
    from projects.churn.model import SPEC

    config = tmp_path / "project.yml"
    config.write_text(PROJECT_CONFIG.read_text().replace("  hyperparameters:\n", "  hyperparameters:\n    max_bin: 63\n", 1))
    settings = load_settings(config_file=config)
    assert SPEC.make_model(settings.training.hyperparameters, settings.seed).get_params()["max_bin"] == 63
    config.write_text(PROJECT_CONFIG.read_text().replace("  hyperparameters:\n", "  hyperparameters:\n    max_bim: 63\n", 1))
    with pytest.raises(ConfigError, match=r"unknown LightGBM parameter 'training.hyperparameters.max_bim'; "
                                          r"did you mean 'max_bin'\?"):
        load_settings(config_file=config)
