"""Layer 3b, on each target's resolved jobs: a value that a job gives a notebook's dropdown widget
(a task's base_parameters, or a job parameter, which reaches every notebook task) must be one of
the widget's choices. The notebook would refuse it at run time, before its task did anything."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from localrun.bundle import Bundle, BundleError, KeyPath
from localrun.bundle.notebooks import notebook_tasks
from localrun.paths import display_path
from localrun.validate.files import Locator, as_dict
from localrun.validate.problems import Problem

_CHOICE_WIDGETS = ("dropdown", "multiselect")


def widget_problems(bundle: Bundle, locate: Locator) -> list[Problem]:
    problems = []
    for job_key, job in bundle.jobs.items():
        job_path = ("resources", "jobs", job_key)
        params = job.get("parameters") if isinstance(job.get("parameters"), list) else []
        given_by_job = {p["name"]: (job_path + ("parameters", i, "default"), p.get("default"))
                        for i, p in enumerate(params) if isinstance(p, dict) and isinstance(p.get("name"), str)}
        for task_path, task in notebook_tasks(job, job_path):
            choices = _notebook_choices(bundle, job_key, task_path, task)
            base = as_dict(as_dict(task.get("notebook_task")).get("base_parameters"))
            given = {**{k: (task_path + ("notebook_task", "base_parameters", k), v) for k, v in base.items()},
                     **given_by_job}
            for name, (path, value) in given.items():
                problem = _refused(name, value, choices, task, bundle)
                if problem:
                    problems.append(locate.problem(path, problem))
    return problems


def _notebook_choices(bundle: Bundle, job_key: str, task_path: KeyPath, task: dict) -> dict[str, tuple]:
    """name -> (kind, choices, notebook file) of the task's notebook's choice widgets."""
    if not bundle.in_bundle(task):
        return {}
    try:
        local = bundle.local_notebook(task_path, job_key, task)
    except BundleError:
        return {}  # a missing notebook is reported by the notebook checks
    return {name: (kind, choices, local) for name, (kind, choices) in choice_widgets(local).items()}


def _refused(name: str, value, choices: dict[str, tuple], task: dict, bundle: Bundle) -> str | None:
    if name not in choices or not isinstance(value, str) or "{{" in value:
        return None  # a dynamic value reference is known at run time only
    kind, allowed, notebook = choices[name]
    values = value.split(",") if kind == "multiselect" else [value]
    if all(v in allowed for v in values):
        return None
    return (f"gives widget '{name}' of {display_path(notebook, bundle.root)} (task '{task.get('task_key')}') the "
            f"value '{value}', which the notebook refuses at run time: its choices are {', '.join(allowed)}")


@lru_cache(maxsize=64)
def choice_widgets(notebook: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """name -> (kind, choices) of each dropdown and multiselect widget whose name and choices are
    literals in the notebook's source."""
    try:
        tree = ast.parse(notebook.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    found = {}
    for node in ast.walk(tree):
        func = node.func if isinstance(node, ast.Call) else None
        if not (isinstance(func, ast.Attribute) and func.attr in _CHOICE_WIDGETS
                and isinstance(func.value, ast.Attribute) and func.value.attr == "widgets"):
            continue
        args = {**dict(zip(("name", "defaultValue", "choices"), node.args)),
                **{k.arg: k.value for k in node.keywords if k.arg}}
        try:
            name, choices = ast.literal_eval(args["name"]), ast.literal_eval(args["choices"])
        except (KeyError, ValueError):
            continue
        if isinstance(name, str) and isinstance(choices, (list, tuple)):
            found[name] = (func.attr, tuple(str(c) for c in choices))
    return found
