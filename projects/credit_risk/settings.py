"""The credit risk project's settings: config/project.yml and its variants over
common/global-config.yml, in the shape every project shares (common/lifecycle/settings.py)."""

from __future__ import annotations

from pathlib import Path

from common.lifecycle.settings import ModelSettings, load_model_settings
from projects.credit_risk.model import SPEC

PROJECT_CONFIG = Path(__file__).resolve().parent / "config" / "project.yml"


def load_settings(variant: str | None = None, config_file: Path = PROJECT_CONFIG) -> ModelSettings:
    return load_model_settings(ModelSettings, SPEC, config_file, variant)
