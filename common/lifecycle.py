"""The local lifecycle: every project's jobs, by stage, through the same runner as `mlops run`.

A job takes part when its bundle tags name a `project` and a `stage`; the stage order below is
the only order kept here, the jobs and their tasks come from the bundle.
"""

from __future__ import annotations

import sys
import time

from common.bundle import Bundle
from common.runner import JobRun, run_job

STAGES = ("features", "training", "inference", "monitoring")


def lifecycle_jobs(bundle: Bundle) -> dict[str, list[str]]:
    """Project name -> its job keys in stage order."""
    projects: dict[str, list[tuple[int, str]]] = {}
    for key, job in bundle.jobs.items():
        tags = job.get("tags") or {}
        if tags.get("project") and tags.get("stage") in STAGES:
            projects.setdefault(tags["project"], []).append((STAGES.index(tags["stage"]), key))
    return {project: [key for _, key in sorted(jobs)] for project, jobs in sorted(projects.items())}


def run_lifecycle(bundle: Bundle, out=sys.stdout) -> dict[str, list[JobRun]]:
    runs: dict[str, list[JobRun]] = {}
    started = time.perf_counter()
    for project, job_keys in lifecycle_jobs(bundle).items():
        print(f"\n=== {project}: {' -> '.join(job_keys)} (target {bundle.target})", file=out)
        runs[project] = [run_job(bundle, key, out=out) for key in job_keys]
    print(summary(runs, time.perf_counter() - started), file=out)
    return runs


def summary(runs: dict[str, list[JobRun]], seconds: float) -> str:
    """What each task reported through its task values: rows, model versions, verdicts."""
    lines = ["", f"=== Lifecycle done in {seconds:.1f} s"]
    for project, job_runs in runs.items():
        lines.append(f"{project}:")
        for run in job_runs:
            lines.append(f"  {run.job_name} ({run.duration:.1f} s)")
            for task in run.tasks.values():
                for name, value in (task.values or {}).items():
                    lines.append(f"    {task.task_key}.{name}: {value}")
    return "\n".join(lines)
