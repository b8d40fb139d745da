"""What the bundle's files declare before a target is applied: the files that `include:` adds,
every resource (each key once across all kinds, as the CLI requires), every variable declaration,
and each file's overrides of each target.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localrun.bundle.errors import BundleError, name_list
from localrun.bundle.origins import Origins
from localrun.bundle.yaml_files import read_yaml
from localrun.paths import display_path


@dataclass
class Sources:
    """Everything read from databricks.yml and the included files, before a target is applied."""

    files: list[Path]
    resources: dict[str, dict[str, dict]] = field(default_factory=dict)
    declarations: dict[str, dict] = field(default_factory=dict)
    declared_in: dict[str, Path] = field(default_factory=dict)
    targets: dict[str, list[tuple[Path, dict]]] = field(default_factory=dict)  # name -> (file, part)


def read_sources(root: Path, root_file: Path, config: dict, origins: Origins) -> Sources:
    """Read every file of the bundle (databricks.yml is `config`, already read), recording origins."""
    sources = Sources(files=[root_file, *included_files(root, root_file, config)])
    sources.targets = {name: [] for name in config["targets"]}
    for file in sources.files:
        data = config if file == root_file else read_yaml(file, root)
        rel = display_path(file, root)
        if file != root_file and "include" in data:
            raise BundleError(f"{rel}: include is only allowed in {root_file.name}")
        _collect_resources(sources.resources, data.get("resources"), file, rel, origins, root)
        _collect_variables(sources, data.get("variables"), file, rel, root)
        for target_name, part in as_mapping(data.get("targets"), "targets", rel).items():
            if target_name not in sources.targets:
                raise BundleError(f"targets.{target_name} in {rel}: unknown target; targets declared in "
                                  f"{root_file.name}: {name_list(sources.targets)}")
            if part is not None and not isinstance(part, dict):
                raise BundleError(f"targets.{target_name} in {rel} must be a mapping")
            sources.targets[target_name].append((file, part or {}))
    return sources


def as_mapping(value: Any, key: str, rel: str) -> dict:
    """`value` of key `key` in file `rel`, which must be a mapping or empty ({})."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BundleError(f"{key} in {rel} must be a mapping, not a {type(value).__name__}")
    return value


def included_files(root: Path, root_file: Path, config: dict) -> list[Path]:
    """The files that databricks.yml's `include:` globs match, in order, each once."""
    patterns = config.get("include") or []
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise BundleError(f"{root_file.name}: include must be a list of glob patterns")
    files: list[Path] = []
    for pattern in patterns:
        if Path(pattern).is_absolute():
            raise BundleError(f"{root_file.name}: include pattern '{pattern}' must be relative to the bundle root")
        matches = sorted(p.resolve() for p in root.glob(pattern) if p.is_file())
        # As in the CLI: a glob may match nothing (an empty folder), a plain file name must exist.
        if not matches and not any(c in pattern for c in "*?["):
            raise BundleError(f"{root_file.name}: include entry '{pattern}' does not match any file")
        for match in matches:
            if match.suffix not in (".yml", ".yaml", ".json"):
                raise BundleError(f"{root_file.name}: include pattern '{pattern}' matches "
                                  f"{display_path(match, root)}; included files must be YAML (.yml, .yaml) or JSON")
        files += [m for m in matches if m != root_file and m not in files]
    return files


def _collect_resources(resources: dict, declared: Any, file: Path, rel: str, origins: Origins, root: Path) -> None:
    """Add one file's resources; a key used twice (in any kind, as the CLI requires) is an error."""
    for kind, items in as_mapping(declared, "resources", rel).items():
        for key, resource in as_mapping(items, f"resources.{kind}", rel).items():
            for other_kind, other in resources.items():
                if key in other:
                    first = display_path(origins.file_of(("resources", other_kind, key)), root)
                    raise BundleError(f"Resource key '{key}' is defined twice: resources.{other_kind}.{key} in "
                                      f"{first} and resources.{kind}.{key} in {rel}")
            if not isinstance(resource, dict):
                raise BundleError(f"resources.{kind}.{key} in {rel} must be a mapping")
            resources.setdefault(kind, {})[key] = copy.deepcopy(resource)
            origins.record(("resources", kind, key), file)


def _collect_variables(sources: Sources, declared: Any, file: Path, rel: str, root: Path) -> None:
    """Add one file's variable declarations; a variable declared twice is an error."""
    for var_name, declaration in as_mapping(declared, "variables", rel).items():
        if var_name in sources.declarations:
            raise BundleError(f"Variable '{var_name}' is declared twice: in "
                              f"{display_path(sources.declared_in[var_name], root)} and in {rel}")
        if not isinstance(declaration, dict):
            raise BundleError(f"variables.{var_name} in {rel} must be a mapping like "
                              f"{{description: ..., default: ...}}, not a {type(declaration).__name__}")
        sources.declarations[var_name] = declaration
        sources.declared_in[var_name] = file
