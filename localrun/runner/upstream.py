"""The task values of the tasks a `--task` / `--from-task` run skips, which the tasks it runs read:
given on the command line (`--task-value <task>.<key>=<value>`), else the last values each task
set in a run of the job on this lakehouse, as a Databricks repair run takes them from the run it
repairs. Every job run records its tasks' values in <lakehouse>/runs/<target>/<job>.json.

What a task reads is found before anything runs: `{{tasks.<task>.values.<key>}}` anywhere in the
task, and `dbutils.jobs.taskValues.get(taskKey="<task>", key="<key>")` without a default in its
notebook or in a notebook it `%run`s. A value that is neither given nor recorded stops the run
there, with the option to pass.
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.env import lakehouse_dir
from common.suggest import did_you_mean
from localrun.bundle import BundleError
from localrun.bundle.tree import strings
from localrun.runner.notebooks import MAGIC_RUN, run_target
from localrun.runner.references import DYNAMIC
from localrun.runner.results import JobRun


@dataclass(frozen=True)
class Need:
    """Task `task` reads value `key` of task `upstream`, as `written` says."""

    task: str
    upstream: str
    key: str
    written: str


def needs(task: dict, notebook: Path | None, skipped: set[str]) -> list[Need]:
    """The values of skipped tasks that `task` reads: {{tasks...values...}} references anywhere in
    it, and taskValues.get calls without a default in its notebook and the notebooks it %runs."""
    found = []
    for text in strings(task):
        for match in DYNAMIC.finditer(text):
            parts = match.group(1).split(".")
            if len(parts) == 4 and parts[0] == "tasks" and parts[2] == "values" and parts[1] in skipped:
                found.append(Need(task["task_key"], parts[1], parts[3], f"{{{{{match.group(1)}}}}}"))
    for upstream, key in _notebook_reads(notebook) if notebook else []:
        if upstream in skipped:
            found.append(Need(task["task_key"], upstream, key,
                              f"taskValues.get(taskKey=\"{upstream}\", key=\"{key}\")"))
    return list(dict.fromkeys(found))


def _notebook_reads(path: Path, seen: set[Path] | None = None) -> list[tuple[str, str]]:
    """(taskKey, key) of each dbutils.jobs.taskValues.get call with literal names and no default, in
    the notebook and in those its `%run` lines include (each once). A notebook that does not parse,
    or a %run target that is not there, is left to fail when it runs, with its own message."""
    seen = set() if seen is None else seen
    seen.add(path.resolve())
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return []
    reads = []
    for match in MAGIC_RUN.finditer(source):
        target = run_target(match.group(1), path.parent)
        if target is not None and target.is_file() and target.resolve() not in seen:
            reads += _notebook_reads(target, seen)
    for node in ast.walk(tree):
        func = getattr(node, "func", None)
        if not (isinstance(node, ast.Call) and isinstance(func, ast.Attribute) and func.attr == "get"
                and isinstance(func.value, ast.Attribute) and func.value.attr == "taskValues"):
            continue
        args = {**dict(zip(("taskKey", "key", "default"), node.args, strict=False)),
                **{k.arg: k.value for k in node.keywords if k.arg}}
        names = [args.get(name) for name in ("taskKey", "key")]
        default = args.get("default")
        if (all(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in names)
                and (default is None or isinstance(default, ast.Constant) and default.value is None)):
            reads.append((names[0].value, names[1].value))
    return reads


def given_values(job_key: str, keys: list[str], skipped: set[str],
                 given: dict[str, str]) -> dict[tuple[str, str], Any]:
    """--task-value <task>.<key>=<value> options as {(task, key): value}; the value is read as JSON
    when it is JSON (3, true, ["a"]), else as text. They name tasks of the job that do not run."""
    values = {}
    for name, text in given.items():
        task, dot, key = name.partition(".")
        if not (task and dot and key):
            raise BundleError(f"--task-value {name}={text}: name a task and one of its values, as "
                              f"<task>.<key>=<value> (e.g. {keys[0]}.<key>=<value>)")
        if task not in keys:
            raise BundleError(f"--task-value {name}={text}: job '{job_key}' has no task '{task}'"
                              f"{did_you_mean(task, keys)}; tasks: {', '.join(keys)}")
        if task not in skipped:
            left_out = [k for k in keys if k in skipped]
            instead = (f"--task-value gives values of the tasks that do not run: {', '.join(left_out)}" if left_out
                       else "--task-value goes with --task or --from-task")
            raise BundleError(f"--task-value {name}={text}: task '{task}' runs in this run and sets its own "
                              f"values; {instead}")
        try:
            values[task, key] = json.loads(text)
        except json.JSONDecodeError:
            values[task, key] = text
    return values


def record_path(target: str, job_key: str) -> Path:
    return lakehouse_dir() / "runs" / target / f"{job_key}.json"


def recorded(target: str, job_key: str) -> dict[str, dict[str, Any]]:
    """task -> {"run_id", "finished", "values"}: the last values each task of the job set on this
    lakehouse (empty when the job never ran here)."""
    path = record_path(target, job_key)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise BundleError(f"The record of job '{job_key}''s last task values, {path}, cannot be read ({exc}); "
                          "delete it and run the whole job once, or give the values with --task-value") from None
    tasks = record.get("tasks") if isinstance(record, dict) else None
    if not isinstance(tasks, dict):
        raise BundleError(f"The record of job '{job_key}''s last task values, {path}, has no \"tasks\" mapping; "
                          "delete it and run the whole job once, or give the values with --task-value")
    return tasks


def record(run: JobRun) -> None:
    """Keep the values of the tasks that succeeded in `run`, over those of earlier runs; one atomic
    replace of the file, so that a run killed meanwhile leaves the previous record whole."""
    ran = {key: task for key, task in run.tasks.items() if task.status == "ok"}
    if not ran:
        return
    path = record_path(run.target, run.job_key)
    try:
        tasks = recorded(run.target, run.job_key)
    except BundleError:
        tasks = {}  # an unreadable record is replaced by this run's
    finished = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    for key in ran:
        tasks[key] = {"run_id": run.run_id, "finished": finished, "values": run.task_values.of(key)}
    in_job_order = {**{key: tasks[key] for key in run.tasks if key in tasks}, **tasks}
    text = json.dumps({"job": run.job_key, "target": run.target, "tasks": in_job_order}, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def supply(run: JobRun, skipped: list[str], why: str, reads: list[Need],
           given: dict[tuple[str, str], Any]) -> list[str]:
    """Put the values of the `skipped` tasks into `run`: those given, else those recorded. Returns
    the lines that say which values the tasks read and where each came from; a BundleError names
    every value read that is neither given nor recorded, and the options that would give them."""
    record = recorded(run.target, run.job_key) if skipped else {}
    source: dict[tuple[str, str], str] = {}
    for task in skipped:
        entry = record.get(task)
        values = entry.get("values") if isinstance(entry, dict) else None
        for key, value in (values if isinstance(values, dict) else {}).items():
            run.task_values.set(task, key, value)
            source[task, key] = f"recorded by run {entry.get('run_id', '?')}, {entry.get('finished', '?')}"
    for (task, key), value in given.items():
        run.task_values.set(task, key, value)
        source[task, key] = "given with --task-value"
    missing = [need for need in reads if (need.upstream, need.key) not in source]
    if missing:
        raise BundleError(_missing_message(run.job_key, missing, why))
    used = list(dict.fromkeys([(n.upstream, n.key) for n in reads] + list(given)))
    lines = [f"  {task}.{key} = {shown(run.task_values.get(task, key))} ({source[task, key]})"
             for task, key in used]
    others = sorted({task for task, key in source if (task, key) not in used}, key=skipped.index)
    if others:  # what a notebook may read with a task key or key the check above cannot see
        lines.append(f"  and the other recorded values of {', '.join(others)}, for taskValues.get")
    return ["Values of the tasks that do not run:", *lines] if lines else []


def _missing_message(job_key: str, missing: list[Need], why: str) -> str:
    """'Task 'b' of job 'j' needs {{tasks.a.values.x}}, but task 'a' does not run (...) and ...:
    run the whole job once, or pass --task-value a.x=<value>'."""
    first = missing[0]
    needed = " and ".join(dict.fromkeys(n.written for n in missing if n.task == first.task))
    others = [n for n in missing if n.task != first.task]
    also = "".join(f"; task '{n.task}' needs {n.written}" for n in others)
    upstream = sorted({n.upstream for n in missing})
    tasks = (f"task '{upstream[0]}' does not" if len(upstream) == 1
             else f"tasks {', '.join(repr(u) for u in upstream)} do not")
    options = " ".join(dict.fromkeys(f"--task-value {n.upstream}.{n.key}=<value>" for n in missing))
    recorded_it = "that value" if len({(n.upstream, n.key) for n in missing}) == 1 else "those values"
    return (f"Task '{first.task}' of job '{job_key}' needs {needed}{also}, but {tasks} run ({why}) and no "
            f"earlier run of the job on this lakehouse recorded {recorded_it}: run the whole job once, or pass "
            f"{options}")


def shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
