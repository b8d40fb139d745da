"""`{{...}}` dynamic value references in job and task parameters, resolved as Databricks does
when a task starts: job and task facts, job parameters, upstream task values and states."""

from __future__ import annotations

import json
import re
from typing import Any

from localrun.bundle import BundleError
from localrun.runner.results import JobRun

DYNAMIC = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_STATES = {"ok": "success", "failed": "failed", "excluded": "excluded", "skipped": "skipped"}


def as_parameter(value: Any) -> str:
    """A parameter value as Databricks passes it: always a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def resolve(value: Any, run: JobRun, task_key: str | None, where: str, check: bool = False) -> str:
    """`value` as a string with its {{...}} references replaced; with check=True only validated
    (task values, which exist only once their task has run, become "")."""
    text = as_parameter(value)
    return DYNAMIC.sub(lambda m: _reference(m.group(1), run, task_key, where, check), text)


def _fixed(run: JobRun, task_key: str | None) -> dict[str, str]:
    """The references that name a fact of the run: job id and name, start time, task name..."""
    start = run.start_time
    fixed = {
        "job.id": run.job_key, "job.name": run.job_name, "job.run_id": run.run_id, "job.repair_count": "0",
        "job.trigger.type": "one_time",
        "job.start_time.iso_date": start.strftime("%Y-%m-%d"),
        "job.start_time.iso_datetime": start.strftime("%Y-%m-%dT%H:%M:%S"),
        "job.start_time.timestamp": str(int(start.timestamp() * 1000)),
        **{f"job.start_time.{unit}": str(getattr(start, unit))
           for unit in ("year", "month", "day", "hour", "minute", "second")},
    }
    if task_key is not None:
        fixed.update({"task.name": task_key, "task.run_id": run.task_run_id(task_key), "task.execution_count": "1"})
    return fixed


def _reference(ref: str, run: JobRun, task_key: str | None, where: str, check: bool) -> str:
    fixed = _fixed(run, task_key)
    if ref in fixed:
        return fixed[ref]
    parts = ref.split(".")
    site = (f"{where} of task '{task_key}' in job '{run.job_key}'" if task_key
            else f"{where} of job '{run.job_key}'")
    if parts[:2] == ["job", "parameters"] and len(parts) == 3:
        if parts[2] not in run.parameters:
            raise BundleError(f"Unknown job parameter in {{{{{ref}}}}} at {site}; parameters: "
                              f"{', '.join(run.parameters) or '(none)'}")
        return run.parameters[parts[2]]
    if parts[0] == "tasks" and len(parts) >= 3:
        found = _task_reference(parts, ref, run, site, check)
        if found is not None:
            return found
    supported = ", ".join(["{{job.parameters.<name>}}", "{{tasks.<task_key>.values.<key>}}",
                           "{{tasks.<task_key>.result_state}}", *(f"{{{{{k}}}}}" for k in fixed)])
    raise BundleError(f"Unknown dynamic value reference {{{{{ref}}}}} at {site}; supported: {supported}")


def _task_reference(parts: list[str], ref: str, run: JobRun, site: str, check: bool) -> str | None:
    """{{tasks.<key>.values.<name>}}, .result_state, .run_id, .execution_count; None for others."""
    if parts[1] not in run.tasks:
        raise BundleError(f"Unknown task '{parts[1]}' in {{{{{ref}}}}} at {site}; tasks: {', '.join(run.tasks)}")
    if parts[2] == "values" and len(parts) == 4:
        return "" if check else as_parameter(run.task_values.get(parts[1], parts[3]))
    if len(parts) == 3 and parts[2] in ("result_state", "run_id", "execution_count"):
        upstream = run.tasks[parts[1]]
        return {"result_state": _STATES.get(upstream.status, ""), "execution_count": "1",
                "run_id": run.task_run_id(parts[1])}[parts[2]]
    return None
