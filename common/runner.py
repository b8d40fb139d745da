"""Run one job of the bundle on this machine, task by task in `depends_on` order.

Notebook tasks run the same notebook files with the same parameters as on Databricks (job
parameters, base_parameters, task values, {{...}} dynamic value references); condition tasks branch;
run_job tasks run another job of the bundle. The first failing task stops the job.
"""
from __future__ import annotations

import heapq
import itertools
import json
import os
import re
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from common.bundle import Bundle, BundleError
from common.dbutils_local import LocalDbutils, NotebookExit, TaskValues, activated

SUPPORTED_TASK_TYPES = ("notebook_task", "condition_task", "run_job_task")
CONDITION_OPS = ("EQUAL_TO", "NOT_EQUAL", "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN",
                 "LESS_THAN_OR_EQUAL")
DYNAMIC = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
MAGIC_RUN = re.compile(r"^# MAGIC %run[ \t]+(.*?)\s*$", re.MULTILINE)
MAGIC = re.compile(r"^# MAGIC %(\w+)", re.MULTILINE)
USES_SPARK = re.compile(r"\bspark\b")

# run_if -> is it met, given the states ("success" | "failed" | "excluded") of the dependencies.
RUN_IF = {
    "ALL_SUCCESS": lambda states: all(s == "success" for s in states),
    "AT_LEAST_ONE_SUCCESS": lambda states: "success" in states,
    "NONE_FAILED": lambda states: "failed" not in states and "success" in states,
    "ALL_DONE": lambda states: True,
    "ALL_FAILED": lambda states: all(s == "failed" for s in states),
    "AT_LEAST_ONE_FAILED": lambda states: "failed" in states,
}

_run_ids = itertools.count(1)


def _default_spark() -> Any:
    from common.runtime import get_spark  # imported late: pyspark only when a notebook needs it

    return get_spark()


@dataclass
class TaskRun:
    task_key: str
    status: str = "pending"  # ok | failed | skipped | excluded
    duration: float = 0.0
    exit_value: str | None = None
    outcome: str | None = None  # "true" / "false" for a condition_task
    values: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why the task was skipped, excluded or failed


@dataclass
class JobRun:
    job_key: str
    job_name: str
    target: str
    run_id: str
    start_time: datetime
    parameters: dict[str, str]
    tasks: dict[str, TaskRun]
    task_values: TaskValues
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return all(t.status != "failed" for t in self.tasks.values())


class JobFailed(Exception):
    """A task failed; the message names the job, the task, the cause and the tasks not run."""

    def __init__(self, message: str, run: JobRun, task_key: str, cause: BaseException, details: str = "") -> None:
        super().__init__(message)
        self.run = run
        self.task_key = task_key
        self.cause = cause
        self.details = details  # the notebook's traceback, from the notebook frame down


def run_job(bundle: Bundle, job_key: str, *, only_task: str | None = None, from_task: str | None = None,
            job_parameters: dict[str, str] | None = None, spark_factory: Callable[[], Any] | None = None,
            out: TextIO = sys.stdout) -> JobRun:
    """Run job `job_key` of `bundle`; raise JobFailed at the first failing task, BundleError on bad config."""
    runner = _Runner(bundle, _LazySpark(spark_factory or _default_spark), out, indent="", stack=())
    return runner.run(job_key, only_task=only_task, from_task=from_task, job_parameters=job_parameters)


class _LazySpark:
    """Creates the Spark session on first need only, once (tests and spark-free jobs never start one)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._session: Any = None

    def get(self) -> Any:
        if self._session is None:
            self._session = self._factory()
        return self._session


def _symbols(out: TextIO) -> tuple[str, str, str]:
    try:
        "▶✓✗".encode(getattr(out, "encoding", None) or "utf-8")
        return "▶", "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return ">", "ok", "x"


def _text(value: Any) -> str:
    """A parameter value as Databricks passes it: always a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _task_type(job_key: str, task: dict) -> str:
    kinds = [k for k in task if k.endswith("_task")]
    if not kinds:
        raise BundleError(f"Task '{task['task_key']}' of job '{job_key}' has no task type; supported types: "
                          f"{', '.join(SUPPORTED_TASK_TYPES)}")
    if kinds[0] not in SUPPORTED_TASK_TYPES:
        raise BundleError(f"Task '{task['task_key']}' of job '{job_key}' is a {kinds[0]}, which cannot run "
                          f"locally; supported types: {', '.join(SUPPORTED_TASK_TYPES)}")
    return kinds[0]


