"""Notebook tasks as both the reader and the validator see them: the walk over a job's notebook
tasks (for_each inner tasks included) and the checks on a local notebook file, so that the two
report the same things in the same words.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from localrun.bundle.errors import KeyPath

NOTEBOOK_HEADER = "# Databricks notebook source"


def notebook_tasks(job: Any, job_path: KeyPath) -> Iterator[tuple[KeyPath, dict]]:
    """(key path, task) of every task of a job that has a notebook_task, for_each inner tasks
    included. Anything malformed (a job, a task list or a for_each_task of the wrong type) is
    skipped: the validator walks the files as written, before any other check."""
    tasks = job.get("tasks") if isinstance(job, dict) else None
    for i, task in enumerate(tasks if isinstance(tasks, list) else []):
        if not isinstance(task, dict):
            continue
        if "notebook_task" in task:
            yield job_path + ("tasks", i), task
        for_each = task.get("for_each_task")
        inner = for_each.get("task") if isinstance(for_each, dict) else None
        if isinstance(inner, dict) and "notebook_task" in inner:
            yield job_path + ("tasks", i, "for_each_task", "task"), inner


def header_problem(local: Path) -> str | None:
    """Why the existing file `local` is not a Databricks notebook, or None. Only .py files are
    checked: they need the header line; other kinds of notebook are taken as they are."""
    if local.suffix != ".py":
        return None
    with local.open(encoding="utf-8") as handle:
        first = handle.readline().strip()
    if first == NOTEBOOK_HEADER:
        return None
    return f"is not a Databricks notebook: its first line must be '{NOTEBOOK_HEADER}'"


def extension_hint(local: Path) -> str:
    """For a missing notebook: a hint when the path only lacks the .py that the file has."""
    if not local.suffix and local.with_suffix(".py").is_file():
        return " (local notebook paths need the file extension: .py)"
    return ""
