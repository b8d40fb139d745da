"""The chosen target: which one it is (`-t`, else the one marked default: true), its overrides from
every file merged into the root configuration, and each variable's value for it.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localrun.bundle.errors import BundleError, MissingVariable, name_list
from localrun.bundle.origins import Origins, merge_override
from localrun.bundle.sources import Sources, as_mapping
from localrun.paths import display_path


def choose_target(targets: dict, wanted: str | None, file_name: str) -> str:
    """`wanted`, which must be declared, or the one target marked default: true."""
    if wanted is not None:
        if wanted not in targets:
            raise BundleError(f"Unknown target '{wanted}' in {file_name}; targets: {name_list(targets)}")
        return wanted
    defaults = [n for n, t in targets.items() if isinstance(t, dict) and t.get("default") is True]
    if len(defaults) > 1:
        raise BundleError(f"{file_name}: several targets have default: true: {', '.join(defaults)}")
    if not defaults:
        raise BundleError(f"No target given and no target in {file_name} has default: true; "
                          f"choose one of: {name_list(targets)}")
    return defaults[0]


@dataclass
class Target:
    """The chosen target's settings, its overrides merged (resources are merged into Sources)."""

    mode: str | None
    workspace: dict
    extras: dict[str, Any]  # run_as, presets, permissions
    variables: dict[str, tuple[Any, Path]]  # the target's variable values and their file


def apply_target(root: Path, root_file: Path, config: dict, sources: Sources, target: str,
                 origins: Origins) -> Target:
    """Merge the target's overrides (from every file that has some, in file order) into the root."""
    chosen = Target(mode=None, workspace=copy.deepcopy(config.get("workspace") or {}),
                    extras={k: copy.deepcopy(config.get(k)) for k in ("run_as", "presets", "permissions")},
                    variables={})
    for key in ("workspace", *chosen.extras):
        origins.record((key,), root_file)
    for file, part in sources.targets[target]:
        rel = display_path(file, root)
        chosen.mode = part.get("mode", chosen.mode)
        if isinstance(part.get("workspace"), dict):
            merge_override(chosen.workspace, part["workspace"], ("workspace",), file, origins)
        for key in chosen.extras:
            if key in part:
                chosen.extras[key] = copy.deepcopy(part[key])
                origins.record((key,), file)
        for var_name, value in as_mapping(part.get("variables"), f"targets.{target}.variables", rel).items():
            if var_name not in sources.declarations:
                raise BundleError(f"targets.{target}.variables.{var_name} in {rel}: variable '{var_name}' is not "
                                  f"declared; declared variables: {name_list(sources.declarations)}")
            chosen.variables[var_name] = (value, file)
        merge_override(sources.resources, as_mapping(part.get("resources"), f"targets.{target}.resources", rel),
                       ("resources",), file, origins)
    if chosen.mode not in (None, "development", "production"):
        raise BundleError(f"targets.{target}.mode must be development or production, not '{chosen.mode}'")
    return chosen


def variable_values(sources: Sources, target: str, target_values: dict, given: dict[str, str],
                    origins: Origins, root: Path) -> dict[str, Any]:
    """Each variable's raw value: --var > BUNDLE_VAR_<name> > target value > default."""
    declarations, declared_in = sources.declarations, sources.declared_in
    unknown = sorted(set(given) - set(declarations))
    if unknown:
        raise BundleError(f"Unknown variable '{unknown[0]}' given with --var; declared variables: "
                          f"{name_list(declarations)}")
    values: dict[str, Any] = {}
    for name, declaration in declarations.items():
        env = f"BUNDLE_VAR_{name}"
        declared_file = display_path(declared_in[name], root)
        if name in given:
            values[name], origin = given[name], "--var"
        elif env in os.environ:
            values[name], origin = os.environ[env], env
        elif name in target_values:
            raw, origin = target_values[name]
            values[name] = _target_value(raw, name, declaration, f"targets.{target}.variables.{name} in "
                                         f"{display_path(origin, root)}")
        elif declaration.get("default") is not None:
            values[name], origin = declaration["default"], declared_in[name]
        elif "lookup" in declaration:
            raise BundleError(f"Variable '{name}' ({declared_file}) uses a lookup, which needs a workspace; "
                              f"give it a value with --var {name}=... or {env}, or a default")
        else:
            origin = None
        if values.get(name) is None:
            raise MissingVariable(f"Variable '{name}' ({declared_file}) has no value for target {target}: set the "
                                  f"environment variable {env}=..., pass --var {name}=..., or give it a value "
                                  f"under targets.{target}.variables", name)
        origins.record(("variables", name), origin)
    return values


def _target_value(raw: Any, name: str, declaration: dict, where: str) -> Any:
    """A value under targets.<target>.variables: plain, or {default: <value>}; a lookup needs a workspace."""
    if isinstance(raw, dict) and "lookup" in raw:
        raise BundleError(f"{where} uses a lookup, which needs a workspace; give a value with "
                          f"--var {name}=... or BUNDLE_VAR_{name}")
    if isinstance(raw, dict) and "default" in raw:
        return raw["default"]
    if isinstance(raw, dict) and declaration.get("type") != "complex":
        raise BundleError(f"{where} must be a plain value or {{default: <value>}}")
    return raw