def _deps(task: dict) -> list[dict]:
    return [d if isinstance(d, dict) else {"task_key": d} for d in task.get("depends_on") or []]


def task_order(job_key: str, tasks: list[dict]) -> list[dict]:
    """Tasks in run order: topological by depends_on, ties in declaration order."""
    index = {t["task_key"]: i for i, t in enumerate(tasks)}
    waiting_on: dict[str, set[str]] = {}
    for task in tasks:
        waiting_on[task["task_key"]] = set()
        for dep in _deps(task):
            if dep.get("task_key") not in index:
                raise BundleError(f"Task '{task['task_key']}' of job '{job_key}' depends on unknown task "
                                  f"'{dep.get('task_key')}'; tasks: {', '.join(index)}")
            waiting_on[task["task_key"]].add(dep["task_key"])
    ready = [i for i, t in enumerate(tasks) if not waiting_on[t["task_key"]]]
    heapq.heapify(ready)
    order: list[dict] = []
    while ready:
        task = tasks[heapq.heappop(ready)]
        order.append(task)
        for other, deps in waiting_on.items():
            if task["task_key"] in deps:
                deps.discard(task["task_key"])
                if not deps:
                    heapq.heappush(ready, index[other])
    if len(order) < len(tasks):
        # Follow unmet dependencies from a waiting task until one repeats: that is a cycle.
        key, path = next(k for k, d in waiting_on.items() if d), []
        while key not in path:
            path.append(key)
            key = min(waiting_on[key], key=index.get)
        cycle = path[path.index(key):] + [key]
        raise BundleError(f"Job '{job_key}' has a dependency cycle: {' -> '.join(cycle)} "
                          "(each task depends on the next)")
    return order


