"""The churn project's settings: the schema of config/project.yml and its variants."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.config import ConfigError, load_config
from common.suggest import did_you_mean

PROJECT_CONFIG = Path(__file__).resolve().parent / "config" / "project.yml"


@dataclass
class Threshold:
    threshold: float | None = None
    min_absolute_change: float | None = None
    min_relative_change: float | None = None
    greater_is_better: bool = True


@dataclass
class Training:
    hyperparameters: dict[str, int | float | str | bool] = field(default_factory=dict)


@dataclass
class Validation:
    thresholds: dict[str, Threshold] = field(default_factory=dict)


@dataclass
class Monitoring:
    """When the Champion's scored customers, once their outcome is known, call for a retrain."""

    min_accuracy: float = 0.7
    min_f1_score: float = 0.4
    # Largest gap allowed between the predicted and the observed churn rate.
    max_churn_rate_gap: float = 0.1


@dataclass
class ChurnSettings:
    seed: int
    holdout_fraction: float
    training: Training
    validation: Validation
    monitoring: Monitoring = field(default_factory=Monitoring)


def load_settings(variant: str | None = None, config_file: Path = PROJECT_CONFIG) -> ChurnSettings:
    settings = load_config(ChurnSettings, config_file, variant or None)
    if not 0 < settings.holdout_fraction < 1:
        raise ConfigError(f"holdout_fraction must be between 0 and 1, not {settings.holdout_fraction}")
    _check_hyperparameters(settings.training.hyperparameters, config_file)
    return settings


def _check_hyperparameters(params: dict, config_file: Path) -> None:
    from lightgbm import LGBMClassifier

    known = set(LGBMClassifier().get_params())
    for name in params:
        if name not in known:
            hint = did_you_mean(name, sorted(known), "; did you mean '{}'?")
            raise ConfigError(f"{config_file}: unknown LightGBM parameter 'training.hyperparameters.{name}'{hint}")
