"""Bad configuration, for every project (found as common/projects.py finds them, so a new project is
covered the day it is added): each mistake is one ConfigError naming the file and the key, raised
when the settings are loaded, before a job reads or writes anything.

Each test works on a copy of the project's config/ folder, loaded through the project's own
`load_settings(variant, <its config file or folder>)`.
"""

from __future__ import annotations

import inspect
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from common.config import GLOBAL_CONFIG, ConfigError
from common.env import REPO_ROOT
from common.lifecycle.metrics import HOLDOUT_METRICS, UNBOUNDED_METRICS, monitored_metrics
from common.projects import discover_projects, model_spec, project_module

PROJECTS = discover_projects()


def _variants(project: str) -> list[str]:
    """The variants a project's jobs may name: its model.py's VARIANTS (a project of several models)
    or the files of config/variants/."""
    model = project_module(project, "model")
    if hasattr(model, "VARIANTS"):
        return list(model.VARIANTS)
    return sorted(p.stem for p in (REPO_ROOT / "projects" / project / "config" / "variants").glob("*.yml"))


def _layer_files(project: str) -> list[tuple[str, str]]:
    """(project, file) for every config file of a project but project.yml: its variants' and layers'."""
    folder = REPO_ROOT / "projects" / project / "config"
    return [(project, str(p.relative_to(folder))) for p in sorted(folder.rglob("*.yml")) if p.name != "project.yml"]


LAYER_FILES = [pair for project in PROJECTS for pair in _layer_files(project)]


@dataclass
class Config:
    """A project's config folder, copied: edit its files, then load them as the project does."""

    project: str
    folder: Path
    target: Path  # what load_settings takes: the copy of its config file or folder
    variant: str | None  # the variant a job runs without one; a project of several models needs one

    @property
    def project_yml(self) -> Path:
        return self.folder / "project.yml"

    def load(self, variant: str | None = None):
        load_settings = project_module(self.project, "settings").load_settings
        return load_settings(variant or self.variant, self.target)

    def spec(self):
        return model_spec(self.project, self.variant or "")

    def edit(self, relative: str, change) -> Path:
        """Apply `change` to the mapping in a file of the copy, and write it back."""
        path = self.folder / relative
        data = yaml.safe_load(path.read_text()) or {}
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    def set(self, relative: str, dotted: str, value) -> Path:
        def change(data):
            *parents, last = dotted.split(".")
            for key in parents:
                data = data.setdefault(key, {})
            data[last] = value
        return self.edit(relative, change)


@pytest.fixture(params=PROJECTS)
def config(request, tmp_path) -> Config:
    return _copy(request.param, tmp_path)


def _copy(project: str, tmp_path: Path) -> Config:
    source = REPO_ROOT / "projects" / project / "config"
    folder = tmp_path / "config"
    shutil.copytree(source, folder)
    # The second parameter of load_settings: the project's config file, or its config folder (clv).
    where = list(inspect.signature(project_module(project, "settings").load_settings).parameters.values())[1]
    target = folder / Path(where.default).relative_to(source)
    model = project_module(project, "model")
    return Config(project, folder, target, _variants(project)[0] if hasattr(model, "spec_for") else None)


def _error(config: Config, variant: str | None = None) -> str:
    with pytest.raises(ConfigError) as err:
        config.load(variant)
    return str(err.value)


def test_the_copies_load_as_the_projects_do(config):
    """The ground the other tests stand on: an unchanged copy loads."""
    assert 0 < config.load().holdout_fraction < 1


def test_a_misspelt_key_names_the_file_the_key_and_the_name_meant(config):
    config.set("project.yml", "holdout_fractoin", 0.3)
    assert _error(config) == (f"{config.project_yml}: unknown key 'holdout_fractoin'; did you mean "
                              "'holdout_fraction'?")


def test_a_misspelt_hyperparameter_names_the_file_and_the_parameter_meant(config):
    name = next(iter(yaml.safe_load(config.project_yml.read_text())["training"]["hyperparameters"]))
    config.set("project.yml", f"training.hyperparameters.{name}x", 1)
    assert _error(config) == (f"{config.project_yml}: unknown {config.spec().library} parameter "
                              f"'training.hyperparameters.{name}x'; did you mean '{name}'?")


