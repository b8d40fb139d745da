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
# Every project also has a deployment job, which no lifecycle step runs: a new model version starts it.
DEPLOYMENT_STAGE = "deployment"


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


def model_spec(project: str, variant: str = "", root: Path = REPO_ROOT):
    """The ModelSpec of a project's model: its model.py's `spec_for(variant)` when a project has
    several models (the variant picks one), else its `SPEC`."""
    module = project_module(project, "model", root)
    if hasattr(module, "spec_for"):
        return module.spec_for(variant)
    if not hasattr(module, "SPEC"):
        raise LookupError(f"projects/{project}/model.py defines neither SPEC nor spec_for(variant)")
    return module.SPEC


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


def fanned_out_jobs(jobs: Mapping[str, Mapping | None]) -> set[str]:
    """Jobs that another job runs once per item of a for_each_task (e.g. one training per model and
    country): each is a part of that job, not a lifecycle step of its own."""
    found = set()
    for job in jobs.values():
        for task in (job or {}).get("tasks") or []:
            inner = ((task or {}).get("for_each_task") or {}).get("task") or {}
            job_id = str((inner.get("run_job_task") or {}).get("job_id") or "")
            # Resolved (the runner: the job's key) or as written (`-o json`: ${resources.jobs.<key>.id}).
            if job_id.startswith("${resources.jobs.") and job_id.endswith(".id}"):
                job_id = job_id[len("${resources.jobs."):-len(".id}")]
            if job_id:
                found.add(job_id)
    return found


def lifecycle_jobs(jobs: Mapping[str, Mapping | None]) -> dict[str, list[str]]:
    """Project -> its job keys in lifecycle stage order (jobs of other stages, and jobs that a
    for_each_task runs, left out)."""
    parts = fanned_out_jobs(jobs)
    ordered = {project: [key for stage in STAGES for key in stages.get(stage, []) if key not in parts]
               for project, stages in jobs_by_stage(jobs).items()}
    return {project: keys for project, keys in ordered.items() if keys}
