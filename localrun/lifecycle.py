"""The local lifecycle: every project's jobs, by stage, through the same runner as `mlops run`.

A job takes part when its bundle tags name a `project` and a `stage`; the stage order is
common/projects.py's, the jobs and their tasks come from the bundle.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from common.lifecycle import evidently_report
from common.projects import lifecycle_jobs
from common.suggest import did_you_mean
from localrun.bundle import Bundle, BundleError
from localrun.runner import JobRun, TaskRun, run_job


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
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if makes_reports(bundle):
        evidently_report.start_worker()  # Evidently loads on the other core while the first jobs run
    try:
        for project, job_keys in chosen.items():
            print(f"\n=== {project}: {' -> '.join(job_keys)} (target {bundle.target})", file=out)
            began = time.perf_counter()
            runs[project] = [run_job(bundle, key, out=out) for key in job_keys]
            seconds[project] = time.perf_counter() - began
    finally:
        evidently_report.stop_worker()
    print(summary(runs, seconds, time.perf_counter() - started), file=out)
    return runs


def makes_reports(bundle: Bundle) -> bool:
    """Whether a monitoring task of the bundle makes a drift report (it is given a feature table)."""
    return any(task.get("notebook_task", {}).get("notebook_path", "").endswith("/Monitoring.py")
               and (task["notebook_task"].get("base_parameters") or {}).get("feature_table")
               for job in bundle.jobs.values() for task in job.get("tasks", []))


def summary(runs: dict[str, list[JobRun]], seconds: dict[str, float], total: float) -> str:
    """What each task reported through its task values (rows, model versions, verdicts), each
    project's share of the time, and one table of every model."""
    lines = ["", f"=== Lifecycle done in {total:.1f} s"]
    for project, job_runs in runs.items():
        lines.append(f"{project}: {seconds[project]:.1f} s ({seconds[project] / total:.0%})")
        for run in job_runs:
            lines.extend(_run_lines(run))
    return "\n".join([*lines, "", *models_table(runs)])


def _run_lines(run: JobRun) -> list[str]:
    """A job run's time and task values, then those of the deployment jobs its new versions started."""
    lines = [f"  {run.job_name} ({run.duration:.1f} s)"]
    for task in run.tasks.values():
        lines.extend(f"    {task.task_key}.{name}: {value}" for name, value in (task.values or {}).items())
    for triggered in run.triggered:
        lines.extend(_run_lines(triggered))
    return lines


COLUMNS = ("project", "model", "version", "aliases", "headline metric", "rows scored", "drift share")


def models_table(runs: dict[str, list[JobRun]]) -> list[str]:
    """One row per registered model the runs touched, from what its tasks reported: the version
    trained and its aliases (deployment), the headline metric (training), the rows scored."""
    rows: dict[str, dict[str, str]] = {}
    for project, job_runs in runs.items():
        for values in _task_values(job_runs):
            name = values.get("model_name")
            if not name:
                continue
            row = rows.setdefault(name, {"project": project, "model": name})
            if "aliases" in values:
                row["version"], row["aliases"] = str(values.get("model_version", "")), ", ".join(values["aliases"])
            elif "headline" in values:
                row.setdefault("version", str(values.get("model_version", "")))
                row["headline metric"] = values["headline"]
            elif "rows_scored" in values:
                row["rows scored"] = str(values["rows_scored"])
            elif "drift_share" in values:
                row["drift share"] = str(values["drift_share"])
                row["report"] = values.get("report_file", "")
    table = [[row.get(c, "-") for c in COLUMNS] for row in rows.values()]
    widths = [max(len(c), *(len(r[i]) for r in table)) if table else len(c) for i, c in enumerate(COLUMNS)]
    line = "  ".join("{:<%d}" % w for w in widths)
    reports = [f"  {row['model']}: {row['report']}" for row in rows.values() if row.get("report")]
    return [line.format(*r).rstrip() for r in (COLUMNS, ["-" * w for w in widths], *table)] + (
        ["", "Drift and quality reports (open in a browser):", *reports] if reports else [])


def _task_values(job_runs: list[JobRun]):
    """Every task's values in run order, those of the jobs and iterations a task ran, and of the
    deployment jobs a new version started, included."""
    for run in job_runs:
        for task in run.tasks.values():
            yield from _values_of(task)
        yield from _task_values(run.triggered)


def _values_of(task: TaskRun):
    """A task's values, then those of what it ran: a job run, or a for_each iteration (and the job
    run that the iteration ran, in turn)."""
    yield task.values or {}
    for child in task.children:
        yield from _task_values([child]) if isinstance(child, JobRun) else _values_of(child)