def _numeric_parameter(config: Config) -> tuple[str, object]:
    """A parameter of the model whose default is a number, which no config file sets."""
    spec = config.spec()
    written = set(config.load().training.hyperparameters)
    return next((name, default) for name, default in spec.make_model({}, 0).get_params().items()
                if isinstance(default, (int, float)) and not isinstance(default, bool) and name not in written)


def test_a_string_where_a_number_goes_names_the_file_and_the_parameter(config):
    """Before, the model library raised a TypeError at training, naming neither."""
    name, default = _numeric_parameter(config)
    config.set("project.yml", f"training.hyperparameters.{name}", "fast")
    assert _error(config) == (f"{config.project_yml}: 'training.hyperparameters.{name}' must be a number "
                              f"({config.spec().library}'s default is {default}), not 'fast'")


def test_a_hyperparameter_out_of_its_range_is_refused_by_the_library_naming_the_file(config):
    written = yaml.safe_load(config.project_yml.read_text())["training"]["hyperparameters"]
    loaded = config.load().training.hyperparameters
    # The first number project.yml sets that no later file overrides (a count of trees, a strength...).
    name = next(k for k, v in written.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                and loaded[k] == v)
    config.set("project.yml", f"training.hyperparameters.{name}", -7)
    message = _error(config)
    assert message.startswith(f"{config.project_yml}: 'training.hyperparameters.{name}' = -7 is refused by "
                              f"{config.spec().library}: ")
    assert "\n" not in message and ".cpp" not in message  # one line, no place in the library's C++ sources


def test_a_key_with_no_value_says_so(config):
    config.set("project.yml", "holdout_fraction", None)
    assert _error(config) == f"{config.project_yml}: key 'holdout_fraction' has no value; it must be float"


def test_a_missing_required_section_names_where_to_set_it(config):
    for path in config.folder.rglob("*.yml"):
        config.edit(str(path.relative_to(config.folder)), lambda data: data.pop("training", None))
    assert _error(config) == (f"Missing required key 'training' (a mapping): set it in {config.project_yml} "
                              f"(or for every project in {GLOBAL_CONFIG})")


def test_a_wrong_type_names_the_file_and_the_key(config):
    config.set("project.yml", "seed", "forty-two")
    assert _error(config) == f"{config.project_yml}: key 'seed' must be int, not 'forty-two'"


@pytest.mark.parametrize("fraction", [0, 1.5])
def test_a_holdout_fraction_out_of_range(config, fraction):
    config.set("project.yml", "holdout_fraction", fraction)
    assert _error(config) == (f"{config.project_yml}: holdout_fraction must be between 0 and 1, "
                              f"not {float(fraction)}")


def _unset(config: Config, names, already) -> str:
    """The first of `names` no config file sets (so that no later file overrides what a test writes)."""
    return next(name for name in names if name not in already)


def test_a_monitoring_limit_out_of_its_metric_range(config):
    bounded = [m for m in monitored_metrics(config.spec()) if m not in UNBOUNDED_METRICS]
    metric = _unset(config, bounded, config.load().monitoring.minimum)
    config.set("project.yml", f"monitoring.minimum.{metric}", 7)
    assert _error(config) == (f"{config.project_yml}: 'monitoring.minimum.{metric}' must be between 0 and 1 "
                              f"({metric} cannot be anything else), not 7.0")


def test_a_misspelt_monitoring_metric_is_refused_at_load(config):
    """Before, a limit on a metric monitoring does not measure was never checked."""
    metric = monitored_metrics(config.spec())[0]
    config.set("project.yml", f"monitoring.maximum.{metric}s", 0.5)
    assert _error(config).startswith(f"{config.project_yml}: 'monitoring.maximum.{metric}s' is no metric that "
                                     f"monitoring measures; did you mean '{metric}'?")


