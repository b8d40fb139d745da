"""What a local job run produces: one TaskRun per task, the JobRun, and JobFailed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from common.local.dbutils import TaskValues


@dataclass
class TaskRun:
    task_key: str
    status: str = "pending"  # ok | failed | skipped | excluded
    duration: float = 0.0
    exit_value: str | None = None
    outcome: str | None = None  # "true" / "false" for a condition_task
    values: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why the task was skipped, excluded or failed
    # What the task ran in turn: a run_job_task's job run, a for_each_task's iterations (TaskRuns).
    children: list[Any] = field(default_factory=list)


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
    # New versions of models connected to a deployment job, registered by this run's tasks, and the
    # deployment job runs they started once this run was done.
    triggers: list[Any] = field(default_factory=list)
    triggered: list[JobRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.status != "failed" for t in self.tasks.values())

    def task_run_id(self, task_key: str) -> str:
        """A task's run id, as {{task.run_id}} and {{tasks.<key>.run_id}} give it (a for_each_task's
        inner task, no task of the job itself, numbers after them)."""
        keys = list(self.tasks)
        return f"{self.run_id}{keys.index(task_key) if task_key in keys else len(keys):03d}"


class JobFailed(Exception):
    """A task failed; the message names the job, the task, the cause and the tasks not run."""

    def __init__(self, message: str, run: JobRun, task_key: str, cause: BaseException, details: str = "") -> None:
        super().__init__(message)
        self.run = run
        self.task_key = task_key
        self.cause = cause
        self.details = details  # the notebook's traceback, from the notebook frame down
