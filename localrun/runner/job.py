"""One job run: check every selected task, then run them in order, stopping at the first failure."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from common.local.dbutils import TaskValues
from localrun.bundle import Bundle, BundleError
from localrun.paths import display_path
from localrun.runner import failures, upstream
from localrun.runner.console import Console
from localrun.runner.notebooks import NotebookRunner
from localrun.runner.order import check_dependencies, exclusion, task_order
from localrun.runner.references import resolve
from localrun.runner.results import JobFailed, JobRun, TaskRun
from localrun.runner.tasks import TaskKind, task_kind

_run_ids = itertools.count(1)


class JobRunner:
    def __init__(self, bundle: Bundle, spark: Callable[[], Any], console: Console,
                 stack: tuple[str, ...] = ()) -> None:
        self.bundle = bundle
        self.spark = spark
        self.console = console
        self.stack = stack  # the jobs whose run_job_tasks led here, outermost first
        self.notebooks = NotebookRunner(bundle.root, spark, console)

    def nested(self, job_key: str) -> JobRunner:
        """The runner of a job that a task of `job_key` starts (run_job_task)."""
        return JobRunner(self.bundle, self.spark, self.console.nested(), self.stack + (job_key,))

    def run(self, job_key: str, *, only_task: str | None = None, from_task: str | None = None,
            job_parameters: dict[str, str] | None = None, task_values: dict[str, str] | None = None) -> JobRun:
        """`task_values` ("<task>.<key>" -> value) stand for values of tasks that do not run; the others
        come from the job's last run on this lakehouse."""
        if job_key in self.stack:
            raise BundleError(f"run_job_task cycle: {' -> '.join(self.stack + (job_key,))}")
        job = self.bundle.job(job_key)
        tasks = job.get("tasks") or []
        if not tasks:
            raise BundleError(f"Job '{job_key}' has no tasks ({self._file(job_key)})")
        order = task_order(job_key, tasks)
        keys = [t["task_key"] for t in order]
        selected = _selection(job_key, keys, only_task, from_task)
        skipped = [k for k in keys if k not in selected]
        why = f"only --task {only_task}" if only_task else f"before --from-task {from_task}"
        given = upstream.given_values(job_key, keys, set(skipped), task_values or {})

        start = datetime.now(UTC)
        run = JobRun(job_key=job_key, job_name=str(job.get("name", job_key)), target=self.bundle.target,
                     run_id=f"{int(start.timestamp() * 1000)}{next(_run_ids):03d}", start_time=start,
                     parameters={}, tasks={k: TaskRun(k) for k in keys},
                     task_values=TaskValues(keys, not_run=dict.fromkeys(skipped, why)))
        run.parameters = self._job_parameters(job_key, job, job_parameters or {}, run)
        kinds, reads = {}, []
        for task in order:  # check everything before running anything
            if task["task_key"] in selected:
                kinds[task["task_key"]] = kind = task_kind(self, job_key, task)
                check_dependencies(job_key, task, tasks)
                kind.check(run)
                reads += upstream.needs(task, getattr(kind, "path", None), set(skipped))
        supplied = upstream.supply(run, skipped, why, reads, given)

        self.console.say(f"Job {job_key} ({run.job_name}), target {self.bundle.target}: {len(selected)} of "
                         f"{len(keys)} task(s)")
        for line in supplied:
            self.console.say(line)
        began = time.perf_counter()
        position = 0
        try:
            for task in order:
                key = task["task_key"]
                result = run.tasks[key]
                if key not in selected:
                    result.status, result.reason = "skipped", why
                    self.console.say(f"- {key} skipped ({why})")
                    continue
                excluded = exclusion(task, run)
                if excluded:
                    result.status, result.reason = "excluded", excluded
                    self.console.say(f"- {key} excluded ({excluded})")
                    continue
                position += 1
                self._run_task(kinds[key], run, position, len(selected))
        finally:  # a failed run keeps the values of the tasks that succeeded before it failed
            self._record(run)
        run.duration = time.perf_counter() - began
        for trigger in run.triggers:
            run.triggered.append(self._deployment_job(job_key, trigger))
        return run

    def _deployment_job(self, job_key: str, trigger) -> JobRun:
        """What a workspace does for a new version of a model connected to a deployment job: run it
        with the job parameters model_name and model_version (here once the job that registered it is done)."""
        if trigger.job_id not in self.bundle.jobs:
            raise BundleError(f"{trigger.model_name} is connected to deployment job '{trigger.job_id}', which is not a "
                              f"job of this bundle (its Train task's deployment_job_id connects it again)")
        self.console.say(f"{trigger.model_name} version {trigger.version} is new: it starts its deployment job "
                         f"{trigger.job_id}")
        return self.nested(job_key).run(trigger.job_id, job_parameters={
            "model_name": trigger.model_name, "model_version": trigger.version})

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
            values[name] = resolve(value, run, None, f"parameters.{name}")
        return values

    def _run_task(self, kind: TaskKind, run: JobRun, position: int, total: int) -> None:
        result = run.tasks[kind.key]
        self.console.say(f"{self.console.start_mark} [{position}/{total}] {kind.key} ({kind.describe()})")
        began = time.perf_counter()
        try:
            kind.run(run, result)
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as exc:  # any failure of the notebook fails the task
            result.duration = time.perf_counter() - began
            result.status, result.values = "failed", run.task_values.of(kind.key)
            self._fail(kind, run, exc)
        result.duration = time.perf_counter() - began
        result.status, result.values = "ok", run.task_values.of(kind.key)
        extra = f" (outcome {result.outcome})" if result.outcome else ""
        if result.exit_value is not None:
            shown = result.exit_value if len(result.exit_value) <= 60 else result.exit_value[:57] + "..."
            extra += f" (exit: {shown})"
        self.console.say(f"{self.console.ok_mark} {kind.key} {result.duration:.1f} s{extra}")

    def _fail(self, kind: TaskKind, run: JobRun, exc: BaseException) -> None:
        key = kind.key
        result = run.tasks[key]
        # A run_job_task's failure already names the inner job and task.
        cause = str(exc) if isinstance(exc, JobFailed) else failures.cause(exc, self.bundle.root)
        result.reason = cause
        self.console.say(f"{self.console.fail_mark} {key} failed after {result.duration:.1f} s: {cause}")
        order = list(run.tasks)
        not_run = [k for k in order[order.index(key) + 1:] if run.tasks[k].status == "pending"]
        for other in not_run:
            run.tasks[other].status, run.tasks[other].reason = "skipped", f"job stopped at failed task '{key}'"
        message = f"Job '{run.job_key}' failed at task '{key}': {cause}"
        if not_run:
            message += f". Not run: {', '.join(not_run)}"
        details = "" if isinstance(exc, JobFailed) else failures.user_traceback(exc, self.bundle.root)
        raise JobFailed(message, run, key, exc, details) from exc

    def _record(self, run: JobRun) -> None:
        """Keep the task values of this run for later runs of single tasks (localrun/runner/upstream.py)."""
        try:
            upstream.record(run)
        except OSError as exc:  # the job's own outcome matters more than its record
            self.console.say(f"  note: the task values of this run were not recorded: {exc}")

    def _file(self, job_key: str) -> str:
        return display_path(self.bundle.source_of("jobs", job_key), self.bundle.root)


def _selection(job_key: str, keys: list[str], only_task: str | None, from_task: str | None) -> set[str]:
    if only_task and from_task:
        raise BundleError("Give either a task to run alone or a task to start from, not both")
    wanted = only_task or from_task
    if wanted is None:
        return set(keys)
    if wanted not in keys:
        raise BundleError(f"Unknown task '{wanted}' in job '{job_key}'; tasks: {', '.join(keys)}")
    return {only_task} if only_task else set(keys[keys.index(from_task):])
