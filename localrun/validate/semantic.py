"""Layer 3a: what a schema cannot see in the files as written. Every `${var.x}` is declared, every
`${resources.kind.key...}` (`run_job_task.job_id` included) names a declared resource, every
variable a target sets is declared, every local notebook exists and is a notebook, and every
target's mode is development or production; then the projects' rules (projects.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from common.suggest import closest
from localrun.bundle import REFERENCE, KeyPath, format_key
from localrun.bundle.notebooks import extension_hint, header_problem, notebook_tasks
from localrun.bundle.tree import walk
from localrun.paths import display_path
from localrun.validate.files import BundleFile, as_dict
from localrun.validate.problems import Problem
from localrun.validate.projects import project_problems
from localrun.validate.wording import choices_hint, show_value

TARGET_MODES = ("development", "production")


def semantic_problems(root: Path, files: list[BundleFile], targets: list[str], found: list[Problem],
                      complete: bool) -> list[Problem]:
    """Layer 3a on every file; `found` are the problems already known (mode checks defer to them);
    `complete` is False when a file could not be read."""
    problems: list[Problem] = []
    declared = {name for f in files for name in as_dict(f.data.get("variables"))}
    resources: dict[str, set[str]] = {}
    for f in files:
        for _, section in _resource_sections(f.data):
            for kind, items in section.items():
                resources.setdefault(kind, set()).update(as_dict(items))

    for f in files:
        problems += _reference_problems(f, declared, resources)
        problems += _target_variable_problems(f, declared)
        problems += _notebook_problems(root, f)
    problems += _mode_problems(files, targets, found)
    if complete:  # with a file unread, a project would seem to lack what that file declares
        problems += project_problems(root, files)
    return problems


def _resource_sections(data: dict) -> Iterator[tuple[KeyPath, dict]]:
    """(path, resources mapping) of a file: its top-level `resources` and each target's override."""
    yield ("resources",), as_dict(data.get("resources"))
    for name, target in as_dict(data.get("targets")).items():
        yield ("targets", name, "resources"), as_dict(as_dict(target).get("resources"))


def _target_variable_problems(f: BundleFile, declared: set[str]) -> list[Problem]:
    problems = []
    for target, part in as_dict(f.data.get("targets")).items():
        for name in as_dict(as_dict(part).get("variables")):
            if name not in declared:
                message = f"variable '{name}' is not declared{choices_hint('declared variables', declared, name)}"
                problems.append(Problem(f.rel, f.line(("targets", target, "variables", name)),
                                        f"targets.{target}.variables.{name}", message))
    return problems


def _reference_problems(f: BundleFile, declared: set[str], resources: dict[str, set[str]]) -> list[Problem]:
    problems = []
    for path, value in walk(f.data):
        if not isinstance(value, str) or "${" not in value:
            continue
        for match in REFERENCE.finditer(value):
            message = _reference_message(match.group(1), path, declared, resources)
            if message:
                problems.append(Problem(f.rel, f.line(path), format_key(path), message))
    return problems


def _reference_message(ref: str, path: KeyPath, declared: set[str], resources: dict[str, set[str]]) -> str | None:
    """What is wrong with the reference ${ref} found at `path`, or None."""
    parts = [re.sub(r"\[\d+\]$", "", p) for p in ref.split(".")]
    if parts[0] == "var" and len(parts) > 1 and parts[1] not in declared:
        return (f"${{{ref}}}: variable '{parts[1]}' is not declared"
                + choices_hint("declared variables", declared, parts[1]))
    if parts[0] == "resources" and len(parts) > 2:
        kind, key = parts[1], parts[2]
        if key not in resources.get(kind, set()):
            what = f"job '{key}'" if kind == "jobs" else f"resource {kind}.{key}"
            subject = f"${{{ref}}} names" if path[-2:] != ("run_job_task", "job_id") else "run_job_task runs"
            return f"{subject} {what}, which is not declared" + choices_hint(kind, resources.get(kind, set()), key)
    return None


def _notebook_problems(root: Path, f: BundleFile) -> list[Problem]:
    """Local notebook paths (relative to their file, or ${workspace.file_path}/...) must exist."""
    problems = []
    for section_path, section in _resource_sections(f.data):
        for job_key, job in as_dict(section.get("jobs")).items():
            for task_path, task in notebook_tasks(job, section_path + ("jobs", job_key)):
                spec = as_dict(task.get("notebook_task"))
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
        problem = header_problem(local)
        return f"notebook '{value}' ({display_path(local, root)}) {problem}" if problem else None
    hint = extension_hint(local) or _folder_hint(root, value, local)
    return f"notebook '{value}' does not exist: no file {display_path(local, root)}{hint}"


def _folder_hint(root: Path, value: str, local: Path) -> str:
    """For a missing notebook: the closest name in its folder, or that the folder is missing too."""
    if local.parent.is_dir():
        close = closest(local.name, [p.name for p in local.parent.iterdir()])
        return f" (did you mean '{Path(value).parent / close!s}'?)" if close is not None else ""
    if not local.parent.exists():
        return f" (there is no folder {display_path(local.parent, root)})"
    return ""


def _mode_problems(files: list[BundleFile], targets: list[str], found: list[Problem]) -> list[Problem]:
    problems = []
    root_file = files[0]
    for target in targets:
        modes = [(f, f.data["targets"][target]["mode"]) for f in files
                 if "mode" in as_dict(as_dict(f.data.get("targets")).get(target))]
        key = f"targets.{target}"
        for f, mode in modes:
            if mode not in TARGET_MODES:
                problems.append(Problem(f.rel, f.line(("targets", target, "mode")), key + ".mode",
                                        f"mode must be development or production, not {show_value(mode)}"))
        # A misspelt `mode:` is already reported by the schema as an unknown key of the target.
        if not modes and not any(p.file == root_file.rel and p.key == key for p in found):
            problems.append(Problem(root_file.rel, root_file.line(("targets", target)), key,
                                    "no mode: every target needs mode: development or mode: production"))
    return problems