def test_a_misspelt_threshold_metric_is_refused_at_load(config):
    """Before, it reached validation, and in dry_run silently blocked every promotion."""
    metric = HOLDOUT_METRICS[config.spec().problem][0]
    config.set("project.yml", f"validation.thresholds.{metric}x", {"threshold": 0.5})
    assert _error(config).startswith(f"{config.project_yml}: 'validation.thresholds.{metric}x' is no holdout "
                                     f"metric; did you mean '{metric}'?")


def test_a_threshold_mlflow_would_refuse_is_refused_at_load(config):
    metric = _unset(config, HOLDOUT_METRICS[config.spec().problem], config.load().validation.thresholds)
    config.set("project.yml", f"validation.thresholds.{metric}", {"threshold": 0.5, "min_absolute_change": -0.1})
    assert _error(config) == (f"{config.project_yml}: 'validation.thresholds.{metric}' is refused by MLflow: "
                              "`min_absolute_change` parameter must be a positive number.")


def test_a_threshold_with_no_value_would_check_nothing_and_is_refused(config):
    metric = _unset(config, HOLDOUT_METRICS[config.spec().problem], config.load().validation.thresholds)
    config.set("project.yml", f"validation.thresholds.{metric}", {"threshold": None})
    assert _error(config) == (f"{config.project_yml}: 'validation.thresholds.{metric}' sets none of threshold, "
                              "min_absolute_change, min_relative_change, so it would check nothing: give it a "
                              "value or remove it")


def test_a_yaml_syntax_error_keeps_the_file_line_and_column(config):
    lines = config.project_yml.read_text().splitlines()
    config.project_yml.write_text("\n".join([*lines, "broken: [1, 2", "seed: 3"]) + "\n")
    opened = len(lines) + 1
    assert re.fullmatch(rf"{re.escape(str(config.project_yml))}:{opened + 1}:5: not valid YAML: expected ',' or "
                        rf"'\]', but got ':' \(while parsing a flow sequence that starts at line {opened}, "
                        r"column 9\)", _error(config))


def test_a_key_set_twice_in_one_file_is_refused(config):
    """Plain YAML keeps the second value without a word."""
    text = config.project_yml.read_text()
    config.project_yml.write_text(text + "seed: 1\nseed: 2\n")
    line = len(text.splitlines()) + 2
    assert _error(config) == (f"{config.project_yml}:{line}:1: key 'seed' is set twice in one mapping (first at "
                              f"line {line - 1}); keep one")


def _loads_it(config: Config, relative: str, variants: list[str]) -> list[str]:
    """The variants whose settings read the file: with a misspelt key written in it, each names it."""
    path = config.set(relative, "seeed", 1)
    naming = []
    for variant in variants:
        try:
            config.load(variant)
        except ConfigError as err:
            assert str(err).startswith(f"{path}: unknown key 'seeed'"), str(err)  # never project.yml
            naming.append(variant)
    config.edit(relative, lambda data: data.pop("seeed"))
    return naming


@pytest.mark.parametrize(("project", "relative"), LAYER_FILES)
def test_a_mistake_in_a_variant_or_layer_file_names_that_file_not_project_yml(project, relative, tmp_path):
    """The issue's case: a misspelt parameter in a variant file was reported against project.yml."""
    config = _copy(project, tmp_path)
    variants = _loads_it(config, relative, _variants(project))
    assert variants, f"no variant of {project} reads config/{relative}"
    variant, path = variants[0], config.folder / relative
    name = next(iter(config.load(variant).training.hyperparameters))
    config.set(relative, f"training.hyperparameters.{name}x", 1)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: unknown .* parameter "
                                          rf"'training.hyperparameters.{name}x'; did you mean '{name}'\?$"):
        config.load(variant)
    config.edit(relative, lambda data: data.pop("training"))
    config.set(relative, "holdout_fraction", "lots")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: key 'holdout_fraction' must be float, "
                                          r"not 'lots'$"):
        config.load(variant)
    path.write_text(path.read_text() + "broken: [\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}:\d+:\d+: not valid YAML: "):
        config.load(variant)
