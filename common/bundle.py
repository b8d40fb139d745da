"""Read a Databricks bundle for one target, the way `databricks bundle validate` does.

databricks.yml plus every file its `include:` globs match are merged; the chosen target's overrides
are applied; `${...}` references are resolved. The local runner (common/runner.py) reads jobs from
here, so the bundle stays the single source of truth for what runs where.
"""
from __future__ import annotations

import copy
import getpass
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT_FILES = ("databricks.yml", "databricks.yaml")
NOTEBOOK_HEADER = "# Databricks notebook source"

# Lists that the CLI merges element by element (by this key) when a target overrides a job.
KEYED_LISTS = {"tasks": "task_key", "job_clusters": "job_cluster_key", "environments": "environment_key"}

# `${a.b[0].c}`; `{{...}}` (job run-time references) never match.
REFERENCE = re.compile(r"\$\{([^${}]*)\}")

KeyPath = tuple[str | int, ...]


class BundleError(Exception):
    """A mistake in the bundle configuration; the message names the file and the key."""


# ---------------------------------------------------------------------------------------------
# YAML reading


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML would silently keep the last one)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (first defined on line {seen[key] + 1})",
                key_node.start_mark)
        if isinstance(key, str):
            seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, root: Path) -> dict:
    return read_yaml_lines(path, root)[0]


