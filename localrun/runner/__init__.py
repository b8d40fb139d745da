"""Run one job of the bundle on this machine, task by task in `depends_on` order.

Notebook tasks run the same notebook files with the same parameters as on Databricks (job
parameters, base_parameters, task values, {{...}} dynamic value references); condition tasks branch;
run_job tasks run another job of the bundle. The first failing task stops the job.

    job.py         one job run: selection, parameters, checks, the task loop, failures
    tasks.py       the task kinds, one class each (check, describe, run): TASK_KINDS
    order.py       depends_on order, condition outcomes, run_if
    references.py  {{...}} dynamic value references
    upstream.py    values of the tasks a --task / --from-task run leaves out: given, or recorded by the last run
    notebooks.py   a notebook executed in this process, %run included
    console.py     the lines printed while a job runs
    failures.py    a failure's cause and traceback, trimmed to the user's own files
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from typing import Any, TextIO

from localrun.bundle import Bundle
from localrun.runner.console import Console
from localrun.runner.job import JobRunner
from localrun.runner.order import task_order
from localrun.runner.results import JobFailed, JobRun, TaskRun
from localrun.runner.tasks import TASK_KINDS

__all__ = ["TASK_KINDS", "JobFailed", "JobRun", "TaskRun", "run_job", "task_order"]


def _default_spark() -> Any:
    from common.runtime import get_spark  # imported late: pyspark only when a notebook needs it

    return get_spark()


def run_job(bundle: Bundle, job_key: str, *, only_task: str | None = None, from_task: str | None = None,
            job_parameters: dict[str, str] | None = None, task_values: dict[str, str] | None = None,
            spark_factory: Callable[[], Any] | None = None, out: TextIO | None = None) -> JobRun:
    """Run job `job_key` of `bundle`; raise JobFailed at the first failing task, BundleError on bad config.
    `task_values` ("<task>.<key>" -> value) give values of tasks that `only_task` / `from_task` leave out;
    the others come from the job's last run on this lakehouse. The job's progress goes to `out`
    (default: the current stdout)."""
    # The Spark session is created on first need only, once: tests and Spark-free jobs never start one.
    spark = cache(spark_factory or _default_spark)
    runner = JobRunner(bundle, spark, Console(sys.stdout if out is None else out, bundle.root))
    return runner.run(job_key, only_task=only_task, from_task=from_task, job_parameters=job_parameters,
                      task_values=task_values)
