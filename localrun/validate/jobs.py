"""Layer 3b, on each target's resolved jobs: every `depends_on` names a task of its job, the tasks
can be ordered as the local runner orders them (no cycle), and no two jobs of a target share a name.
"""

from __future__ import annotations

from localrun.bundle import Bundle, BundleError, KeyPath
from localrun.runner import task_order
from localrun.validate.files import Locator, as_dict
from localrun.validate.problems import Problem
from localrun.validate.wording import choices_hint


def job_problems(bundle: Bundle, locate: Locator) -> list[Problem]:
    problems = []
    names: dict[str, str] = {}
    for job_key, job in bundle.jobs.items():
        job_path = ("resources", "jobs", job_key)
        problems += _task_problems(job_key, job, job_path, locate)
        name = job.get("name")
        if isinstance(name, str):
            if name in names:
                problems.append(_same_name(name, names[name], job_path, locate))
            else:
                names[name] = job_key
    return problems


def _task_problems(job_key: str, job: dict, job_path: KeyPath, locate: Locator) -> list[Problem]:
    """A depends_on that names no task of the job; else a cycle, as the runner's ordering finds it."""
    problems = []
    tasks = job.get("tasks") if isinstance(job.get("tasks"), list) else []
    keys = [as_dict(t).get("task_key") for t in tasks]
    missing = False
    for i, task in enumerate(tasks):
        deps = as_dict(task).get("depends_on") or []
        for j, dep in enumerate(deps if isinstance(deps, list) else []):
            wanted = as_dict(dep).get("task_key")
            if wanted not in keys:
                missing = True
                path = job_path + ("tasks", i, "depends_on", j, "task_key")
                problems.append(locate.problem(path, f"depends on task '{wanted}', which job '{job_key}' does "
                                                     f"not have{choices_hint('tasks', keys, str(wanted))}"))
    if not missing and all(isinstance(t, dict) and isinstance(t.get("task_key"), str) for t in tasks):
        try:
            task_order(job_key, tasks)
        except BundleError as exc:
            problems.append(locate.problem(job_path + ("tasks",), str(exc)))
    return problems


def _same_name(name: str, first: str, job_path: KeyPath, locate: Locator) -> Problem:
    """Job `job_path` has the name of job `first`: shown as written (before prefixes and references)."""
    other = locate.problem(("resources", "jobs", first, "name"), "")
    raw = locate.file(job_path + ("name",))
    written = raw.get(job_path + ("name",)) if raw else None
    shown = written if isinstance(written, str) else name
    return locate.problem(job_path + ("name",), f"job name '{shown}' is also the name of "
                                                f"resources.jobs.{first} ({other.file}:{other.line})")
