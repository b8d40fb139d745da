"""The iris project's settings: config/project.yml over common/global-config.yml."""

from __future__ import annotations

from pathlib import Path

from common.lifecycle.settings import ModelSettings, load_model_settings
from projects.iris.model import SPEC

PROJECT_CONFIG = Path(__file__).resolve().parent / "config" / "project.yml"


def load_settings(variant: str | None = None, config_file: Path = PROJECT_CONFIG) -> ModelSettings:
    return load_model_settings(ModelSettings, SPEC, config_file, variant)
