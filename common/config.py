"""Project settings: YAML layered global -> project -> variant (or a project's own layers, such as
model and country), validated into dataclasses.

Each layer may only set keys the project's dataclass declares, with values of the declared type;
any mistake is one `ConfigError` naming the file and the dotted key (with a suggestion for a
misspelt key). Later layers override earlier ones key by key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path

import yaml

from common.suggest import closest

GLOBAL_CONFIG = Path(__file__).resolve().parent / "global-config.yml"
_UNSET = object()


class ConfigError(ValueError):
    pass


def load_config(schema: type, project_config: Path, variant: str | None = None, layers: tuple[Path, ...] = ()):
    """Merge global, project and variant YAML, then `layers` in order, into an instance of `schema`.

    The variant file is ``<project config folder>/variants/<variant>.yml``.
    """
    merged: dict = {}
    origin: dict[str, Path] = {"": Path(project_config)}  # what a key no file sets is missing from
    for path in config_files(project_config, variant, layers):
        _merge(merged, _read(path), origin, path, "")
    return _build(schema, merged, origin, "")


def config_files(project_config: Path, variant: str | None = None, layers: tuple[Path, ...] = ()) -> list[Path]:
    """The files load_config merges, in order: global, project, variant, then `layers`."""
    project_config = Path(project_config)
    files = [GLOBAL_CONFIG, project_config]
    if variant:
        files.append(layer_file(project_config.parent / "variants", variant, "variant"))
    return files + [Path(layer) for layer in layers]


def file_that_sets(files: list[Path], dotted: str) -> Path:
    """The last of `files` that sets the dotted key (so an error about its value names the file
    where it was written); the last file when none does."""
    for path in reversed(files):
        node = _read(path)
        for key in dotted.split("."):
            node = node.get(key, _UNSET) if isinstance(node, dict) else _UNSET
        if node is not _UNSET:
            return path
    return files[-1]


def layer_file(folder: Path, name: str, what: str) -> Path:
    """`<folder>/<name>.yml`, or a ConfigError naming the file and the names there are."""
    path = Path(folder) / f"{name}.yml"
    if not path.exists():
        known = sorted(p.stem for p in path.parent.glob("*.yml"))
        kinds = what[:-1] + "ies" if what.endswith("y") else what + "s"  # countries, models
        raise ConfigError(f"Unknown {what} {name!r}: no {path}; {kinds}: {', '.join(known) or 'none'}")
    return path


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key set twice in one mapping (plain YAML keeps the last one)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                mark = key_node.start_mark
                raise ConfigError(f"{mark.name}:{mark.line + 1}:{mark.column + 1}: key {key!r} is set twice in one "
                                  f"mapping (first at line {seen[key] + 1}); keep one")
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _yaml_error(path: Path, err: yaml.YAMLError) -> ConfigError:
    """One line: the file, line and column of the mistake, what YAML found there, and what it was parsing."""
    mark = getattr(err, "problem_mark", None)
    if mark is None:
        return ConfigError(f"{path} is not valid YAML: {err}")
    what = f" ({err.context}" if getattr(err, "context", None) else ""
    context_mark = getattr(err, "context_mark", None)
    if what and context_mark is not None and (context_mark.line, context_mark.column) != (mark.line, mark.column):
        what += f" that starts at line {context_mark.line + 1}, column {context_mark.column + 1}"
    return ConfigError(f"{path}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {err.problem}"
                       + (what + ")" if what else ""))


def _read(path: Path) -> dict:
    try:
        with open(path) as stream:  # the marks of an error then name the file
            data = yaml.load(stream, Loader=_StrictLoader) or {}  # a SafeLoader: plain data only
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist") from None
    except yaml.YAMLError as err:
        raise _yaml_error(path, err) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of settings, not {type(data).__name__}")
    return data


def _merge(into: dict, layer: dict, origin: dict, path: Path, prefix: str) -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, origin, path, dotted + ".")
        else:
            into[key] = value
            _record(origin, dotted, value, path)


def _record(origin: dict, dotted: str, value, path: Path) -> None:
    origin[dotted] = path
    if isinstance(value, dict):
        for key, inner in value.items():
            _record(origin, f"{dotted}.{key}", inner, path)


def _where(origin: dict, dotted: str) -> str:
    while dotted and dotted not in origin:
        dotted = dotted.rpartition(".")[0]
    return str(origin.get(dotted, "the configuration"))


def _build(schema, data, origin, prefix):
    if not isinstance(data, dict):
        raise ConfigError(f"{_where(origin, prefix.rstrip('.'))}: key {prefix.rstrip('.')!r} must be a mapping")
    fields = {f.name: f for f in dataclasses.fields(schema)}
    hints = typing.get_type_hints(schema)
    for key in data:
        if key not in fields:
            dotted = f"{prefix}{key}"
            close = closest(key, fields)
            hint = f"; did you mean '{prefix}{close}'?" if close else f"; known keys: {', '.join(fields)}"
            raise ConfigError(f"{_where(origin, dotted)}: unknown key {dotted!r}{hint}")
    values = {}
    for name, field in fields.items():
        dotted = f"{prefix}{name}"
        if name not in data:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                kind = "a mapping" if dataclasses.is_dataclass(hints[name]) else _name(hints[name])
                raise ConfigError(f"Missing required key {dotted!r} ({kind}): set it in "
                                  f"{_where(origin, prefix.rstrip('.'))} (or for every project in {GLOBAL_CONFIG})")
            continue
        values[name] = _convert(hints[name], data[name], origin, dotted)
    return schema(**values)


def _convert(hint, value, origin, dotted):
    """`value` as the type `hint` declares, or a ConfigError naming the file and the key."""
    origin_type = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, origin, dotted + ".")
    if origin_type in (typing.Union, types.UnionType):
        return _convert_union(typing.get_args(hint), value, origin, dotted)
    if origin_type is typing.Literal:
        if value not in typing.get_args(hint):
            return _fail(origin, dotted, value, "one of " + ", ".join(map(repr, typing.get_args(hint))))
        return value
    if origin_type is dict:
        if not isinstance(value, dict):
            return _fail(origin, dotted, value, "a mapping")
        value_type = typing.get_args(hint)[1]
        return {k: _convert(value_type, v, origin, f"{dotted}.{k}") for k, v in value.items()}
    if origin_type is list:
        if not isinstance(value, list):
            return _fail(origin, dotted, value, "a list")
        (item_type,) = typing.get_args(hint)
        return [_convert(item_type, v, origin, f"{dotted}[{i}]") for i, v in enumerate(value)]
    return _convert_plain(hint, value, origin, dotted)


def _convert_union(options, value, origin, dotted):
    """The first of the union's types that takes the value (None only where the union allows it)."""
    if value is None and type(None) in options:
        return None
    for option in options:
        if option is type(None):
            continue
        try:
            return _convert(option, value, origin, dotted)
        except ConfigError:
            continue
    return _fail(origin, dotted, value, " or ".join(_name(o) for o in options))


def _convert_plain(hint, value, origin, dotted):
    """A plain type: an int is a float too, a bool is not an int."""
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is typing.Any or (isinstance(value, hint) and not (hint is int and isinstance(value, bool))):
        return value
    return _fail(origin, dotted, value, _name(hint))


def _fail(origin, dotted, value, expected):
    if value is None:  # `key:` with nothing after it
        raise ConfigError(f"{_where(origin, dotted)}: key {dotted!r} has no value; it must be {expected}")
    raise ConfigError(f"{_where(origin, dotted)}: key {dotted!r} must be {expected}, not {value!r}")


def _name(hint) -> str:
    return "null" if hint is type(None) else getattr(hint, "__name__", str(hint))
