"""The settings every project has (seed, holdout, hyperparameters, validation thresholds), loaded
from its config/project.yml over common/global-config.yml; a project adds its own sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from common.config import ConfigError, config_files, file_that_sets, load_config
from common.lifecycle.hyperparameters import check_hyperparameters
from common.lifecycle.metrics import DRIFT_METHODS, HOLDOUT_METRICS, UNBOUNDED_METRICS, monitored_metrics
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
class Drift:
    """How the report tests each feature column for drift: an Evidently drift method for numeric
    columns (metrics.DRIFT_METHODS) and the score that counts as drifted. Empty and 0: Evidently
    picks both per column (K-S below 1000 rows, normed Wasserstein distance 0.1 above)."""

    method: str = ""
    threshold: float = 0.0


@dataclass
class Monitoring:
    """Limits on the Champion's quality once outcomes are known; a miss calls for a retrain.
    Metric names as common/lifecycle/monitoring.py measures them (metrics.monitored_metrics)."""

    minimum: dict[str, float] = field(default_factory=dict)
    maximum: dict[str, float] = field(default_factory=dict)
    drift: Drift = field(default_factory=Drift)


@dataclass
class ModelSettings:
    seed: int
    holdout_fraction: float
    training: Training
    validation: Validation
    monitoring: Monitoring = field(default_factory=Monitoring)


S = TypeVar("S", bound=ModelSettings)


def load_model_settings(cls: type[S], spec: ModelSpec, config_file: Path, variant: str | None = None,
                        layers: tuple[Path, ...] = ()) -> S:
    """`cls` (ModelSettings or a project's subclass) from `config_file`, its variant and any further
    `layers` (e.g. a model's and a country's file), checked: the holdout is a fraction, every
    hyperparameter is one the model factory knows, every validation threshold names a holdout metric
    and every monitoring limit a metric that monitoring measures. An error names the file that set the key."""
    settings = load_config(cls, config_file, variant or None, layers)
    files = config_files(config_file, variant or None, layers)
    if not 0 < settings.holdout_fraction < 1:
        raise ConfigError(f"{file_that_sets(files, 'holdout_fraction')}: holdout_fraction must be between 0 and 1, "
                          f"not {settings.holdout_fraction}")
    check_hyperparameters(spec, settings.training.hyperparameters, settings.seed, files)
    holdout = HOLDOUT_METRICS[spec.problem]
    for name, threshold in settings.validation.thresholds.items():
        if name not in holdout:
            hint = did_you_mean(name, holdout, "; did you mean '{}'?")
            where = file_that_sets(files, f"validation.thresholds.{name}")
            raise ConfigError(f"{where}: 'validation.thresholds.{name}' is no holdout metric{hint} (validation "
                              f"compares {', '.join(holdout)})")
        _check_threshold(name, threshold, files)
    measured = monitored_metrics(spec)
    for bound in ("minimum", "maximum"):
        for name, limit in getattr(settings.monitoring, bound).items():
            key = f"monitoring.{bound}.{name}"
            if name not in measured:
                hint = did_you_mean(name, measured, "; did you mean '{}'?")
                raise ConfigError(f"{file_that_sets(files, key)}: '{key}' is no metric that monitoring "
                                  f"measures{hint} (it measures {', '.join(measured)})")
            _check_range(key, limit, name, files)
    drift = settings.monitoring.drift
    if drift.method and drift.method not in DRIFT_METHODS:
        hint = did_you_mean(drift.method, DRIFT_METHODS, "; did you mean '{}'?")
        raise ConfigError(f"{file_that_sets(files, 'monitoring.drift.method')}: 'monitoring.drift.method' "
                          f"{drift.method!r} is no drift method for numeric columns{hint} "
                          f"(Evidently's are {', '.join(DRIFT_METHODS)})")
    if drift.threshold < 0:
        raise ConfigError(f"{file_that_sets(files, 'monitoring.drift.threshold')}: 'monitoring.drift.threshold' "
                          f"must be a positive score (0: the method's own), not {drift.threshold}")
    return settings


def _check_range(key: str, value: float | None, metric: str, files: list[Path]) -> None:
    """A limit on a share (accuracy, a rate, drift_share, ...) lies in [0, 1]; an error (RMSE) is not negative."""
    if value is None:
        return
    share = metric not in UNBOUNDED_METRICS
    low, high = (0.0, 1.0) if share else (0.0, float("inf"))
    if metric == "r2_score":
        low, high = float("-inf"), 1.0
    if not low <= value <= high:
        rule = "between 0 and 1" if share else ("at most 1" if metric == "r2_score" else "at least 0")
        raise ConfigError(f"{file_that_sets(files, key)}: '{key}' must be {rule} ({metric} cannot be "
                          f"anything else), not {value}")


def _check_threshold(name: str, threshold: Threshold, files: list[Path]) -> None:
    """A threshold checks something, and MLflow's MetricThreshold takes it as written."""
    from mlflow.models import MetricThreshold

    key = f"validation.thresholds.{name}"
    values = (threshold.threshold, threshold.min_absolute_change, threshold.min_relative_change)
    if all(v is None for v in values):
        raise ConfigError(f"{file_that_sets(files, key)}: '{key}' sets none of threshold, min_absolute_change, "
                          "min_relative_change, so it would check nothing: give it a value or remove it")
    try:
        MetricThreshold(threshold=threshold.threshold, min_absolute_change=threshold.min_absolute_change,
                        min_relative_change=threshold.min_relative_change,
                        greater_is_better=threshold.greater_is_better)
    except Exception as exc:  # MLflow's own check, e.g. "`min_absolute_change` parameter must be a positive number."
        reason = str(exc).removeprefix("Could not instantiate MetricThreshold class: ").strip()
        raise ConfigError(f"{file_that_sets(files, key)}: '{key}' is refused by MLflow: {reason}") from None
    _check_range(f"{key}.threshold", threshold.threshold, name, files)
