"""Offline validation of the bundle: `./mlops validate [-t TARGET] [-o json]`.

No workspace and no network. Three layers, and every problem is collected (not only the first) and
reported as `file:line: key.path: message`:

1. every bundle file as written (before `${...}` resolution) against the CLI's JSON schema, vendored
   in common/schemas/ (Databricks License, kept beside it);
2. every target's resolved jobs, registered models, experiments and serving endpoints through the
   `databricks-bundles` resource classes (`Job.from_dict` and friends), after the same resolution
   the local runner uses (common/bundle.py);
3. what a schema cannot see: every `${var.x}` is declared, every `${resources.kind.key...}`
   (`run_job_task.job_id` included) names a declared resource, every local notebook exists, every
   `depends_on` names a task of its job, job names are unique per target, every target's mode is
   development or production, and every project under projects/ declares all its stages.
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import enum
import importlib
import json
import os
import re
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import regex

from common.bundle import (
    NOTEBOOK_HEADER,
    REFERENCE,
    Bundle,
    BundleError,
    KeyPath,
    _choose_target,
    bundle_files,
    format_key,
    load_bundle,
    read_yaml_lines,
)

SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "databricks-bundle.schema.json"

# What every projects/<name>/ must declare: one job tagged `project: <name>` with each of these
# `stage:` tags, and, in its own resources/*.yml, at least one resource of each of these kinds.
REQUIRED_STAGES = ("features", "training", "inference", "monitoring")
REQUIRED_PROJECT_RESOURCES = {"registered_models": "registered model", "experiments": "experiment"}

TARGET_MODES = ("development", "production")

# Resource kinds checked through the databricks-bundles classes: kind -> (module, class name).
RESOURCE_CLASSES = {
    "jobs": ("databricks.bundles.jobs", "Job"),
    "registered_models": ("databricks.bundles.registered_models", "RegisteredModel"),
    "experiments": ("databricks.bundles.experiments", "MlflowExperiment"),
    "model_serving_endpoints": ("databricks.bundles.model_serving_endpoints", "ModelServingEndpoint"),
}

_SINGULAR = {"jobs": "job", "registered_models": "registered model", "experiments": "experiment",
             "model_serving_endpoints": "serving endpoint"}

# A value that the CLI leaves as a reference until deploy time, e.g. ${resources.jobs.train.id}.
_RESOURCE_REFERENCE = re.compile(r"\$\{resources\.[^${}]+\}")

# What the databricks-bundles classes raise for a value they reject.
_REJECTED = (ValueError, TypeError, KeyError, AssertionError)


# ---------------------------------------------------------------------------------------------
# Problems and the report


@dataclass(frozen=True)
class Problem:
    """One mistake: where (file relative to the bundle root, 1-based line, key path) and what."""

    file: str
    line: int | None
    key: str
    message: str
    targets: tuple[str, ...] = ()  # the targets it was found in, when it depends on the target

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


@dataclass
class Report:
    targets: list[str]  # the targets validated
    problems: list[Problem]
    bundles: dict[str, Bundle] = field(default_factory=dict)  # the targets that resolved

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """What `mlops validate` prints: one line per problem and a count, or one line per target."""
        if self.ok:
            return [f"target {t}: OK ({_counts(self.bundles[t])})" for t in self.targets]
        out = []
        for problem in self.problems:
            text = str(problem)
            if problem.targets and set(problem.targets) != set(self.targets):
                text += f" (target{'s' if len(problem.targets) > 1 else ''} {', '.join(problem.targets)})"
            out.append(text)
        count = len(self.problems)
        validated = f"targets validated: {', '.join(self.targets)}" if self.targets else "no target validated"
        out.append(f"{count} problem{'s' if count > 1 else ''} ({validated})")
        return out


def _counts(bundle: Bundle) -> str:
    parts = []
    for kind, items in bundle.resources.items():
        name = _SINGULAR.get(kind, kind.replace("_", " ").removesuffix("s"))
        parts.append(f"{len(items)} {name}{'s' if len(items) != 1 else ''}")
    return ", ".join(parts) or "no resources"


# ---------------------------------------------------------------------------------------------
# The bundle files, with the line of every key


@dataclass
class _File:
    path: Path
    rel: str
    data: dict
    key_lines: dict[KeyPath, int]

    def line(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its longest prefix that the file has."""
        return self.key_lines.get(self._known(path))

    def _known(self, path: KeyPath) -> KeyPath:
        for end in range(len(path), -1, -1):
            if path[:end] in self.key_lines:
                return path[:end]
        return ()

    def known_depth(self, path: KeyPath) -> int:
        return len(self._known(path)) if path[:1] in self.key_lines else 0

    def get(self, path: KeyPath) -> Any:
        node: Any = self.data
        for part in path:
            found = part in node if isinstance(node, dict) else (
                isinstance(node, list) and isinstance(part, int) and part < len(node))
            if not found:
                return None
            node = node[part]
        return node


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------------
# Entry point


