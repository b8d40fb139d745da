"""The task kinds that run locally, one small class each: it checks its configuration before the
job starts, describes itself in the job's output, and runs. TASK_KINDS is the one table of them;
a new kind (a Python script, SQL) is one more class here."""

from __future__ import annotations

import json
import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from common.local import deployment_jobs
from common.local.dbutils import LocalDbutils
from localrun.bundle import BundleError
from localrun.runner.references import DYNAMIC, as_parameter, resolve
from localrun.runner.results import JobRun, TaskRun

if TYPE_CHECKING:
    from localrun.runner.job import JobRunner

CONDITION_OPS = ("EQUAL_TO", "NOT_EQUAL", "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN",
                 "LESS_THAN_OR_EQUAL")


class TaskKind:
    """One task of a job, of the kind named by `field` (the task's `<kind>_task` key)."""

    field: ClassVar[str]

    def __init__(self, runner: JobRunner, job_key: str, task: dict) -> None:
        self.runner, self.job_key, self.task = runner, job_key, task
        self.key: str = task["task_key"]
        self.spec: dict = task[self.field] or {}

    def check(self, run: JobRun) -> None:
        """Raise BundleError for anything that would make the task fail for configuration reasons."""

    def describe(self) -> str:
        raise NotImplementedError

    def run(self, run: JobRun, result: TaskRun) -> None:
        raise NotImplementedError

    def value(self, value: Any, run: JobRun, where: str, check: bool = False) -> str:
        """A parameter of this task with its {{...}} references resolved (or, with check, validated)."""
        return resolve(value, run, self.key, f"{self.field}.{where}", check)

    def parameters(self, mapping: str, run: JobRun, check: bool = False) -> dict[str, str]:
        """The spec's parameter mapping (e.g. base_parameters), every value resolved or validated."""
        return {name: self.value(value, run, f"{mapping}.{name}", check)
                for name, value in (self.spec.get(mapping) or {}).items()}

    def error(self, message: str) -> BundleError:
        return BundleError(f"Task '{self.key}' of job '{self.job_key}'{message}")


class NotebookTask(TaskKind):
    field = "notebook_task"

    @cached_property
    def path(self) -> Path:
        """The notebook file, found (and its header read) once for check, describe and run."""
        return self.runner.bundle.notebook_path(self.job_key, self.task)

    def check(self, run: JobRun) -> None:
        path = self.path
        if path.suffix != ".py":
            raise BundleError(f"Notebook {path.name} of task '{self.key}' in job '{self.job_key}': only "
                              "Python source notebooks (.py) run locally")
        self.parameters("base_parameters", run, check=True)

    def describe(self) -> str:
        return f"notebook {self.runner.console.path(self.path)}"

    def run(self, run: JobRun, result: TaskRun) -> None:
        params = self.parameters("base_parameters", run)
        # Job parameters are pushed down to every notebook task and win over base_parameters (Databricks).
        params.update(run.parameters)
        dbutils = LocalDbutils(params, self.key, run.task_values)
        with deployment_jobs.collecting() as triggers:
            result.exit_value = self.runner.notebooks.run(self.path, dbutils)
        run.triggers.extend(triggers)


class ConditionTask(TaskKind):
    field = "condition_task"

    def check(self, run: JobRun) -> None:
        if self.spec.get("op") not in CONDITION_OPS:
            raise self.error(f": condition_task op {self.spec.get('op')!r} is not one of {', '.join(CONDITION_OPS)}")
        for side in ("left", "right"):
            self.value(self.spec.get(side, ""), run, side, check=True)

    def describe(self) -> str:
        return f"condition {self.spec.get('left')} {self.spec.get('op')} {self.spec.get('right')}"

    def run(self, run: JobRun, result: TaskRun) -> None:
        left = self.value(self.spec.get("left", ""), run, "left")
        right = self.value(self.spec.get("right", ""), run, "right")
        result.outcome = as_parameter(compare(self.spec["op"], left, right))


def compare(op: str, left: str, right: str) -> bool:
    """As documented for Databricks: EQUAL_TO / NOT_EQUAL compare strings ("12.0" != "12"), the
    others compare numbers."""
    if op in ("EQUAL_TO", "NOT_EQUAL"):
        return (left == right) == (op == "EQUAL_TO")
    try:
        a, b = float(left), float(right)
    except ValueError:
        raise ValueError(f"condition_task {op} compares numbers, got left={left!r}, right={right!r}") from None
    return {"GREATER_THAN": a > b, "GREATER_THAN_OR_EQUAL": a >= b, "LESS_THAN": a < b,
            "LESS_THAN_OR_EQUAL": a <= b}[op]


