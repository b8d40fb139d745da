"""The settings every project has (seed, holdout, hyperparameters, validation thresholds), loaded
from its config/project.yml over common/global-config.yml; a project adds its own sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from common.config import ConfigError, config_files, file_that_sets, load_config
from common.lifecycle.metrics import DRIFT_METHODS, HOLDOUT_METRICS, monitored_metrics
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


def accepted_parameters(model) -> set[str]:
    """The parameter names a model takes: its estimator parameters, and for a LightGBM model every
    parameter of the LightGBM library and their aliases too (its scikit-learn wrapper passes them on,
    e.g. `max_bin`), from the list the library itself gives."""
    names = set(model.get_params())
    try:
        from lightgbm import LGBMModel
        from lightgbm.basic import _ConfigAliases  # noqa: PLC2701 - LightGBM's alias table has no public accessor
    except ImportError:
        return names
    if isinstance(model, LGBMModel):
        # LightGBM has no public accessor for its parameter list; this is the one its wrapper uses.
        aliases = _ConfigAliases._get_all_param_aliases()  # noqa: SLF001 - see above
        names |= set(aliases) | {alias for group in aliases.values() for alias in group}
    return names


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
    model = spec.make_model({}, settings.seed)
    known = accepted_parameters(model)
    for name in settings.training.hyperparameters:
        if name not in known:
            # The estimator's own names first: LightGBM's aliases would suggest 'num_leaf' for 'num_leafs'.
            hint = (did_you_mean(name, sorted(model.get_params()), "; did you mean '{}'?")
                    or did_you_mean(name, sorted(known), "; did you mean '{}'?"))
            where = file_that_sets(files, f"training.hyperparameters.{name}")
            raise ConfigError(f"{where}: unknown {spec.library} parameter "
                              f"'training.hyperparameters.{name}'{hint}")
    holdout = HOLDOUT_METRICS[spec.problem]
    for name in settings.validation.thresholds:
        if name not in holdout:
            hint = did_you_mean(name, holdout, "; did you mean '{}'?")
            where = file_that_sets(files, f"validation.thresholds.{name}")
            raise ConfigError(f"{where}: 'validation.thresholds.{name}' is no holdout metric{hint} (validation "
                              f"compares {', '.join(holdout)})")
    measured = monitored_metrics(spec)
    for bound in ("minimum", "maximum"):
        for name in getattr(settings.monitoring, bound):
            if name not in measured:
                hint = did_you_mean(name, measured, "; did you mean '{}'?")
                where = file_that_sets(files, f"monitoring.{bound}.{name}")
                raise ConfigError(f"{where}: 'monitoring.{bound}.{name}' is no metric that monitoring "
                                  f"measures{hint} (it measures {', '.join(measured)})")
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