class _Runner:
    def __init__(self, bundle: Bundle, spark: _LazySpark, out: TextIO, indent: str, stack: tuple[str, ...]) -> None:
        self.bundle = bundle
        self.spark = spark
        self.out = out
        self.indent = indent
        self.stack = stack
        self.start_mark, self.ok_mark, self.fail_mark = _symbols(out)

    def say(self, line: str) -> None:
        print(self.indent + line, file=self.out, flush=True)

    # -- the job ---------------------------------------------------------------------------------

    def run(self, job_key: str, *, only_task: str | None = None, from_task: str | None = None,
            job_parameters: dict[str, str] | None = None) -> JobRun:
        if job_key in self.stack:
            raise BundleError(f"run_job_task cycle: {' -> '.join(self.stack + (job_key,))}")
        job = self.bundle.job(job_key)
        tasks = job.get("tasks") or []
        if not tasks:
            raise BundleError(f"Job '{job_key}' has no tasks ({self._file(job_key)})")
        order = task_order(job_key, tasks)
        keys = [t["task_key"] for t in order]
        selected = self._selection(job_key, keys, only_task, from_task)

        start = datetime.now(UTC)
        run = JobRun(job_key=job_key, job_name=str(job.get("name", job_key)), target=self.bundle.target,
                     run_id=f"{int(start.timestamp() * 1000)}{next(_run_ids):03d}", start_time=start,
                     parameters={}, tasks={k: TaskRun(k) for k in keys}, task_values=TaskValues(keys))
        run.parameters = self._job_parameters(job_key, job, job_parameters or {}, run)
        for task in order:  # check everything before running anything
            if task["task_key"] in selected:
                self._check_task(job_key, task, run)

        self.say(f"Job {job_key} ({run.job_name}), target {self.bundle.target}: {len(selected)} of "
                 f"{len(keys)} task(s)")
        began = time.perf_counter()
        position = 0
        for task in order:
            key = task["task_key"]
            result = run.tasks[key]
            if key not in selected:
                result.status, result.reason = "skipped", (f"only --task {only_task}" if only_task
                                                           else f"before --from-task {from_task}")
                self.say(f"- {key} skipped ({result.reason})")
                continue
            excluded = self._exclusion(job_key, task, run)
            if excluded:
                result.status, result.reason = "excluded", excluded
                self.say(f"- {key} excluded ({excluded})")
                continue
            position += 1
            self._run_task(job_key, task, run, position, len(selected))
        run.duration = time.perf_counter() - began
        return run

    def _selection(self, job_key: str, keys: list[str], only_task: str | None, from_task: str | None) -> set[str]:
        if only_task and from_task:
            raise BundleError("Give either a task to run alone or a task to start from, not both")
        wanted = only_task or from_task
        if wanted is None:
            return set(keys)
        if wanted not in keys:
            raise BundleError(f"Unknown task '{wanted}' in job '{job_key}'; tasks: {', '.join(keys)}")
        return {only_task} if only_task else set(keys[keys.index(from_task):])

    def _job_parameters(self, job_key: str, job: dict, given: dict[str, str], run: JobRun) -> dict[str, str]:
        declared: dict[str, Any] = {}
        for i, param in enumerate(job.get("parameters") or []):
            if not isinstance(param, dict) or not param.get("name"):
                raise BundleError(f"parameters[{i}] of job '{job_key}' ({self._file(job_key)}) needs a name")
            declared[param["name"]] = param.get("default")
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise BundleError(f"Unknown job parameter '{unknown[0]}' for job '{job_key}'; parameters: "
                              f"{', '.join(declared) or '(none)'}")
        values = {}
        for name, default in declared.items():
            value = given.get(name, default)
            if value is None:
                raise BundleError(f"Job parameter '{name}' of job '{job_key}' has no default and no value given")
            values[name] = self._dynamic(value, job_key, run, None, f"parameters.{name}")
        return values

    def _check_task(self, job_key: str, task: dict, run: JobRun) -> None:
        """Raise BundleError now for anything that would make the task fail for configuration reasons."""
        kind = _task_type(job_key, task)
        for dep in _deps(task):
            outcome = dep.get("outcome")
            if outcome is not None:
                if outcome not in ("true", "false"):
                    raise BundleError(f"Task '{task['task_key']}' of job '{job_key}': depends_on outcome must be "
                                      f"\"true\" or \"false\", not {outcome!r}")
                upstream = next(t for t in self.bundle.job(job_key)["tasks"] if t["task_key"] == dep["task_key"])
                if "condition_task" not in upstream:
                    raise BundleError(f"Task '{task['task_key']}' of job '{job_key}' depends on an outcome of "
                                      f"'{dep['task_key']}', which is not a condition_task")
        run_if = task.get("run_if", "ALL_SUCCESS")
        if run_if not in RUN_IF:
            raise BundleError(f"Task '{task['task_key']}' of job '{job_key}': unknown run_if '{run_if}'; "
                              f"choices: {', '.join(RUN_IF)}")
        spec = task[kind] or {}
        check = {"job_key": job_key, "run": run, "task_key": task["task_key"], "check": True}
        if kind == "notebook_task":
            path = self.bundle.notebook_path(job_key, task)
            if path.suffix != ".py":
                raise BundleError(f"Notebook {path.name} of task '{task['task_key']}' in job '{job_key}': only "
                                  "Python source notebooks (.py) run locally")
            for name, value in (spec.get("base_parameters") or {}).items():
                self._dynamic(value, where=f"notebook_task.base_parameters.{name}", **check)
        elif kind == "condition_task":
            if spec.get("op") not in CONDITION_OPS:
                raise BundleError(f"Task '{task['task_key']}' of job '{job_key}': condition_task op "
                                  f"{spec.get('op')!r} is not one of {', '.join(CONDITION_OPS)}")
            for side in ("left", "right"):
                self._dynamic(spec.get(side, ""), where=f"condition_task.{side}", **check)
        elif kind == "run_job_task":
            target = str(spec.get("job_id"))
            if target not in self.bundle.jobs:
                raise BundleError(f"Task '{task['task_key']}' of job '{job_key}': run_job_task job_id {target!r} "
                                  f"is not a job of this bundle (use ${{resources.jobs.<key>.id}}); jobs: "
                                  f"{', '.join(sorted(self.bundle.jobs))}")
            if target == job_key or target in self.stack:
                raise BundleError(f"Task '{task['task_key']}' of job '{job_key}' runs job '{target}', which is "
                                  "already running: run_job_task cycle")
            declared = [p["name"] for p in self.bundle.jobs[target].get("parameters") or []]
            for name, value in (spec.get("job_parameters") or {}).items():
                if name not in declared:
                    raise BundleError(f"Task '{task['task_key']}' of job '{job_key}' passes job parameter "
                                      f"'{name}' to job '{target}'; its parameters: {', '.join(declared) or '(none)'}")
                self._dynamic(value, where=f"run_job_task.job_parameters.{name}", **check)

    def _exclusion(self, job_key: str, task: dict, run: JobRun) -> str:
        """Why the task does not run (its dependencies' outcomes and run_if), or "" when it runs."""
        deps = _deps(task)
        if not deps:
            return ""
        states, reasons = [], []
        for dep in deps:
            upstream = run.tasks[dep["task_key"]]
            if upstream.status == "skipped":  # not selected: treated as done, as in a repair run
                states.append("success")
            elif upstream.status == "excluded":
                states.append("excluded")
                reasons.append(f"'{upstream.task_key}' excluded")
            elif upstream.status == "failed":
                states.append("failed")
            elif dep.get("outcome") is not None and dep["outcome"] != upstream.outcome:
                states.append("excluded")
                reasons.append(f"condition '{upstream.task_key}' is {upstream.outcome}")
            else:
                states.append("success")
        run_if = task.get("run_if", "ALL_SUCCESS")
        if RUN_IF[run_if](states):
            return ""
        return "; ".join(reasons) if reasons and run_if == "ALL_SUCCESS" else f"run_if {run_if} not met"

    # -- one task --------------------------------------------------------------------------------

    def _run_task(self, job_key: str, task: dict, run: JobRun, position: int, total: int) -> None:
        key = task["task_key"]
        kind = _task_type(job_key, task)
        result = run.tasks[key]
        self.say(f"{self.start_mark} [{position}/{total}] {key} ({self._describe(job_key, task, kind)})")
        began = time.perf_counter()
        try:
            if kind == "notebook_task":
                result.exit_value = self._notebook_task(job_key, task, run)
            elif kind == "condition_task":
                result.outcome = self._condition_task(job_key, task, run)
            else:
                self._run_job_task(job_key, task, run)
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - any failure of the notebook fails the task
            result.duration = time.perf_counter() - began
            result.status, result.values = "failed", run.task_values.of(key)
            self._fail(job_key, task, run, exc)
        result.duration = time.perf_counter() - began
        result.status, result.values = "ok", run.task_values.of(key)
        extra = f" (outcome {result.outcome})" if result.outcome else ""
        if result.exit_value is not None:
            shown = result.exit_value if len(result.exit_value) <= 60 else result.exit_value[:57] + "..."
            extra += f" (exit: {shown})"
        self.say(f"{self.ok_mark} {key} {result.duration:.1f} s{extra}")

    def _fail(self, job_key: str, task: dict, run: JobRun, exc: BaseException) -> None:
        key = task["task_key"]
        result = run.tasks[key]
        if isinstance(exc, JobFailed):  # a run_job_task: its own message already names the inner task
            cause = str(exc)
        else:
            lines = str(exc).strip().splitlines()
            cause = type(exc).__name__ + (f": {lines[0]}" + (" ..." if len(lines) > 1 else "") if lines else "")
            where = self._where(exc)
            if where:
                cause += f" ({where})"
        result.reason = cause
        self.say(f"{self.fail_mark} {key} failed after {result.duration:.1f} s: {cause}")
        order = list(run.tasks)
        not_run = [k for k in order[order.index(key) + 1:] if run.tasks[k].status == "pending"]
        for other in not_run:
            run.tasks[other].status, run.tasks[other].reason = "skipped", f"job stopped at failed task '{key}'"
        message = f"Job '{job_key}' failed at task '{key}': {cause}"
        if not_run:
            message += f". Not run: {', '.join(not_run)}"
        details = "" if isinstance(exc, JobFailed) else self._traceback(exc)
        raise JobFailed(message, run, key, exc, details) from exc

    def _describe(self, job_key: str, task: dict, kind: str) -> str:
        if kind == "notebook_task":
            return f"notebook {self._rel(self.bundle.notebook_path(job_key, task))}"
        if kind == "condition_task":
            spec = task["condition_task"]
            return f"condition {spec.get('left')} {spec.get('op')} {spec.get('right')}"
        return f"run job {task['run_job_task'].get('job_id')}"

    def _notebook_task(self, job_key: str, task: dict, run: JobRun) -> str | None:
        key = task["task_key"]
        params = {name: self._dynamic(value, job_key, run, key, f"notebook_task.base_parameters.{name}")
                  for name, value in (task["notebook_task"].get("base_parameters") or {}).items()}
        # Job parameters are pushed down to every notebook task and win over base_parameters (Databricks).
        params.update(run.parameters)
        dbutils = LocalDbutils(params, key, run.task_values)
        return self._notebook(self.bundle.notebook_path(job_key, task), dbutils)

    def _notebook(self, path: Path, dbutils: LocalDbutils) -> str | None:
        """exec a Databricks source notebook in its folder, with spark, dbutils and display defined."""
        namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(path), "dbutils": dbutils,
                                     "display": _display, "displayHTML": print}
        namespace["__mlops_run__"] = lambda line, folder: self._magic_run(line, Path(folder), namespace)
        saved_cwd, saved_path = os.getcwd(), list(sys.path)
        # As in a Databricks Git folder: cwd is the notebook's folder, and both it and the repository
        # root are importable.
        os.chdir(path.parent)
        sys.path[:0] = [str(path.parent), str(self.bundle.root)]
        try:
            with activated(dbutils):
                self._exec(path, namespace)
        except NotebookExit as exc:
            return _text(exc.value)
        finally:
            os.chdir(saved_cwd)
            sys.path[:] = saved_path
        return None

    def _exec(self, path: Path, namespace: dict) -> None:
        source = path.read_text(encoding="utf-8")
        for magic in sorted(set(MAGIC.findall(source)) - {"md", "pip", "restart_python", "run", "python"}):
            self.say(f"  note: %{magic} cells of {self._rel(path)} are not run locally")
        # `%run ./other` includes another notebook in this one's namespace, as on Databricks; the
        # replacement keeps line numbers unchanged.
        source = MAGIC_RUN.sub(lambda m: f"__mlops_run__({m.group(1)!r}, {str(path.parent)!r})", source)
        if USES_SPARK.search(source) and "spark" not in namespace:
            namespace["spark"] = self.spark.get()
        exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - running the notebook is the point

    def _magic_run(self, line: str, folder: Path, namespace: dict) -> None:
        words = shlex.split(line)
        if len(words) != 1:
            raise NotImplementedError(f"'%run {line}' in {self._rel(folder)}: only %run <path> without "
                                      "arguments runs locally")
        target = folder / words[0]
        if not target.suffix:
            target = target.with_suffix(".py")
        if not target.is_file():
            raise FileNotFoundError(f"%run target {self._rel(target)} does not exist")
        self._exec(target, namespace)

    def _condition_task(self, job_key: str, task: dict, run: JobRun) -> str:
        spec = task["condition_task"]
        key = task["task_key"]
        left = self._dynamic(spec.get("left", ""), job_key, run, key, "condition_task.left")
        right = self._dynamic(spec.get("right", ""), job_key, run, key, "condition_task.right")
        op = spec["op"]
        # As documented for Databricks: EQUAL_TO / NOT_EQUAL compare strings ("12.0" != "12"),
        # the others compare numbers.
        if op in ("EQUAL_TO", "NOT_EQUAL"):
            return _text((left == right) == (op == "EQUAL_TO"))
        try:
            a, b = float(left), float(right)
        except ValueError:
            raise ValueError(f"condition_task {op} compares numbers, got left={left!r}, right={right!r}") from None
        result = {"GREATER_THAN": a > b, "GREATER_THAN_OR_EQUAL": a >= b, "LESS_THAN": a < b,
                  "LESS_THAN_OR_EQUAL": a <= b}[op]
        return _text(result)

    def _run_job_task(self, job_key: str, task: dict, run: JobRun) -> None:
        spec = task["run_job_task"]
        params = {name: self._dynamic(value, job_key, run, task["task_key"], f"run_job_task.job_parameters.{name}")
                  for name, value in (spec.get("job_parameters") or {}).items()}
        nested = _Runner(self.bundle, self.spark, self.out, self.indent + "    ", self.stack + (job_key,))
        nested.run(str(spec["job_id"]), job_parameters=params)

    # -- {{...}} dynamic value references --------------------------------------------------------

    def _dynamic(self, value: Any, job_key: str, run: JobRun, task_key: str | None, where: str,
                 check: bool = False) -> str:
        """Resolve {{...}} references in a parameter; with check=True only validate them."""
        text = _text(value)
        return DYNAMIC.sub(lambda m: self._reference(m.group(1), job_key, run, task_key, where, check), text)

    def _reference(self, ref: str, job_key: str, run: JobRun, task_key: str | None, where: str,
                   check: bool) -> str:
        start = run.start_time
        fixed = {
            "job.id": job_key, "job.name": run.job_name, "job.run_id": run.run_id, "job.repair_count": "0",
            "job.trigger.type": "one_time",
            "job.start_time.iso_date": start.strftime("%Y-%m-%d"),
            "job.start_time.iso_datetime": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "job.start_time.timestamp": str(int(start.timestamp() * 1000)),
            **{f"job.start_time.{unit}": str(getattr(start, unit))
               for unit in ("year", "month", "day", "hour", "minute", "second")},
        }
        if task_key is not None:
            fixed.update({"task.name": task_key, "task.run_id": f"{run.run_id}{list(run.tasks).index(task_key):03d}",
                          "task.execution_count": "1"})
        if ref in fixed:
            return fixed[ref]
        parts = ref.split(".")
        site = f"{where} of task '{task_key}' in job '{job_key}'" if task_key else f"{where} of job '{job_key}'"
        if parts[:2] == ["job", "parameters"] and len(parts) == 3:
            if parts[2] not in run.parameters:
                raise BundleError(f"Unknown job parameter in {{{{{ref}}}}} at {site}; parameters: "
                                  f"{', '.join(run.parameters) or '(none)'}")
            return run.parameters[parts[2]]
        if parts[0] == "tasks" and len(parts) >= 3:
            if parts[1] not in run.tasks:
                raise BundleError(f"Unknown task '{parts[1]}' in {{{{{ref}}}}} at {site}; tasks: "
                                  f"{', '.join(run.tasks)}")
            if parts[2] == "values" and len(parts) == 4:
                return "" if check else _text(run.task_values.get(parts[1], parts[3]))
            if len(parts) == 3 and parts[2] in ("result_state", "run_id", "execution_count"):
                upstream = run.tasks[parts[1]]
                states = {"ok": "success", "failed": "failed", "excluded": "excluded", "skipped": "skipped"}
                return {"result_state": states.get(upstream.status, ""), "execution_count": "1",
                        "run_id": f"{run.run_id}{list(run.tasks).index(parts[1]):03d}"}[parts[2]]
        supported = ", ".join(["{{job.parameters.<name>}}", "{{tasks.<task_key>.values.<key>}}",
                               "{{tasks.<task_key>.result_state}}", *(f"{{{{{k}}}}}" for k in fixed)])
        raise BundleError(f"Unknown dynamic value reference {{{{{ref}}}}} at {site}; supported: {supported}")

    # -- messages --------------------------------------------------------------------------------

    def _rel(self, path: Path | str) -> str:
        try:
            return Path(path).resolve().relative_to(self.bundle.root).as_posix()
        except ValueError:
            return str(path)

    def _file(self, job_key: str) -> str:
        return self._rel(self.bundle.source_of("jobs", job_key))

    def _user_frames(self, exc: BaseException) -> list[traceback.FrameSummary]:
        """Traceback frames in the bundle's own files (notebooks, project modules), not the runner's."""
        own = {str(Path(__file__).resolve()), str(Path(__file__).with_name("dbutils_local.py").resolve())}
        frames = []
        for frame in traceback.extract_tb(exc.__traceback__):
            path = Path(frame.filename)
            if (path.is_absolute() and path.is_relative_to(self.bundle.root) and str(path) not in own
                    and ".venv" not in path.parts and "site-packages" not in path.parts):
                frames.append(frame)
        return frames

    def _where(self, exc: BaseException) -> str:
        frames = self._user_frames(exc)
        if not frames:
            return ""
        first, last = frames[0], frames[-1]
        where = f"{self._rel(first.filename)} line {first.lineno}"
        if last is not first:
            where += f", raised in {self._rel(last.filename)} line {last.lineno}"
        return where

    def _traceback(self, exc: BaseException) -> str:
        """The traceback from the notebook frame down (the runner's own frames left out)."""
        tb = exc.__traceback__
        frames = self._user_frames(exc)
        while tb is not None and frames and tb.tb_frame.f_code.co_filename != frames[0].filename:
            tb = tb.tb_next
        return "".join(traceback.format_exception(type(exc), exc, tb))


def _display(obj: Any = None, *args: Any, **kwargs: Any) -> None:
    """display(): the first rows of a Spark or pandas DataFrame, else the object itself."""
    if hasattr(obj, "show") and hasattr(obj, "schema"):
        obj.show(20, truncate=False)
    elif hasattr(obj, "head") and hasattr(obj, "to_string"):
        print(obj.head(20).to_string())
    else:
        print(obj)
