import shutil

import pytest

from common.config import ConfigError
from projects.clv.model import VARIANTS
from projects.clv.settings import CONFIG_DIR, load_settings


def test_every_variant_loads_and_each_layer_overrides_the_one_before():
    settings = {variant: load_settings(variant) for variant in VARIANTS}
    de, fr = settings["repurchase_de"], settings["repurchase_fr"]
    assert de.training.hyperparameters == settings["value_bucket_fr"].training.hyperparameters  # project.yml
    assert de.training.hyperparameters["n_jobs"] == 1
    # The model's file sets the roc_auc threshold, the country's file how much a Challenger must gain.
    assert (de.validation.thresholds["roc_auc"].threshold, settings["value_bucket_de"].validation.thresholds[
        "roc_auc"].threshold) == (0.75, 0.7)
    assert (de.validation.thresholds["roc_auc"].min_absolute_change,
            fr.validation.thresholds["roc_auc"].min_absolute_change) == (0.005, 0.001)
    assert de.monitoring.maximum == {"drift_share": 0.5, "repurchased_rate_gap": 0.15}
    assert settings["value_bucket_fr"].monitoring.maximum == {"drift_share": 0.5}


@pytest.fixture
def config(tmp_path):
    """A copy of config/ to change."""
    return shutil.copytree(CONFIG_DIR, tmp_path / "config")


def test_country_over_model_over_project_key_by_key(config):
    (config / "project.yml").write_text("training:\n  hyperparameters: {n_estimators: 10, num_leaves: 5, "
                                        "learning_rate: 0.1}\n")
    (config / "models" / "repurchase.yml").write_text("training:\n  hyperparameters: {n_estimators: 20, "
                                                      "num_leaves: 6}\nvalidation: {thresholds: {}}\n")
    (config / "countries" / "de.yml").write_text("training:\n  hyperparameters: {n_estimators: 30}\n")
    de, fr = load_settings("repurchase_de", config), load_settings("repurchase_fr", config)
    assert de.training.hyperparameters == {"n_estimators": 30, "num_leaves": 6, "learning_rate": 0.1}
    assert fr.training.hyperparameters == {"n_estimators": 20, "num_leaves": 6, "learning_rate": 0.1}
    assert load_settings("value_bucket_fr", config).training.hyperparameters["n_estimators"] == 10


@pytest.mark.parametrize(("text", "message"), [
    ("validaton:\n  thresholds: {}\n", r"unknown key 'validaton'; did you mean 'validation'\?"),
    ("training:\n  hyperparameters: {num_leafs: 7}\n",
     r"unknown LightGBM parameter 'training.hyperparameters.num_leafs'; did you mean 'num_leaves'\?"),
    ("validation:\n  thresholds:\n    roc_auc: {min_absolute_chnage: 0.01}\n",
     r"unknown key 'validation.thresholds.roc_auc.min_absolute_chnage'"),
    ("monitoring:\n  minimum: {acuracy: 0.5}\n", r"'monitoring.minimum.acuracy' is no metric that monitoring measures"),
    ("validation:\n  thresholds:\n    r2_score: {threshold: 0.1}\n",
     r"'validation.thresholds.r2_score' is no holdout metric.*compares accuracy_score, f1_score"),
])
def test_a_mistake_in_a_country_file_names_that_file(config, text, message):
    country = config / "countries" / "fr.yml"
    country.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        load_settings("value_bucket_fr", config)
    assert str(err.value).startswith(f"{country}: ")
    load_settings("value_bucket_de", config)  # the other country is fine


def test_a_missing_layer_file_is_named_with_the_ones_there_are(config):
    (config / "countries" / "fr.yml").unlink()
    with pytest.raises(ConfigError, match=rf"Unknown country 'fr': no {config}/countries/fr.yml; countries: de"):
        load_settings("repurchase_fr", config)
