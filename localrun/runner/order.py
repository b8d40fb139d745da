"""Which task runs when: `depends_on` order, condition outcomes and `run_if`, as on Databricks."""

from __future__ import annotations

import heapq

from localrun.bundle import BundleError
from localrun.runner.results import JobRun

# run_if -> is it met, given the states ("success" | "failed" | "excluded") of the dependencies.
RUN_IF = {
    "ALL_SUCCESS": lambda states: all(s == "success" for s in states),
    "AT_LEAST_ONE_SUCCESS": lambda states: "success" in states,
    "NONE_FAILED": lambda states: "failed" not in states and "success" in states,
    "ALL_DONE": lambda states: True,
    "ALL_FAILED": lambda states: all(s == "failed" for s in states),
    "AT_LEAST_ONE_FAILED": lambda states: "failed" in states,
}


def dependencies(task: dict) -> list[dict]:
    """A task's depends_on entries, each as a mapping with task_key (and perhaps outcome)."""
    return [d if isinstance(d, dict) else {"task_key": d} for d in task.get("depends_on") or []]


def task_order(job_key: str, tasks: list[dict]) -> list[dict]:
    """Tasks in run order: topological by depends_on, ties in declaration order."""
    index = {t["task_key"]: i for i, t in enumerate(tasks)}
    waiting_on: dict[str, set[str]] = {}
    for task in tasks:
        waiting_on[task["task_key"]] = set()
        for dep in dependencies(task):
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
        raise BundleError(f"Job '{job_key}' has a dependency cycle: {' -> '.join(_cycle(waiting_on, index))} "
                          "(each task depends on the next)")
    return order


def _cycle(waiting_on: dict[str, set[str]], index: dict[str, int]) -> list[str]:
    """Follow unmet dependencies from a waiting task until one repeats: that is a cycle."""
    key, path = next(k for k, d in waiting_on.items() if d), []
    while key not in path:
        path.append(key)
        key = min(waiting_on[key], key=index.get)
    return path[path.index(key):] + [key]


def check_dependencies(job_key: str, task: dict, tasks: list[dict]) -> None:
    """Outcomes name a condition_task and are "true" or "false"; run_if is a known condition."""
    for dep in dependencies(task):
        outcome = dep.get("outcome")
        if outcome is None:
            continue
        if outcome not in ("true", "false"):
            raise BundleError(f"Task '{task['task_key']}' of job '{job_key}': depends_on outcome must be "
                              f"\"true\" or \"false\", not {outcome!r}")
        upstream = next(t for t in tasks if t["task_key"] == dep["task_key"])
        if "condition_task" not in upstream:
            raise BundleError(f"Task '{task['task_key']}' of job '{job_key}' depends on an outcome of "
                              f"'{dep['task_key']}', which is not a condition_task")
    run_if = task.get("run_if", "ALL_SUCCESS")
    if run_if not in RUN_IF:
        raise BundleError(f"Task '{task['task_key']}' of job '{job_key}': unknown run_if '{run_if}'; "
                          f"choices: {', '.join(RUN_IF)}")


def exclusion(task: dict, run: JobRun) -> str:
    """Why the task does not run (its dependencies' outcomes and run_if), or "" when it runs."""
    deps = dependencies(task)
    if not deps:
        return ""
    states, reasons = [], []
    for dep in deps:
        state, reason = _state(dep, run)
        states.append(state)
        if reason:
            reasons.append(reason)
    run_if = task.get("run_if", "ALL_SUCCESS")
    if RUN_IF[run_if](states):
        return ""
    return "; ".join(reasons) if reasons and run_if == "ALL_SUCCESS" else f"run_if {run_if} not met"


def _state(dep: dict, run: JobRun) -> tuple[str, str]:
    """A dependency's state for run_if, and why it keeps the task from running, if it does."""
    upstream = run.tasks[dep["task_key"]]
    if upstream.status == "skipped":  # not selected: treated as done, as in a repair run
        return "success", ""
    if upstream.status == "excluded":
        return "excluded", f"'{upstream.task_key}' excluded"
    if upstream.status == "failed":
        return "failed", ""
    if dep.get("outcome") is not None and dep["outcome"] != upstream.outcome:
        return "excluded", f"condition '{upstream.task_key}' is {upstream.outcome}"
    return "success", ""
