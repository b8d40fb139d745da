"""The local lifecycle: every project's jobs, by stage, through the same runner as `mlops run`.

A job takes part when its bundle tags name a `project` and a `stage`; the stage order is
common/projects.py's, the jobs and their tasks come from the bundle.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from common.projects import lifecycle_jobs
from common.suggest import did_you_mean
from localrun.bundle import Bundle, BundleError
from localrun.runner import JobRun, run_job


def run_lifecycle(bundle: Bundle, out: TextIO | None = None,
                  projects: Sequence[str] = ()) -> dict[str, list[JobRun]]:
    """Every project's jobs (or only those of `projects`) in stage order, then the summary; `out`
    defaults to the current stdout. An unknown project name runs nothing."""
    out = sys.stdout if out is None else out
    chosen = lifecycle_jobs(bundle.jobs)
    for name in projects:
        if name not in chosen:
            hint = did_you_mean(name, sorted(chosen), " (did you mean '{}'?)")
            raise BundleError(f"Unknown project '{name}'{hint}; projects with jobs in target {bundle.target}: "
                              f"{', '.join(chosen)}")
    if projects:
        chosen = {name: chosen[name] for name in projects}
    runs: dict[str, list[JobRun]] = {}
    started = time.perf_counter()
    for project, job_keys in chosen.items():
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
