"""The `dbutils` a notebook gets on a laptop: widgets, job task values, notebook.exit.

It behaves like Databricks' own where notebooks can tell the difference: a value the job passes wins
over a widget's default, an undefined widget raises, taskValues.get outside a job returns debugValue.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

TASK_VALUE_MAX_BYTES = 48 * 1024  # Databricks' limit on a task value's JSON


class InputWidgetNotDefined(Exception):
    """dbutils.widgets.get of a widget that is neither defined nor passed by the job."""


class TaskValueNotFound(ValueError):
    """taskValues.get of a key the task did not set, with no default."""


class NotebookExit(Exception):
    """Raised by dbutils.notebook.exit(value); the runner treats it as success and records the value."""

    def __init__(self, value: Any) -> None:
        super().__init__(value)
        self.value = value


def _choices_text(choices: Iterable[str]) -> str:
    return ", ".join(str(c) for c in choices) or "(none)"


class TaskValues:
    """The task values of one job run: task_key -> {key: value}. `not_run` names the tasks of the
    job that do not run in it (a run of one task, or from one), and why: their values are given
    or come from an earlier run, and a value that is neither is named with the option to give it."""

    def __init__(self, task_keys: Iterable[str] | None = None, not_run: dict[str, str] | None = None) -> None:
        self.values: dict[str, dict[str, Any]] = {}
        self.task_keys = list(task_keys) if task_keys is not None else None
        self.not_run = dict(not_run or {})

    def set(self, task_key: str, key: str, value: Any) -> None:
        self.values.setdefault(task_key, {})[key] = _json_value(key, value)

    def get(self, task_key: str, key: str, default: Any = None) -> Any:
        if self.task_keys is not None and task_key not in self.task_keys:
            raise TaskValueNotFound(f"No task '{task_key}' in this job; tasks: {_choices_text(self.task_keys)}")
        values = self.values.get(task_key, {})
        if key in values:
            return values[key]
        if default is not None:
            return default
        if task_key in self.not_run:
            raise TaskValueNotFound(f"Task '{task_key}' does not run in this run ({self.not_run[task_key]}) and no "
                                    f"earlier run of the job recorded its value '{key}': run the whole job once, "
                                    f"or pass --task-value {task_key}.{key}=<value>")
        if task_key not in self.values:
            raise TaskValueNotFound(f"Task '{task_key}' has set no task values in this run, so '{key}' is "
                                    "missing (did it run before this task?)")
        raise TaskValueNotFound(f"Task '{task_key}' did not set task value '{key}'; it set: "
                                f"{_choices_text(values)}")

    def of(self, task_key: str) -> dict[str, Any]:
        return dict(self.values.get(task_key, {}))


def _json_value(key: Any, value: Any) -> Any:
    """The value as Databricks stores it: through JSON (tuples become lists); non-JSON is an error."""
    if not isinstance(key, str):
        raise TypeError(f"Task value keys must be strings, not {type(key).__name__} ({key!r})")
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Task value '{key}' must be JSON-serialisable; {type(value).__name__} is not "
                        f"({exc})") from None
    if len(text.encode()) > TASK_VALUE_MAX_BYTES:
        raise ValueError(f"Task value '{key}' is {len(text.encode())} bytes as JSON; the limit is 48 KiB")
    return json.loads(text)


@dataclass
class _Widget:
    kind: str
    default: str
    choices: list[str] | None
    label: str | None


class Widgets:
    """dbutils.widgets: a parameter passed by the job wins over the widget's default."""

    def __init__(self, params: dict[str, str] | None = None) -> None:
        self._params = {k: str(v) for k, v in (params or {}).items()}
        self._widgets: dict[str, _Widget] = {}

    def text(self, name: str, defaultValue: str, label: str | None = None) -> None:
        self._define(name, "text", defaultValue, None, label)

    def dropdown(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        self._define(name, "dropdown", defaultValue, choices, label)

    def combobox(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        self._define(name, "combobox", defaultValue, choices, label)

    def multiselect(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        self._define(name, "multiselect", defaultValue, choices, label)

    def get(self, name: str) -> str:
        if name in self._params:
            return self._params[name]
        if name in self._widgets:
            return self._widgets[name].default
        defined = _choices_text(sorted(self._widgets))
        passed = f"; job parameters: {_choices_text(sorted(self._params))}" if self._params else ""
        raise InputWidgetNotDefined(f"No input widget named '{name}' is defined; defined widgets: {defined}{passed}")

    def getArgument(self, name: str, optional: str | None = None) -> str | None:
        """Deprecated Databricks alias of get that returns `optional` instead of raising."""
        try:
            return self.get(name)
        except InputWidgetNotDefined:
            return optional

    def getAll(self) -> dict[str, str]:
        values = {name: widget.default for name, widget in self._widgets.items()}
        values.update(self._params)
        return values

    def remove(self, name: str) -> None:
        if name not in self._widgets:
            raise InputWidgetNotDefined(f"Cannot remove widget '{name}': it is not defined; defined widgets: "
                                        f"{_choices_text(sorted(self._widgets))}")
        del self._widgets[name]

    def removeAll(self) -> None:
        self._widgets.clear()

    def _define(self, name: str, kind: str, default: Any, choices: list[str] | None, label: str | None) -> None:
        default = str(default)
        if choices is not None:
            choices = [str(c) for c in choices]
        if kind in ("dropdown", "multiselect"):
            self._check_choice(name, kind, "Default value", default, choices)
            if name in self._params:
                self._check_choice(name, kind, "Value", self._params[name], choices)
        self._widgets[name] = _Widget(kind, default, choices, label)

    @staticmethod
    def _check_choice(name: str, kind: str, what: str, value: str, choices: list[str] | None) -> None:
        picked = value.split(",") if kind == "multiselect" else [value]
        for item in picked:
            if item not in (choices or []):
                raise ValueError(f"{what} '{value}' of {kind} widget '{name}' is not one of its choices: "
                                 f"{_choices_text(choices or [])}")


class TaskValuesUtil:
    """dbutils.jobs.taskValues."""

    def __init__(self, task_key: str | None, store: TaskValues | None) -> None:
        self._task_key = task_key
        self._store = store

    def set(self, key: str, value: Any) -> None:
        value = _json_value(key, value)
        if self._store is not None and self._task_key is not None:  # outside a job run: a no-op
            self._store.set(self._task_key, key, value)

    def get(self, taskKey: str, key: str, default: Any = None, debugValue: Any = None) -> Any:
        if self._store is None:
            # As on Databricks: outside a job run, debugValue stands in for every value.
            if debugValue is None:
                raise TypeError(f"taskValues.get(taskKey='{taskKey}', key='{key}') outside a job run needs "
                                "debugValue=<value> (debugValue cannot be None)")
            return debugValue
        return self._store.get(taskKey, key, default)


class _Jobs:
    def __init__(self, task_values: TaskValuesUtil) -> None:
        self.taskValues = task_values


class _Notebook:
    def exit(self, value: Any) -> None:
        raise NotebookExit(value)


class _Library:
    def restartPython(self) -> None:
        """After `%pip install` on Databricks; the laptop environment is already installed."""


class LocalDbutils:
    """The local stand-in for a notebook's `dbutils`."""

    def __init__(self, params: dict[str, str] | None = None, task_key: str | None = None,
                 task_values: TaskValues | None = None) -> None:
        self.widgets = Widgets(params)
        self.jobs = _Jobs(TaskValuesUtil(task_key, task_values))
        self.notebook = _Notebook()
        self.library = _Library()
        self.task_key = task_key


_active: LocalDbutils | None = None
_fallback: LocalDbutils | None = None


def current() -> LocalDbutils:
    """The dbutils of the task being run, or (outside a run) one parameterless instance."""
    global _fallback
    if _active is not None:
        return _active
    if _fallback is None:
        _fallback = LocalDbutils()
    return _fallback


@contextmanager
def activated(dbutils: LocalDbutils) -> Iterator[LocalDbutils]:
    """Make `dbutils` what current() returns while a task runs (the runner uses this)."""
    global _active
    previous, _active = _active, dbutils
    try:
        yield dbutils
    finally:
        _active = previous
