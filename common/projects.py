"""The model projects of the repository and their lifecycle stages, defined once.

A project is a folder under ``projects/``; its jobs carry the bundle tags ``project: <name>`` and
``stage: <stage>``. The offline validator requires every stage, the local lifecycle runs them in
this order, the dev reset accepts these projects, and CI's scripts (standard library only, like
this module) select jobs and changed projects with the same rules.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from common.env import REPO_ROOT

# Lifecycle order: every project has at least one job tagged with each stage.
STAGES = ("features", "training", "inference", "monitoring")


def discover_projects(root: Path = REPO_ROOT) -> list[str]:
    """The project names: every folder under projects/ (hidden folders and __pycache__ aside)."""
    folder = Path(root) / "projects"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def project_module(project: str, module: str, root: Path = REPO_ROOT) -> ModuleType:
    """`projects.<project>.<module>`, for the notebooks every project shares (common/notebooks/),
    which take the project's name as a parameter: its `model` (SPEC) and `settings` (load_settings)."""
    known = discover_projects(root)
    if project not in known:
        raise ValueError(f"Unknown project {project!r}; set the parameter 'project' to one of: {', '.join(known)}")
    name = f"projects.{project}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise LookupError(f"Project {project} has no projects/{project}/{module}.py, which the shared lifecycle "
                          "needs") from None


def jobs_by_stage(jobs: Mapping[str, Mapping | None]) -> dict[str, dict[str, list[str]]]:
    """Project -> stage tag -> job keys (sorted), from the jobs' `project` and `stage` tags; a job
    tagged with a project but no stage is listed under the stage None."""
    found: dict[str, dict[str, list[str]]] = {}
    for key, job in jobs.items():
        tags = (job or {}).get("tags") or {}
        if tags.get("project"):
            found.setdefault(tags["project"], {}).setdefault(tags.get("stage"), []).append(key)
    return {project: {stage: sorted(keys) for stage, keys in stages.items()}
            for project, stages in sorted(found.items())}


def lifecycle_jobs(jobs: Mapping[str, Mapping | None]) -> dict[str, list[str]]:
    """Project -> its job keys in lifecycle stage order (jobs of other stages left out)."""
    ordered = {project: [key for stage in STAGES for key in stages.get(stage, [])]
               for project, stages in jobs_by_stage(jobs).items()}
    return {project: keys for project, keys in ordered.items() if keys}