def validate_bundle(root: Path | str, targets: Sequence[str] | None = None,
                    variables: dict[str, str] | None = None) -> Report:
    """Validate the bundle at `root` for `targets` (default: every target) with `--var` values.

    Raises BundleError only for an unknown target name; every problem of the bundle itself is in
    the report.
    """
    root = Path(root).resolve()
    try:
        paths = bundle_files(root)
    except BundleError as exc:
        return Report(targets=list(targets or []), problems=[_file_problem("databricks.yml", str(exc))])
    files: list[_File] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            data, key_lines = read_yaml_lines(path, root)
        except BundleError as exc:
            problems.append(_file_problem(_rel(path, root), str(exc)))
            continue
        files.append(_File(path, _rel(path, root), data, key_lines))
    if not files or files[0].path != paths[0]:
        return Report(targets=list(targets or []), problems=problems)

    declared_targets = list(_dict(files[0].data.get("targets")))
    for name in targets or ():
        if name not in declared_targets:
            raise BundleError(f"Unknown target '{name}' in {files[0].rel}; targets: {', '.join(declared_targets)}")
    chosen = list(targets) if targets else declared_targets
    if not declared_targets:
        problems.append(Problem(files[0].rel, files[0].line(("targets",)), "targets",
                                "no target declared: a bundle needs at least one target"))

    for file in files:
        problems += _schema_problems(file)
    problems += _semantic_problems(root, files, declared_targets, problems, complete=len(files) == len(paths))
    static = list(problems)

    report = Report(targets=chosen, problems=[])
    by_path = {f.path: f for f in files}
    for target in chosen:
        try:
            bundle = load_bundle(root, target=target, variables=variables)
            report.bundles[target] = bundle
        except BundleError as exc:
            # Most often a consequence of a problem found above (an undeclared variable, a missing
            # notebook): report the loader's own message only when nothing else explains it, and go
            # on checking the target's jobs as written.
            if not static:
                problems.append(Problem(files[0].rel, None, "", f"cannot resolve the configuration: {exc}", (target,)))
            try:
                bundle = load_bundle(root, target=target, variables=variables, resolve=False)
            except BundleError:
                continue
        located = _Locator(bundle, by_path)
        for problem in [*_class_problems(bundle, located), *_job_problems(bundle, located)]:
            if not any(_overlaps(problem, other) for other in static):
                problems.append(problem)
    report.problems = _merge(problems, [_rel(p, root) for p in paths])
    return report


def _file_problem(rel: str, message: str) -> Problem:
    """A file that cannot be read: "Invalid YAML in x.yml line 3: ..." -> x.yml:3: ..."""
    match = re.fullmatch(rf"Invalid YAML in {re.escape(rel)}(?: line (\d+))?: (.*)", message, re.DOTALL)
    if match:
        return Problem(rel, int(match.group(1)) if match.group(1) else None, "", f"invalid YAML: {match.group(2)}")
    return Problem(rel, None, "", message.removeprefix(f"{rel}: ").removeprefix(f"{rel} "))


def default_target(root: Path | str) -> str:
    """The target marked `default: true` (what `-t` defaults to)."""
    root = Path(root).resolve()
    data, _ = read_yaml_lines(bundle_files(root)[0], root)
    return _choose_target(data.get("targets") or {}, None, "databricks.yml")


