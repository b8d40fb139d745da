"""The clv project's settings, in four layers, each overriding the one before key by key:

    common/global-config.yml          every project
    config/project.yml                the use case: both models, both countries
    config/models/<model>.yml         one model: its thresholds and monitoring limits
    config/countries/<country>.yml    one country: what its market needs of either model

The variant ("repurchase_de") picks the model's and the country's file; a mistake in any file is
one ConfigError naming that file and the key.
"""

from __future__ import annotations

from pathlib import Path

from common.config import layer_file
from common.lifecycle.settings import ModelSettings, load_model_settings
from projects.clv.model import spec_for, split_variant

CONFIG_DIR = Path(__file__).resolve().parent / "config"


def load_settings(variant: str | None = None, config_dir: Path = CONFIG_DIR) -> ModelSettings:
    model, country = split_variant(variant or "")
    layers = (layer_file(config_dir / "models", model, "model"), layer_file(config_dir / "countries", country, "country"))
    return load_model_settings(ModelSettings, spec_for(variant), config_dir / "project.yml", layers=layers)
