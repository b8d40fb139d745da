"""The settings every project has (seed, holdout, hyperparameters, validation thresholds), loaded
from its config/project.yml over common/global-config.yml; a project adds its own sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from common.config import ConfigError, load_config
from common.lifecycle.metrics import monitored_metrics
from common.lifecycle.spec import ModelSpec
from common.suggest import did_you_mean


@dataclass
class Threshold:
    """A validation threshold, as mlflow.models.MetricThreshold takes it."""

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
    """Limits on the Champion's quality once outcomes are known; a miss calls for a retrain.
    Metric names as common/lifecycle/monitoring.py measures them (metrics.monitored_metrics)."""

    minimum: dict[str, float] = field(default_factory=dict)
    maximum: dict[str, float] = field(default_factory=dict)


@dataclass
class ModelSettings:
    seed: int
    holdout_fraction: float
    training: Training
    validation: Validation
    monitoring: Monitoring = field(default_factory=Monitoring)


S = TypeVar("S", bound=ModelSettings)


def load_model_settings(cls: type[S], spec: ModelSpec, config_file: Path, variant: str | None = None) -> S:
    """`cls` (ModelSettings or a project's subclass) from `config_file` and its variant, checked:
    the holdout is a fraction, every hyperparameter is one the model factory knows, and every
    monitoring limit names a metric that monitoring measures."""
    settings = load_config(cls, config_file, variant or None)
    if not 0 < settings.holdout_fraction < 1:
        raise ConfigError(f"holdout_fraction must be between 0 and 1, not {settings.holdout_fraction}")
    model = spec.make_model({}, settings.seed)
    known = set(model.get_params())
    for name in settings.training.hyperparameters:
        if name not in known:
            hint = did_you_mean(name, sorted(known), "; did you mean '{}'?")
            raise ConfigError(f"{config_file}: unknown {spec.library} parameter "
                              f"'training.hyperparameters.{name}'{hint}")
    measured = monitored_metrics(spec)
    for bound in ("minimum", "maximum"):
        for name in getattr(settings.monitoring, bound):
            if name not in measured:
                hint = did_you_mean(name, measured, "; did you mean '{}'?")
                raise ConfigError(f"{config_file}: 'monitoring.{bound}.{name}' is no metric that monitoring "
                                  f"measures{hint} (it measures {', '.join(measured)})")
    return settings