class RunJobTask(TaskKind):
    field = "run_job_task"

    @property
    def target(self) -> str:
        return str(self.spec.get("job_id"))

    def check(self, run: JobRun) -> None:
        jobs = self.runner.bundle.jobs
        if self.target not in jobs:
            raise self.error(f": run_job_task job_id {self.target!r} is not a job of this bundle (use "
                             f"${{resources.jobs.<key>.id}}); jobs: {', '.join(sorted(jobs))}")
        if self.target == self.job_key or self.target in self.runner.stack:
            raise self.error(f" runs job '{self.target}', which is already running: run_job_task cycle")
        declared = [p["name"] for p in jobs[self.target].get("parameters") or []]
        for name in self.spec.get("job_parameters") or {}:
            if name not in declared:
                raise self.error(f" passes job parameter '{name}' to job '{self.target}'; its parameters: "
                                 f"{', '.join(declared) or '(none)'}")
        self.parameters("job_parameters", run, check=True)

    def describe(self) -> str:
        return f"run job {self.spec.get('job_id')}"

    def run(self, run: JobRun, result: TaskRun) -> None:
        params = self.parameters("job_parameters", run)
        result.children.append(self.runner.nested(self.job_key).run(self.target, job_parameters=params))


class ForEachTask(TaskKind):
    """Its inner task once per item of `inputs` (a JSON array, or a reference to one), with
    {{input}} (and {{input.<field>}} for objects) standing for the item. Locally the items run one
    after the other, in order; the first failure fails the task."""

    field = "for_each_task"

    def items(self, run: JobRun) -> list[Any]:
        text = self.value(self.spec.get("inputs", ""), run, "inputs")
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            items = None
        if not isinstance(items, list):
            raise self.error(f": for_each_task inputs must be a JSON array, not {text!r}")
        return items

    def inner(self, item: Any) -> TaskKind:
        task = self.spec.get("task")
        if not isinstance(task, dict) or not task.get("task_key"):
            raise self.error(": for_each_task needs a task with a task_key")
        return task_kind(self.runner, self.job_key, with_input(task, item))

    def check(self, run: JobRun) -> None:
        """The inner task once per item when the items are written out; when they come from a task
        value at run time, once for a stand-in item whose every field is empty."""
        self.value(self.spec.get("inputs", ""), run, "inputs", check=True)
        dynamic = DYNAMIC.search(as_parameter(self.spec.get("inputs", "")))
        for item in ([] if dynamic else self.items(run)) or [{}]:
            self.inner(item).check(run)

    def describe(self) -> str:
        inner = self.spec.get("task") or {}
        return f"for each of {self.spec.get('inputs')}: {inner.get('task_key')}"

    def run(self, run: JobRun, result: TaskRun) -> None:
        for i, item in enumerate(self.items(run)):
            kind = self.inner(item)
            iteration = TaskRun(f"{kind.key}[{as_parameter(item)}]")
            result.children.append(iteration)
            self.runner.console.say(f"  {self.key} {i + 1}: {iteration.task_key}")
            kind.run(run, iteration)
            iteration.status, iteration.values = "ok", run.task_values.of(kind.key)


def with_input(value: Any, item: Any) -> Any:
    """`value` with every {{input}} / {{input.<field>}} replaced by the for_each item (or its field)."""
    if isinstance(value, dict):
        return {k: with_input(v, item) for k, v in value.items()}
    if isinstance(value, list):
        return [with_input(v, item) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        ref = match.group(1)
        if ref == "input":
            return as_parameter(item)
        if ref.startswith("input.") and isinstance(item, dict):
            return as_parameter(item.get(ref[len("input."):]))
        return match.group(0)

    return DYNAMIC.sub(replace, value)


TASK_KINDS: dict[str, type[TaskKind]] = {
    kind.field: kind for kind in (NotebookTask, ConditionTask, RunJobTask, ForEachTask)}


def task_kind(runner: JobRunner, job_key: str, task: dict) -> TaskKind:
    """The task as its kind's class; a BundleError names a task with no kind or one that cannot run here."""
    kinds = [k for k in task if k.endswith("_task")]
    supported = ", ".join(TASK_KINDS)
    if not kinds:
        raise BundleError(f"Task '{task['task_key']}' of job '{job_key}' has no task type; supported types: "
                          f"{supported}")
    if kinds[0] not in TASK_KINDS:
        raise BundleError(f"Task '{task['task_key']}' of job '{job_key}' is a {kinds[0]}, which cannot run "
                          f"locally; supported types: {supported}")
    return TASK_KINDS[kinds[0]](runner, job_key, task)