def _overlaps(problem: Problem, other: Problem) -> bool:
    """Same file and one key path inside the other: the same mistake, seen by two checks."""
    a, b = problem.key, other.key
    inside = a == b or a.startswith((b + ".", b + "[")) or b.startswith((a + ".", a + "["))
    return problem.file == other.file and inside


def _merge(problems: list[Problem], file_order: list[str]) -> list[Problem]:
    """One line per problem: the same problem found in several targets is reported once."""
    merged: dict[tuple, Problem] = {}
    for p in problems:
        key = (p.file, p.line, p.key, p.message)
        if key in merged and p.targets:
            seen = merged[key].targets
            merged[key] = dataclasses.replace(merged[key], targets=seen + tuple(t for t in p.targets if t not in seen))
        else:
            merged.setdefault(key, p)
    order = {name: i for i, name in enumerate(file_order)}
    return sorted(merged.values(), key=lambda p: (order.get(p.file, len(order)), p.file, p.line or 0))


# ---------------------------------------------------------------------------------------------
# 1. The JSON schema, on each file as written


@cache
def _validator():
    """The schema's validator, built once per process. The schema's patterns use `\\p{L}`, which
    Python's `re` lacks: the "pattern" keyword is checked with the `regex` module instead."""
    import jsonschema  # imported here: 0.15 s that only validation needs
    from jsonschema import validators

    compiled = cache(regex.compile)

    def pattern(validator, value, instance, schema):
        if validator.is_type(instance, "string") and not compiled(value).search(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {value!r}")

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    # The schema lets any top-level key through (the CLI only warns about one); a misspelt
    # `resources:` would silently drop every job, so an unknown top-level key is an error here.
    schema["additionalProperties"] = False
    cls = validators.extend(jsonschema.Draft202012Validator, {"pattern": pattern})
    return cls(schema)


def _schema_problems(file: _File) -> list[Problem]:
    problems = []
    for error in _validator().iter_errors(file.data):
        for leaf in _leaves(error):
            problems += _describe(leaf, file)
    return problems


def _is_reference_branch(schema: Any) -> bool:
    """The schema's `${...}` alternative: a string that must match a reference pattern."""
    return (isinstance(schema, dict) and schema.get("type") == "string"
            and str(schema.get("pattern", "")).startswith("\\$\\{"))


def _leaves(error) -> Iterator:
    """The errors worth reporting under a oneOf/anyOf: those of the alternative that fits the
    value's shape (the mapping alternative for a mapping, not the `${...}` string one). When no
    alternative fits (e.g. "one" for an integer), the oneOf error itself, described later."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    branches: dict[int, list] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = []
    for index, errors in branches.items():
        if _is_reference_branch(error.validator_value[index]):
            continue
        if any(not e.relative_path and e.validator in ("type", "pattern", "enum", "const") for e in errors):
            continue
        fitting.append(errors)
    if not fitting:
        yield error
        return
    best = max(fitting, key=lambda errors: (max(len(e.absolute_path) for e in errors), -len(errors)))
    for sub in best:
        yield from _leaves(sub)


_TYPE_NAMES = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "an empty value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _expected(schemas: list) -> list[str]:
    options = []
    for schema in schemas:
        if not isinstance(schema, dict) or _is_reference_branch(schema):
            continue
        if "enum" in schema:
            options.append("one of " + ", ".join(repr(v) for v in schema["enum"]))
        elif "const" in schema:
            options.append(repr(schema["const"]))
        else:
            types = schema.get("type")
            for name in types if isinstance(types, list) else [types] if types else []:
                options.append(_TYPE_NAMES.get(name, name))
    return list(dict.fromkeys(options))


def _hint(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(error, file: _File) -> list[Problem]:
    path = tuple(error.absolute_path)
    key, line, instance = format_key(path), file.line(path), error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        patterns = list(error.schema.get("patternProperties", {}))
        unknown = [k for k in instance if k not in known and not any(regex.search(p, k) for p in patterns)]
        return [Problem(file.rel, file.line(path + (k,)), key, f"unknown key '{k}'{_hint(k, known)}")
                for k in unknown]
    if error.validator == "required" and isinstance(instance, dict):
        missing = [k for k in error.validator_value if k not in instance]
        return [Problem(file.rel, line, key, f"missing required key '{k}'") for k in missing]
    if error.validator == "type":
        message = f"expected {' or '.join(_expected([error.schema]))}, not {_show(instance)}"
    elif error.validator == "enum":
        message = f"expected {_expected([error.schema])[0]}, not {_show(instance)}"
    elif error.validator in ("oneOf", "anyOf"):
        options = _expected(error.validator_value)
        if options:
            message = f"expected {' or '.join(options)}, not {_show(instance)}"
            if isinstance(instance, str) and "${" in instance:
                message += (" (a reference here must be ${var.*}, ${bundle.*}, ${workspace.*}, ${resources.*} "
                            "or ${artifacts.*})")
        else:
            message = error.message
    else:
        message = error.message
    return [Problem(file.rel, line, key, message)]


# ---------------------------------------------------------------------------------------------
# 3a. Checks on the files as written: variables, references, notebooks, modes, projects


def _walk(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, path + (i,))


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _resource_sections(data: dict) -> Iterator[tuple[KeyPath, dict]]:
    """(path, resources mapping) of a file: its top-level `resources` and each target's override."""
    yield ("resources",), _dict(data.get("resources"))
    for name, target in _dict(data.get("targets")).items():
        yield ("targets", name, "resources"), _dict(_dict(target).get("resources"))


def _semantic_problems(root: Path, files: list[_File], targets: list[str], found: list[Problem],
                       complete: bool) -> list[Problem]:
    problems: list[Problem] = []
    declared = {name for f in files for name in _dict(f.data.get("variables"))}
    resources: dict[str, set[str]] = {}
    for f in files:
        for _, section in _resource_sections(f.data):
            for kind, items in section.items():
                resources.setdefault(kind, set()).update(_dict(items))

    for f in files:
        problems += _reference_problems(f, declared, resources)
        for target, part in _dict(f.data.get("targets")).items():
            for name in _dict(_dict(part).get("variables")):
                if name not in declared:
                    message = f"variable '{name}' is not declared{_choices('declared variables', declared, name)}"
                    problems.append(Problem(f.rel, f.line(("targets", target, "variables", name)),
                                            f"targets.{target}.variables.{name}", message))
        problems += _notebook_problems(root, f)
    problems += _mode_problems(files, targets, found)
    if complete:  # with a file unread, a project would seem to lack what that file declares
        problems += _project_problems(root, files)
    return problems


def _choices(label: str, names, wrong: str) -> str:
    names = sorted(str(n) for n in names if n is not None)
    return f"{_hint(wrong, names)}; {label}: {', '.join(names) or '(none)'}"


def _reference_problems(f: _File, declared: set[str], resources: dict[str, set[str]]) -> list[Problem]:
    problems = []
    for path, value in _walk(f.data):
        if not isinstance(value, str) or "${" not in value:
            continue
        for match in REFERENCE.finditer(value):
            parts = [re.sub(r"\[\d+\]$", "", p) for p in match.group(1).split(".")]
            message = None
            if parts[0] == "var" and len(parts) > 1 and parts[1] not in declared:
                message = (f"${{{match.group(1)}}}: variable '{parts[1]}' is not declared"
                           + _choices("declared variables", declared, parts[1]))
            elif parts[0] == "resources" and len(parts) > 2:
                kind, key = parts[1], parts[2]
                if key not in resources.get(kind, set()):
                    what = f"job '{key}'" if kind == "jobs" else f"resource {kind}.{key}"
                    subject = (f"${{{match.group(1)}}} names" if path[-2:] != ("run_job_task", "job_id")
                               else "run_job_task runs")
                    message = (f"{subject} {what}, which is not declared"
                               + _choices(kind, resources.get(kind, set()), key))
            if message:
                problems.append(Problem(f.rel, f.line(path), format_key(path), message))
    return problems


def _notebook_tasks(job: dict, job_path: KeyPath) -> Iterator[tuple[KeyPath, dict]]:
    for i, task in enumerate(job.get("tasks") or [] if isinstance(job.get("tasks"), list) else []):
        if isinstance(task, dict):
            yield job_path + ("tasks", i), task
            inner = _dict(task.get("for_each_task")).get("task")
            if isinstance(inner, dict):
                yield job_path + ("tasks", i, "for_each_task", "task"), inner


def _notebook_problems(root: Path, f: _File) -> list[Problem]:
    """Local notebook paths (relative to their file, or ${workspace.file_path}/...) must exist."""
    problems = []
    for section_path, section in _resource_sections(f.data):
        for job_key, job in _dict(section.get("jobs")).items():
            for task_path, task in _notebook_tasks(_dict(job), section_path + ("jobs", job_key)):
                spec = _dict(task.get("notebook_task"))
                value = spec.get("notebook_path")
                if spec.get("source") == "GIT" or not isinstance(value, str):
                    continue
                prefix = "${workspace.file_path}/"
                if value.startswith(prefix) and "${" not in value[len(prefix):]:
                    local = root / value[len(prefix):]
                elif "${" in value or value.startswith("/"):
                    continue  # a workspace path: nothing to check offline
                else:
                    local = Path(os.path.normpath(f.path.parent / value))
                path = task_path + ("notebook_task", "notebook_path")
                message = _notebook_message(root, value, local)
                if message:
                    problems.append(Problem(f.rel, f.line(path), format_key(path), message))
    return problems


def _notebook_message(root: Path, value: str, local: Path) -> str | None:
    if local.is_file():
        if local.suffix == ".py":
            with local.open(encoding="utf-8") as handle:
                if handle.readline().strip() != NOTEBOOK_HEADER:
                    return (f"notebook '{value}' ({_rel(local, root)}) is not a Databricks notebook: its first "
                            f"line must be '{NOTEBOOK_HEADER}'")
        return None
    hint = ""
    if not local.suffix and local.with_suffix(".py").is_file():
        hint = " (local notebook paths need the file extension: .py)"
    elif local.parent.is_dir():
        close = difflib.get_close_matches(local.name, [p.name for p in local.parent.iterdir()], n=1, cutoff=0.6)
        if close:
            hint = f" (did you mean '{Path(value).parent / close[0]!s}'?)"
    elif not local.parent.exists():
        hint = f" (there is no folder {_rel(local.parent, root)})"
    return f"notebook '{value}' does not exist: no file {_rel(local, root)}{hint}"


def _mode_problems(files: list[_File], targets: list[str], found: list[Problem]) -> list[Problem]:
    problems = []
    root_file = files[0]
    for target in targets:
        modes = [(f, f.data["targets"][target]["mode"]) for f in files
                 if "mode" in _dict(_dict(f.data.get("targets")).get(target))]
        key = f"targets.{target}"
        for f, mode in modes:
            if mode not in TARGET_MODES:
                problems.append(Problem(f.rel, f.line(("targets", target, "mode")), key + ".mode",
                                        f"mode must be development or production, not {_show(mode)}"))
        # A misspelt `mode:` is already reported by the schema as an unknown key of the target.
        if not modes and not any(p.file == root_file.rel and p.key == key for p in found):
            problems.append(Problem(root_file.rel, root_file.line(("targets", target)), key,
                                    "no mode: every target needs mode: development or mode: production"))
    return problems


def _project_problems(root: Path, files: list[_File]) -> list[Problem]:
    """Every projects/<name>/ has a job tagged project: <name> for each stage of REQUIRED_STAGES,
    and declares the resources of REQUIRED_PROJECT_RESOURCES in its own files."""
    folder = root / "projects"
    projects = sorted(p.name for p in folder.iterdir()
                      if p.is_dir() and not p.name.startswith((".", "_"))) if folder.is_dir() else []
    problems = []
    stages: dict[str, set[str]] = {name: set() for name in projects}
    owned: dict[str, set[str]] = {name: set() for name in projects}
    for f in files:
        parts = Path(f.rel).parts
        owner = parts[1] if len(parts) > 2 and parts[0] == "projects" else None
        for kind, items in _dict(f.data.get("resources")).items():
            if owner in owned and _dict(items):
                owned[owner].add(kind)
        for job_key, job in _dict(_dict(f.data.get("resources")).get("jobs")).items():
            if not isinstance(_dict(job).get("tags", {}), dict):
                continue  # the schema reports it
            tags = _dict(_dict(job).get("tags"))
            path = ("resources", "jobs", job_key, "tags")
            project = tags.get("project")
            if owner is not None and project != owner and isinstance(job, dict):
                problems.append(Problem(f.rel, f.line(path + ("project",)), format_key(path),
                                        f"a job of project '{owner}' needs the tag project: {owner}"
                                        + (f", not {_show(project)}" if project is not None else "")))
            elif project is not None and project not in stages:
                problems.append(Problem(f.rel, f.line(path + ("project",)), format_key(path + ("project",)),
                                        f"no project '{project}' under projects/"
                                        + _choices("projects", projects, str(project))))
            if project in stages and isinstance(tags.get("stage"), str):
                stages[project].add(tags["stage"])
    for name in projects:
        where = f"projects/{name}/resources"
        for stage in REQUIRED_STAGES:
            if stage not in stages[name]:
                problems.append(Problem(where, None, "resources.jobs",
                                        f"project '{name}' has no job tagged stage: {stage} (with project: {name}); "
                                        f"every project needs the stages {', '.join(REQUIRED_STAGES)}"))
        for kind, label in REQUIRED_PROJECT_RESOURCES.items():
            if kind not in owned[name]:
                problems.append(Problem(where, None, f"resources.{kind}",
                                        f"project '{name}' declares no {label} in {where}/*.yml"))
    return problems


# ---------------------------------------------------------------------------------------------
# 2 and 3b. Checks on each target's resolved configuration


class _Locator:
    """Turns a key path of a target's resolved configuration into a file, line and key."""

    def __init__(self, bundle: Bundle, files: dict[Path, _File]) -> None:
        self.bundle, self.files = bundle, files

    def file(self, path: KeyPath) -> _File | None:
        origin = self.bundle.origin_of(path)
        return self.files.get(origin) if isinstance(origin, Path) else None

    def problem(self, path: KeyPath, message: str, line_path: KeyPath | None = None) -> Problem:
        line_path = line_path or path
        f = self.file(path)
        if f is None:
            return Problem("databricks.yml", None, format_key(path), message, (self.bundle.target,))
        # A value from a target override sits under targets.<target> in its file.
        override = ("targets", self.bundle.target)
        best = max([line_path, override + line_path], key=f.known_depth)
        key = override + path if best[:2] == override else path
        return Problem(f.rel, f.line(best), format_key(key), message, (self.bundle.target,))


@cache
def _resource_class(kind: str):
    module, name = RESOURCE_CLASSES[kind]
    return getattr(importlib.import_module(module), name)


def _class_problems(bundle: Bundle, locate: _Locator) -> list[Problem]:
    problems = []
    for kind in RESOURCE_CLASSES:
        for key, resource in bundle.resources.get(kind, {}).items():
            path = ("resources", kind, key)
            declared = locate.file(path)
            value = _keep_resource_references(copy.deepcopy(resource), declared.get(path) if declared else None)
            cls = _resource_class(kind)
            try:
                cls.from_dict(copy.deepcopy(value))
            except _REJECTED as exc:
                where, line_path, message = _narrow(cls, value, path, exc)
                problems.append(locate.problem(where, message, line_path))
    return problems


def _keep_resource_references(resolved: Any, raw: Any) -> Any:
    """Put ${resources...} references back as written: the CLI resolves them only when it deploys
    (the local runner turns ${resources.jobs.x.id} into "x", which is no job id)."""
    if isinstance(raw, str) and _RESOURCE_REFERENCE.fullmatch(raw):
        return raw
    if isinstance(resolved, dict) and isinstance(raw, dict):
        return {k: _keep_resource_references(v, raw.get(k)) for k, v in resolved.items()}
    if isinstance(resolved, list) and isinstance(raw, list):
        return [_keep_resource_references(v, raw[i] if i < len(raw) else None) for i, v in enumerate(resolved)]
    return resolved


def _concrete(tpe: Any) -> Any:
    """The type behind VariableOr[...] / Optional[...]: the first alternative that is neither."""
    from databricks.bundles.core import Variable

    if typing.get_origin(tpe) in (typing.Union, types.UnionType):
        for arg in typing.get_args(tpe):
            if arg is not type(None) and typing.get_origin(arg) is not Variable and arg is not Variable:
                return _concrete(arg)
    return tpe


def _narrow(tpe: Any, value: Any, path: KeyPath, exc: Exception) -> tuple[KeyPath, KeyPath, str]:
    """The innermost key path whose value a databricks-bundles class rejects, by re-checking the
    fields one by one: (key path, path of the line to show, message)."""
    from databricks.bundles.core._transform import _transform  # pinned: databricks-bundles==1.22.1

    inner = _concrete(tpe)
    if dataclasses.is_dataclass(inner) and isinstance(value, dict):
        names = [f.name for f in dataclasses.fields(inner)]
        for key in value:
            if key not in names:
                return path, path + (key,), f"unknown key '{key}'{_hint(key, names)}"
        hints = typing.get_type_hints(inner)
        for key, item in value.items():
            try:
                _transform(hints[key], copy.deepcopy(item))
            except _REJECTED as sub:
                return _narrow(hints[key], item, path + (key,), sub)
        missing = re.search(r"required (?:keyword-only )?arguments?: (.*)", str(exc))
        if missing:
            return path, path, "missing required key " + missing.group(1).replace(" and ", ", ")
    elif typing.get_origin(inner) is list and isinstance(value, list):
        (item_type,) = typing.get_args(inner)
        for i, item in enumerate(value):
            try:
                _transform(item_type, copy.deepcopy(item))
            except _REJECTED as sub:
                return _narrow(item_type, item, path + (i,), sub)
    elif typing.get_origin(inner) is dict and isinstance(value, dict):
        item_type = typing.get_args(inner)[1]
        for key, item in value.items():
            try:
                _transform(item_type, copy.deepcopy(item))
            except _REJECTED as sub:
                return _narrow(item_type, item, path + (key,), sub)
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    if inner in names:
        return path, path, f"expected {names[inner]}, not {_show(value)}"
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return path, path, f"expected one of {', '.join(repr(m.value) for m in inner)}, not {_show(value)}"
    if dataclasses.is_dataclass(inner) and not isinstance(value, dict):
        return path, path, f"expected a mapping, not {_show(value)}"
    if typing.get_origin(inner) is list and not isinstance(value, list):
        return path, path, f"expected a list, not {_show(value)}"
    return path, path, str(exc)


def _job_problems(bundle: Bundle, locate: _Locator) -> list[Problem]:
    from common.runner import task_order

    problems = []
    names: dict[str, str] = {}
    for job_key, job in bundle.jobs.items():
        job_path = ("resources", "jobs", job_key)
        tasks = job.get("tasks") if isinstance(job.get("tasks"), list) else []
        keys = [_dict(t).get("task_key") for t in tasks]
        missing = False
        for i, task in enumerate(tasks):
            deps = _dict(task).get("depends_on") or []
            for j, dep in enumerate(deps if isinstance(deps, list) else []):
                wanted = _dict(dep).get("task_key")
                if wanted not in keys:
                    missing = True
                    path = job_path + ("tasks", i, "depends_on", j, "task_key")
                    problems.append(locate.problem(path, f"depends on task '{wanted}', which job '{job_key}' does "
                                                         f"not have{_choices('tasks', keys, str(wanted))}"))
        if not missing and all(isinstance(t, dict) and isinstance(t.get("task_key"), str) for t in tasks):
            try:
                task_order(job_key, tasks)
            except BundleError as exc:
                problems.append(locate.problem(job_path + ("tasks",), str(exc)))
        name = job.get("name")
        if isinstance(name, str):
            if name in names:
                first = names[name]
                other = locate.problem(("resources", "jobs", first, "name"), "")
                raw = locate.file(job_path + ("name",))
                written = raw.get(job_path + ("name",)) if raw else None
                shown = written if isinstance(written, str) else name
                problems.append(locate.problem(job_path + ("name",), f"job name '{shown}' is also the name of "
                                               f"resources.jobs.{first} ({other.file}:{other.line})"))
            else:
                names[name] = job_key
    return problems
