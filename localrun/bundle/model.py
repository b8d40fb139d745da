"""The Bundle: one target of the bundle, fully resolved, with the origin of every value. It answers
what the runner and the CLI ask: a job, the file that declared a resource, the local file of a
notebook task, and the configuration as `databricks bundle validate -o json` prints it.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localrun.bundle.errors import BundleError, KeyPath, format_key, name_list
from localrun.bundle.notebooks import extension_hint, header_problem, notebook_tasks
from localrun.bundle.origins import Origins, origin_name
from localrun.bundle.permissions import Overlap
from localrun.paths import display_path


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
    origins: Origins = field(default_factory=Origins, repr=False)
    # The resources as `databricks bundle validate -o json` shows them: ${resources...} unresolved.
    unresolved_resources: dict[str, dict[str, dict]] | None = field(default=None, repr=False)
    permission_overlaps: list[Overlap] = field(default_factory=list, repr=False)
    variable_defaults: dict[str, Any] = field(default_factory=dict, repr=False)  # as the CLI shows them

    @property
    def jobs(self) -> dict[str, dict]:
        return self.resources.get("jobs", {})

    def job(self, key: str) -> dict:
        if key not in self.jobs:
            raise BundleError(f"Unknown job '{key}' for target {self.target}; jobs: {name_list(self.jobs)}")
        return self.jobs[key]

    def source_of(self, kind: str, key: str) -> Path:
        """The YAML file that declared resource `kind.key` (e.g. "jobs", "train")."""
        if key not in self.resources.get(kind, {}):
            raise BundleError(f"Unknown resource {kind}.{key} for target {self.target}; "
                              f"{kind}: {name_list(self.resources.get(kind, {}))}")
        file = self.origins.file_of(("resources", kind, key))
        assert isinstance(file, Path)
        return file

    def origin_of(self, path: KeyPath) -> Path | str | None:
        """The file (or "--var", "BUNDLE_VAR_x") that gave the value at a key path of the resolved
        configuration: the target override that last changed it, else the file that declared it."""
        return self.origins.file_of(tuple(path))

    def notebook_path(self, job_key: str, task: str | dict) -> Path:
        """Absolute local path of a task's notebook (notebook_path is relative to the declaring file)."""
        task_key = task if isinstance(task, str) else task.get("task_key")
        tasks = self.job(job_key).get("tasks") or []
        for i, item in enumerate(tasks):
            if item.get("task_key") == task_key:
                if "notebook_task" not in item:
                    raise BundleError(f"Task '{task_key}' of job '{job_key}' is not a notebook_task")
                return self.local_notebook(("resources", "jobs", job_key, "tasks", i), job_key, item)
        for path, inner in notebook_tasks(self.job(job_key), ("resources", "jobs", job_key)):
            if inner.get("task_key") == task_key:  # the notebook task inside a for_each_task
                return self.local_notebook(path, job_key, inner)
        raise BundleError(f"Unknown task '{task_key}' in job '{job_key}'; tasks: "
                          + ", ".join(str(t.get("task_key")) for t in tasks))

    def to_dict(self) -> dict:
        """The resolved configuration, like `databricks bundle validate -o json` (notebook paths
        translated to workspace paths, without extension, as the CLI deploys them)."""
        resources = copy.deepcopy(self.resources if self.unresolved_resources is None else self.unresolved_resources)
        for job_key, job in resources.get("jobs", {}).items():
            # The same walk over the resolved job (to find the file) and the shown one (to rewrite).
            walk = ("resources", "jobs", job_key)
            for (path, task), (_, shown) in zip(notebook_tasks(self.jobs[job_key], walk), notebook_tasks(job, walk)):
                if not self.in_bundle(task):
                    continue
                local = self.local_notebook(path, job_key, task)
                if local.is_relative_to(self.root):
                    relative = local.relative_to(self.root).with_suffix("").as_posix()
                    shown["notebook_task"]["notebook_path"] = f"{self.workspace['file_path']}/{relative}"
        for schema in resources.get("schemas", {}).values():
            if (schema.get("lifecycle") or {}).get("prevent_destroy") is False:
                del schema["lifecycle"]["prevent_destroy"]  # the CLI leaves out a false setting
        bundle: dict[str, Any] = {"name": self.name, "target": self.target, "environment": self.target}
        if self.mode:
            bundle["mode"] = self.mode
        if self.mode == "development":
            bundle["deployment"] = {"lock": {"enabled": False}}
        out: dict[str, Any] = {
            "bundle": bundle,
            "workspace": copy.deepcopy(self.workspace),
            "variables": self._variables_shown(),
            "resources": resources,
        }
        for key in ("run_as", "presets", "permissions"):
            if getattr(self, key):
                out[key] = copy.deepcopy(getattr(self, key))
        return out

    def _variables_shown(self) -> dict:
        """Each variable as the CLI shows it: description, type, default (see variable_defaults), value."""
        shown = {}
        for name, value in self.variables.items():
            declared = self.variable_declarations.get(name, {})
            shown[name] = {k: declared[k] for k in ("description", "type") if k in declared}
            if name in self.variable_defaults:
                shown[name]["default"] = self.variable_defaults[name]
            shown[name]["value"] = value
        return shown

    def in_bundle(self, task: dict) -> bool:
        """False for notebooks taken from a Git source or an absolute workspace path outside the bundle."""
        spec = task.get("notebook_task") or {}
        value = spec.get("notebook_path")
        file_root = str(self.workspace.get("file_path", "")).rstrip("/") + "/"
        return spec.get("source") != "GIT" and not (isinstance(value, str) and value.startswith("/")
                                                    and not value.startswith(file_root))

    def local_notebook(self, task_path: KeyPath, job_key: str, task: dict) -> Path:
        """The local file of a notebook task of the bundle (see in_bundle) at `task_path`; a
        BundleError naming the job, the task and the file when it is missing or no notebook."""
        value = (task.get("notebook_task") or {}).get("notebook_path")
        value_path = task_path + ("notebook_task", "notebook_path")
        declared_in = self.origins.file_of(value_path)
        where = f"job '{job_key}', task '{task.get('task_key')}'"
        file_name = origin_name(declared_in, self.root) if declared_in else "?"
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
            raise BundleError(f"Notebook not found for {where}: notebook_path '{value}' in {file_name} "
                              f"points to {display_path(local, self.root)}, which does not exist"
                              f"{extension_hint(local)}")
        problem = header_problem(local)
        if problem:
            raise BundleError(f"{display_path(local, self.root)} (notebook of {where}, {file_name}) {problem}")
        return local