def read_yaml_lines(path: Path, root: Path) -> tuple[dict, dict[KeyPath, int]]:
    """A bundle file's mapping, and the 1-based line of every key and list item in it, by key path
    (("resources", "jobs", "x", "tasks", 0) -> 12), so that a problem can name its file and line."""
    loader = _Loader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}" if mark else ""
        raise BundleError(f"Invalid YAML in {_rel(path, root)}{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise BundleError(f"Invalid YAML in {_rel(path, root)}: {exc}") from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise BundleError(f"{_rel(path, root)} must hold a mapping at the top level, not a {type(data).__name__}")
    lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
    _record_lines(node, data, (), lines)
    return data, lines


def _record_lines(node: yaml.Node, data: Any, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        by_key: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:  # merge keys (<<) are flattened by now; the last one wins
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in data:
                key = next((k for k in data if str(k) == key), None)
            if key is not None:
                by_key[key] = (key_node, value_node)
        for key, (key_node, value_node) in by_key.items():
            lines[path + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, data[key], path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for i, (item_node, item) in enumerate(zip(node.value, data)):
            lines[path + (i,)] = item_node.start_mark.line + 1
            _record_lines(item_node, item, path + (i,), lines)


def _rel(path: Path | str, root: Path) -> str:
    """A path for messages: relative to the bundle root when inside it."""
    if isinstance(path, str):
        return path
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def format_key(path: KeyPath) -> str:
    """("resources", "jobs", "x", "tasks", 0) -> "resources.jobs.x.tasks[0]"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def find_root(start: Path | None = None) -> Path:
    """The folder holding databricks.yml: `start` (default: cwd) or the nearest folder above it."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in ROOT_FILES):
            return folder
    raise BundleError(f"No databricks.yml in {start} or any folder above it")


# ---------------------------------------------------------------------------------------------
# Where each value came from, so that errors and relative paths refer to the right file


class _Origins:
    def __init__(self) -> None:
        self._files: dict[KeyPath, Path | str] = {}

    def record(self, path: KeyPath, file: Path | str) -> None:
        self._files[path] = file

    def file_of(self, path: KeyPath) -> Path | str | None:
        for end in range(len(path), -1, -1):  # the most specific recorded prefix wins
            if path[:end] in self._files:
                return self._files[path[:end]]
        return None


def _merge(base: dict, override: dict, path: KeyPath, file: Path, origins: _Origins) -> None:
    """Merge a target's override into the root configuration, in place, as the CLI does:
    mappings merge by key, job tasks (and clusters, environments) by their key, other lists replace."""
    for key, value in override.items():
        here = path + (key,)
        current = base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _merge(current, value, here, file, origins)
        elif key in KEYED_LISTS and isinstance(value, list) and isinstance(current, list):
            _merge_keyed(current, value, KEYED_LISTS[key], here, file, origins)
        else:
            base[key] = copy.deepcopy(value)
            origins.record(here, file)


def _merge_keyed(base: list, override: list, key: str, path: KeyPath, file: Path, origins: _Origins) -> None:
    index = {item.get(key): i for i, item in enumerate(base) if isinstance(item, dict)}
    for item in override:
        if isinstance(item, dict) and item.get(key) in index:
            i = index[item[key]]
            _merge(base[i], item, path + (i,), file, origins)
        else:
            base.append(copy.deepcopy(item))
            origins.record(path + (len(base) - 1,), file)


# ---------------------------------------------------------------------------------------------
# The bundle


@dataclass
class Bundle:
    """One target of the bundle, fully resolved."""

    root: Path
    name: str
    target: str
    targets: list[str]
    mode: str | None
    variables: dict[str, Any]
    resources: dict[str, dict[str, dict]]
    workspace: dict[str, Any]
    run_as: dict | None = None
    presets: dict | None = None
    permissions: list | None = None
    files: list[Path] = field(default_factory=list)
    variable_declarations: dict[str, dict] = field(default_factory=dict, repr=False)
    _origins: _Origins = field(default_factory=_Origins, repr=False)

    @property
    def jobs(self) -> dict[str, dict]:
        return self.resources.get("jobs", {})

    def job(self, key: str) -> dict:
        if key not in self.jobs:
            raise BundleError(f"Unknown job '{key}' for target {self.target}; jobs: {_names(self.jobs)}")
        return self.jobs[key]

    def source_of(self, kind: str, key: str) -> Path:
        """The YAML file that declared resource `kind.key` (e.g. "jobs", "train")."""
        if key not in self.resources.get(kind, {}):
            raise BundleError(f"Unknown resource {kind}.{key} for target {self.target}; "
                              f"{kind}: {_names(self.resources.get(kind, {}))}")
        file = self._origins.file_of(("resources", kind, key))
        assert isinstance(file, Path)
        return file

    def origin_of(self, path: KeyPath) -> Path | str | None:
        """The file (or "--var", "BUNDLE_VAR_x") that gave the value at a key path of the resolved
        configuration: the target override that last changed it, else the file that declared it."""
        return self._origins.file_of(tuple(path))

    def notebook_path(self, job_key: str, task: str | dict) -> Path:
        """Absolute local path of a task's notebook (notebook_path is relative to the declaring file)."""
        task_key = task if isinstance(task, str) else task.get("task_key")
        tasks = self.job(job_key).get("tasks") or []
        for i, item in enumerate(tasks):
            if item.get("task_key") == task_key:
                if "notebook_task" not in item:
                    raise BundleError(f"Task '{task_key}' of job '{job_key}' is not a notebook_task")
                return self._local_notebook(("resources", "jobs", job_key, "tasks", i), job_key, item)
        raise BundleError(f"Unknown task '{task_key}' in job '{job_key}'; tasks: "
                          + ", ".join(str(t.get("task_key")) for t in tasks))

    def to_dict(self) -> dict:
        """The resolved configuration, like `databricks bundle validate -o json` (notebook paths
        translated to workspace paths, without extension, as the CLI deploys them)."""
        resources = copy.deepcopy(self.resources)
        for job_key, job in resources.get("jobs", {}).items():
            for path, task in _notebook_tasks(job, ("resources", "jobs", job_key)):
                if not self._in_bundle(task):
                    continue
                local = self._local_notebook(path, job_key, task)
                if local.is_relative_to(self.root):
                    relative = local.relative_to(self.root).with_suffix("").as_posix()
                    task["notebook_task"]["notebook_path"] = f"{self.workspace['file_path']}/{relative}"
        variables = {}
        for name, value in self.variables.items():
            declared = self.variable_declarations.get(name, {})
            variables[name] = {k: declared[k] for k in ("description", "type", "default") if k in declared}
            variables[name]["value"] = value
        out: dict[str, Any] = {
            "bundle": {"name": self.name, "target": self.target, **({"mode": self.mode} if self.mode else {})},
            "workspace": copy.deepcopy(self.workspace),
            "variables": variables,
            "resources": resources,
        }
        for key in ("run_as", "presets", "permissions"):
            if getattr(self, key):
                out[key] = copy.deepcopy(getattr(self, key))
        return out

    def _in_bundle(self, task: dict) -> bool:
        """False for notebooks taken from a Git source or an absolute workspace path outside the bundle."""
        spec = task.get("notebook_task") or {}
        value = spec.get("notebook_path")
        file_root = str(self.workspace.get("file_path", "")).rstrip("/") + "/"
        return spec.get("source") != "GIT" and not (isinstance(value, str) and value.startswith("/")
                                                    and not value.startswith(file_root))

    def _local_notebook(self, task_path: KeyPath, job_key: str, task: dict) -> Path:
        value = (task.get("notebook_task") or {}).get("notebook_path")
        value_path = task_path + ("notebook_task", "notebook_path")
        declared_in = self._origins.file_of(value_path)
        where = f"job '{job_key}', task '{task.get('task_key')}'"
        file_name = _rel(declared_in, self.root) if declared_in else "?"
        if not isinstance(value, str) or not value:
            raise BundleError(f"{format_key(value_path)} in {file_name} ({where}) must be a path to a notebook")
        file_root = str(self.workspace.get("file_path", "")).rstrip("/") + "/"
        if value.startswith(file_root):  # ${workspace.file_path}/x: x inside the bundle folder
            local = self.root / value[len(file_root):]
            if not local.suffix and local.with_suffix(".py").is_file():
                local = local.with_suffix(".py")
        elif value.startswith("/"):
            raise BundleError(f"Notebook '{value}' of {where} ({file_name}) is a workspace path outside the "
                              "bundle; it cannot be run locally. Use a path relative to the YAML file.")
        else:
            if not isinstance(declared_in, Path):
                raise BundleError(f"Relative notebook path '{value}' of {where} comes from {declared_in}, "
                                  "not from a file; give a path relative to the YAML file that declares the task")
            local = Path(os.path.normpath(declared_in.parent / value))
        if not local.is_file():
            hint = ""
            if not local.suffix and local.with_suffix(".py").is_file():
                hint = " (local notebook paths need the file extension: .py)"
            raise BundleError(f"Notebook not found for {where}: notebook_path '{value}' in {file_name} "
                              f"points to {_rel(local, self.root)}, which does not exist{hint}")
        if local.suffix == ".py":
            with local.open(encoding="utf-8") as handle:
                first = handle.readline().strip()
            if first != NOTEBOOK_HEADER:
                raise BundleError(f"{_rel(local, self.root)} (notebook of {where}, {file_name}) is not a "
                                  f"Databricks notebook: its first line must be '{NOTEBOOK_HEADER}'")
        return local


def _names(mapping: dict | list) -> str:
    return ", ".join(sorted(str(k) for k in mapping)) or "(none)"


def _notebook_tasks(job: dict, job_path: KeyPath):
    """(key path, task) of every notebook task of a job, for_each inner tasks included."""
    for i, task in enumerate(job.get("tasks") or []):
        if not isinstance(task, dict):
            continue
        if "notebook_task" in task:
            yield job_path + ("tasks", i), task
        inner = (task.get("for_each_task") or {}).get("task")
        if isinstance(inner, dict) and "notebook_task" in inner:
            yield job_path + ("tasks", i, "for_each_task", "task"), inner


# ---------------------------------------------------------------------------------------------
# Loading


def load_bundle(root: Path | str, target: str | None = None, variables: dict[str, str] | None = None, *,
                resolve: bool = True) -> Bundle:
    """Read root/databricks.yml and its includes for `target` (default: the target marked default).

    `variables` are `--var name=value` values: they win over BUNDLE_VAR_<name>, the target's value and
    the declared default, in that order. `resolve=False` stops once the target's overrides are merged:
    `${...}` stay as written and notebooks are not checked (what `mlops validate` falls back on when a
    target cannot be resolved, to go on checking its jobs).
    """
    root = Path(root).resolve()
    root_file = next((root / n for n in ROOT_FILES if (root / n).is_file()), None)
    if root_file is None:
        raise BundleError(f"No databricks.yml in {root}")
    config = _read_yaml(root_file, root)
    name = (config.get("bundle") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise BundleError(f"{root_file.name}: bundle.name is required")
    root_targets = config.get("targets") or {}
    if not isinstance(root_targets, dict) or not root_targets:
        raise BundleError(f"{root_file.name}: targets must be a mapping with at least one target")

    origins = _Origins()
    sources = _read_sources(root, root_file, config, origins)
    target = _choose_target(root_targets, target, root_file.name)
    chosen = _apply_target(root, root_file, config, sources, target, origins)
    if not resolve:
        return Bundle(root=root, name=name, target=target, targets=list(root_targets), mode=chosen.mode,
                      variables={}, resources=sources.resources, workspace=chosen.workspace,
                      run_as=chosen.extras["run_as"], presets=chosen.extras["presets"],
                      permissions=chosen.extras["permissions"], files=sources.files,
                      variable_declarations=sources.declarations, _origins=origins)
    values = _variable_values(sources.declarations, sources.declared_in, target, chosen.variables,
                              variables or {}, origins, root)
    workspace = _workspace_defaults(chosen.workspace)
    _prefix_names(sources.resources, chosen.extras["presets"] or {}, chosen.mode)

    tree = {
        "bundle": {**(config.get("bundle") or {}), "target": target},
        "workspace": workspace,
        "var": values,
        "variables": {n: {**d, "value": values[n]} for n, d in sources.declarations.items()},
        "resources": sources.resources,
    }
    resolver = _Resolver(tree, origins, root, sorted(sources.declarations))
    bundle = Bundle(
        root=root,
        name=name,
        target=target,
        targets=list(root_targets),
        mode=chosen.mode,
        variables={n: resolver.reference(f"var.{n}", ("variables", n)) for n in sources.declarations},
        resources=resolver.value(sources.resources, ("resources",)),
        workspace=resolver.value(workspace, ("workspace",)),
        run_as=resolver.value(chosen.extras["run_as"], ("run_as",)),
        presets=resolver.value(chosen.extras["presets"], ("presets",)),
        permissions=resolver.value(chosen.extras["permissions"], ("permissions",)),
        files=sources.files,
        variable_declarations=sources.declarations,
        _origins=origins,
    )
    _check_jobs(bundle)
    return bundle


def bundle_files(root: Path | str) -> list[Path]:
    """databricks.yml and every file its `include:` globs match, in the order load_bundle reads them."""
    root = Path(root).resolve()
    root_file = next((root / n for n in ROOT_FILES if (root / n).is_file()), None)
    if root_file is None:
        raise BundleError(f"No databricks.yml in {root}")
    return [root_file, *_included_files(root, root_file, _read_yaml(root_file, root))]


@dataclass
class _Sources:
    """Everything read from databricks.yml and the included files, before a target is applied."""

    files: list[Path]
    resources: dict[str, dict[str, dict]] = field(default_factory=dict)
    declarations: dict[str, dict] = field(default_factory=dict)
    declared_in: dict[str, Path] = field(default_factory=dict)
    targets: dict[str, list[tuple[Path, dict]]] = field(default_factory=dict)  # name -> (file, part)


def _read_sources(root: Path, root_file: Path, config: dict, origins: _Origins) -> _Sources:
    sources = _Sources(files=[root_file, *_included_files(root, root_file, config)])
    sources.targets = {name: [] for name in config["targets"]}
    for file in sources.files:
        data = config if file == root_file else _read_yaml(file, root)
        rel = _rel(file, root)
        if file != root_file and "include" in data:
            raise BundleError(f"{rel}: include is only allowed in {root_file.name}")
        _collect_resources(sources.resources, data.get("resources"), file, rel, origins, root)
        for var_name, declaration in _mapping(data.get("variables"), "variables", rel).items():
            if var_name in sources.declarations:
                raise BundleError(f"Variable '{var_name}' is declared twice: in "
                                  f"{_rel(sources.declared_in[var_name], root)} and in {rel}")
            if not isinstance(declaration, dict):
                raise BundleError(f"variables.{var_name} in {rel} must be a mapping like "
                                  f"{{description: ..., default: ...}}, not a {type(declaration).__name__}")
            sources.declarations[var_name] = declaration
            sources.declared_in[var_name] = file
        for target_name, part in _mapping(data.get("targets"), "targets", rel).items():
            if target_name not in sources.targets:
                raise BundleError(f"targets.{target_name} in {rel}: unknown target; targets declared in "
                                  f"{root_file.name}: {_names(sources.targets)}")
            if part is not None and not isinstance(part, dict):
                raise BundleError(f"targets.{target_name} in {rel} must be a mapping")
            sources.targets[target_name].append((file, part or {}))
    return sources


@dataclass
class _Target:
    mode: str | None
    workspace: dict
    extras: dict[str, Any]  # run_as, presets, permissions
    variables: dict[str, tuple[Any, Path]]  # the target's variable values and their file


def _apply_target(root: Path, root_file: Path, config: dict, sources: _Sources, target: str,
                  origins: _Origins) -> _Target:
    """Merge the target's overrides (from every file that has some, in file order) into the root."""
    chosen = _Target(mode=None, workspace=copy.deepcopy(config.get("workspace") or {}),
                     extras={k: copy.deepcopy(config.get(k)) for k in ("run_as", "presets", "permissions")},
                     variables={})
    for key in ("workspace", *chosen.extras):
        origins.record((key,), root_file)
    for file, part in sources.targets[target]:
        rel = _rel(file, root)
        chosen.mode = part.get("mode", chosen.mode)
        if isinstance(part.get("workspace"), dict):
            _merge(chosen.workspace, part["workspace"], ("workspace",), file, origins)
        for key in chosen.extras:
            if key in part:
                chosen.extras[key] = copy.deepcopy(part[key])
                origins.record((key,), file)
        for var_name, value in _mapping(part.get("variables"), f"targets.{target}.variables", rel).items():
            if var_name not in sources.declarations:
                raise BundleError(f"targets.{target}.variables.{var_name} in {rel}: variable '{var_name}' is not "
                                  f"declared; declared variables: {_names(sources.declarations)}")
            chosen.variables[var_name] = (value, file)
        _merge(sources.resources, _mapping(part.get("resources"), f"targets.{target}.resources", rel),
               ("resources",), file, origins)
    if chosen.mode not in (None, "development", "production"):
        raise BundleError(f"targets.{target}.mode must be development or production, not '{chosen.mode}'")
    return chosen


def _workspace_defaults(workspace: dict) -> dict:
    """The CLI's defaults: root_path ~/.bundle/<bundle>/<target>, and files/artifacts/... below it."""
    user = _local_user()
    workspace.setdefault("root_path", "~/.bundle/${bundle.name}/${bundle.target}")
    if isinstance(workspace["root_path"], str) and workspace["root_path"].startswith("~/"):
        workspace["root_path"] = "/Workspace/Users/${workspace.current_user.userName}/" + workspace["root_path"][2:]
    for key, folder in (("file_path", "files"), ("artifact_path", "artifacts"), ("state_path", "state"),
                        ("resource_path", "resources")):
        workspace.setdefault(key, "${workspace.root_path}/" + folder)
    short_name = "".join(c if c.isalnum() else "_" for c in user.split("@")[0])  # as the CLI derives it
    workspace["current_user"] = {"userName": user, "short_name": short_name}
    return workspace


def _prefix_names(resources: dict, presets: dict, mode: str | None) -> None:
    """Development mode prefixes resource names with "[dev <short_name>] ", as the CLI's presets do;
    presets.name_prefix replaces that prefix, in any mode. Jobs take the prefix as it is, experiments
    on the last part of their path, and Unity Catalog names (registered models, schemas, serving
    endpoints) a normalised form: "dev_<short_name>_"."""
    prefix = presets.get("name_prefix")
    if prefix is None and mode == "development":
        prefix = "[dev ${workspace.current_user.short_name}] "
    if not prefix:
        return
    for job in resources.get("jobs", {}).values():
        if isinstance(job.get("name"), str):
            job["name"] = prefix + job["name"]
    for experiment in resources.get("experiments", {}).values():
        if isinstance(experiment.get("name"), str):
            folder, sep, base = experiment["name"].rpartition("/")
            experiment["name"] = f"{folder}{sep}{prefix}{base}"
    for kind in ("registered_models", "schemas", "model_serving_endpoints"):
        for resource in resources.get(kind, {}).values():
            if isinstance(resource.get("name"), str):
                resource["name"] = _catalog_prefix(prefix) + resource["name"]


def _catalog_prefix(prefix: str) -> str:
    """'[dev ${workspace.current_user.short_name}] ' -> 'dev_${workspace.current_user.short_name}_': letters
    and digits stay, anything else becomes '_' (references are kept whole, to be resolved later)."""
    trimmed = prefix.replace("[", "").strip(" ")
    closed = trimmed.endswith("]")
    parts = re.split(r"(\$\{[^}]*\})", trimmed.rstrip("]") if closed else trimmed)
    normal = "".join(part if part.startswith("${") else "".join(c if c.isalnum() else "_" for c in part.lower())
                     for part in parts)
    return normal + ("_" if closed else "")


def _mapping(value: Any, key: str, rel: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BundleError(f"{key} in {rel} must be a mapping, not a {type(value).__name__}")
    return value


def _included_files(root: Path, root_file: Path, config: dict) -> list[Path]:
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
                raise BundleError(f"{root_file.name}: include pattern '{pattern}' matches {_rel(match, root)}; "
                                  "included files must be YAML (.yml, .yaml) or JSON")
        files += [m for m in matches if m != root_file and m not in files]
    return files


def _collect_resources(resources: dict, declared: Any, file: Path, rel: str, origins: _Origins, root: Path) -> None:
    """Add one file's resources; a key used twice (in any kind, as the CLI requires) is an error."""
    for kind, items in _mapping(declared, "resources", rel).items():
        for key, resource in _mapping(items, f"resources.{kind}", rel).items():
            for other_kind, other in resources.items():
                if key in other:
                    first = _rel(origins.file_of(("resources", other_kind, key)), root)
                    raise BundleError(f"Resource key '{key}' is defined twice: resources.{other_kind}.{key} in "
                                      f"{first} and resources.{kind}.{key} in {rel}")
            if not isinstance(resource, dict):
                raise BundleError(f"resources.{kind}.{key} in {rel} must be a mapping")
            resources.setdefault(kind, {})[key] = copy.deepcopy(resource)
            origins.record(("resources", kind, key), file)


def _check_task_keys(job_key: str, job: dict, rel: str) -> None:
    """Every task has a task_key, used once (the runner and depends_on rely on it)."""
    tasks = job.get("tasks")
    if tasks is None:
        return
    if not isinstance(tasks, list):
        raise BundleError(f"resources.jobs.{job_key}.tasks in {rel} must be a list")
    seen = set()
    for i, task in enumerate(tasks):
        key = task.get("task_key") if isinstance(task, dict) else None
        if not isinstance(key, str) or not key:
            raise BundleError(f"resources.jobs.{job_key}.tasks[{i}] in {rel} needs a task_key")
        if key in seen:
            raise BundleError(f"resources.jobs.{job_key} in {rel} has two tasks with task_key '{key}'")
        seen.add(key)


def _choose_target(targets: dict, wanted: str | None, file_name: str) -> str:
    if wanted is not None:
        if wanted not in targets:
            raise BundleError(f"Unknown target '{wanted}' in {file_name}; targets: {_names(targets)}")
        return wanted
    defaults = [n for n, t in targets.items() if isinstance(t, dict) and t.get("default") is True]
    if len(defaults) > 1:
        raise BundleError(f"{file_name}: several targets have default: true: {', '.join(defaults)}")
    if not defaults:
        raise BundleError(f"No target given and no target in {file_name} has default: true; "
                          f"choose one of: {_names(targets)}")
    return defaults[0]


def _variable_values(declarations: dict, declared_in: dict, target: str, target_values: dict,
                     given: dict[str, str], origins: _Origins, root: Path) -> dict[str, Any]:
    """Each variable's raw value: --var > BUNDLE_VAR_<name> > target value > default."""
    unknown = sorted(set(given) - set(declarations))
    if unknown:
        raise BundleError(f"Unknown variable '{unknown[0]}' given with --var; declared variables: "
                          f"{_names(declarations)}")
    values: dict[str, Any] = {}
    for name, declaration in declarations.items():
        env = f"BUNDLE_VAR_{name}"
        declared_file = _rel(declared_in[name], root)
        if name in given:
            values[name], origin = given[name], "--var"
        elif env in os.environ:
            values[name], origin = os.environ[env], env
        elif name in target_values:
            raw, origin = target_values[name]
            where = f"targets.{target}.variables.{name} in {_rel(origin, root)}"
            if isinstance(raw, dict) and "lookup" in raw:
                raise BundleError(f"{where} uses a lookup, which needs a workspace; give a value with "
                                  f"--var {name}=... or {env}")
            if isinstance(raw, dict) and "default" in raw:
                raw = raw["default"]
            elif isinstance(raw, dict) and declaration.get("type") != "complex":
                raise BundleError(f"{where} must be a plain value or {{default: <value>}}")
            values[name] = raw
        elif declaration.get("default") is not None:
            values[name], origin = declaration["default"], declared_in[name]
        elif "lookup" in declaration:
            raise BundleError(f"Variable '{name}' ({declared_file}) uses a lookup, which needs a workspace; "
                              f"give it a value with --var {name}=... or {env}, or a default")
        else:
            origin = None
        if values.get(name) is None:
            raise BundleError(f"Variable '{name}' has no value for target {target}: give it a default in "
                              f"{declared_file}, a value under targets.{target}.variables, --var {name}=... or "
                              f"the environment variable {env}")
        origins.record(("variables", name), origin)
    return values


def _local_user() -> str:
    """The user name that ${workspace.current_user.userName} stands for on a laptop."""
    user = os.environ.get("DATABRICKS_USER")
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry, e.g. in some containers
            user = "user"
    return user if "@" in user else f"{user}@local"


def _check_jobs(bundle: Bundle) -> None:
    """Task keys are unique and every local notebook exists, as `bundle validate` checks."""
    for job_key, job in bundle.jobs.items():
        _check_task_keys(job_key, job, _rel(bundle.source_of("jobs", job_key), bundle.root))
        for path, task in _notebook_tasks(job, ("resources", "jobs", job_key)):
            if bundle._in_bundle(task):
                bundle._local_notebook(path, job_key, task)


# ---------------------------------------------------------------------------------------------
# ${...} resolution


class _Resolver:
    """Resolves ${...} references against the configuration tree, recursively, with cycle detection."""

    def __init__(self, tree: dict, origins: _Origins, root: Path, declared: list[str]) -> None:
        self.tree = tree
        self.origins = origins
        self.root = root
        self.declared = declared
        self.done: dict[str, Any] = {}
        self.active: list[str] = []

    def value(self, node: Any, path: KeyPath) -> Any:
        if isinstance(node, str):
            return self.string(node, path)
        if isinstance(node, dict):
            return {k: self.value(v, path + (k,)) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v, path + (i,)) for i, v in enumerate(node)]
        return node

    def string(self, text: str, path: KeyPath) -> Any:
        matches = list(REFERENCE.finditer(text))
        if not matches:
            return text
        if len(matches) == 1 and matches[0].group(0) == text:  # exactly one reference keeps its type
            return self.reference(matches[0].group(1), path)
        return REFERENCE.sub(lambda m: self._text(m.group(1), path), text)

    def _text(self, ref: str, path: KeyPath) -> str:
        value = self.reference(ref, path)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise BundleError(f"${{{ref}}} at {self._where(path)} is a {type(value).__name__} and cannot be "
                          "part of a longer string")

    def reference(self, ref: str, path: KeyPath) -> Any:
        if ref in self.done:
            return self.done[ref]
        if ref in self.active:
            chain = " -> ".join(f"${{{r}}}" for r in self.active[self.active.index(ref):] + [ref])
            raise BundleError(f"Reference cycle {chain} at {self._where(path)}")
        self.active.append(ref)
        try:
            node, node_path = self._lookup(ref, path)
            value = self.value(node, node_path)
        finally:
            self.active.pop()
        self.done[ref] = value
        return value

    def _lookup(self, ref: str, path: KeyPath) -> tuple[Any, KeyPath]:
        parts = _split_reference(ref)
        if parts is None:
            raise BundleError(f"Invalid reference ${{{ref}}} at {self._where(path)}")
        if parts[0] == "var":
            if len(parts) < 2 or parts[1] not in self.tree["var"]:
                name = parts[1] if len(parts) > 1 else ""
                raise BundleError(f"Unknown variable '{name}' in ${{{ref}}} at {self._where(path)}; "
                                  f"declared variables: {', '.join(self.declared) or '(none)'}")
            node, node_path = self.tree["var"][parts[1]], ("variables", parts[1])
            rest = parts[2:]
        elif parts[0] == "resources" and len(parts) == 4 and parts[3] == "id":
            # Locally a resource's id is its key: run_job_task.job_id: ${resources.jobs.x.id} names job x.
            self._walk(ref, path, parts[:3])
            return parts[2], path
        else:
            node, node_path, rest = self.tree, (), parts
        return self._walk(ref, path, rest, node, node_path), node_path + tuple(rest)

    def _walk(self, ref: str, path: KeyPath, parts: list, node: Any = None, node_path: KeyPath = ()) -> Any:
        node = self.tree if node is None else node
        for i, part in enumerate(parts):
            if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                prefix = format_key(tuple(parts[:i])) or "the configuration"
                choices = f"; {prefix} has: {_names(node)}" if isinstance(node, dict) else ""
                raise BundleError(f"Unknown reference ${{{ref}}} at {self._where(path)}: no '{part}' in "
                                  f"{prefix}{choices}")
        return node

    def _where(self, path: KeyPath) -> str:
        file = self.origins.file_of(path)
        return f"{format_key(path)} ({_rel(file, self.root)})" if file else format_key(path)


def _split_reference(ref: str) -> list[str | int] | None:
    """"a.b[0].c" -> ["a", "b", 0, "c"]; None when the syntax is wrong."""
    parts: list[str | int] = []
    for piece in ref.split("."):
        match = re.fullmatch(r"([A-Za-z_][\w-]*)((?:\[\d+\])*)", piece)
        if not match:
            return None
        parts.append(match.group(1))
        parts += [int(i) for i in re.findall(r"\[(\d+)\]", match.group(2))]
    return parts
