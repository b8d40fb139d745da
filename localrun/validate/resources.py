"""Layer 2: every target's resolved jobs, registered models, experiments, serving endpoints, quality
monitors and job runs through the `databricks-bundles` resource classes (`Job.from_dict` and
friends). When a class rejects a resource, the fields are re-checked one by one to name the
innermost key at fault.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import importlib
import re
import types
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

from common.suggest import did_you_mean
from localrun.bundle import Bundle, KeyPath
from localrun.validate.files import Locator
from localrun.validate.problems import Problem
from localrun.validate.wording import show_value

# Resource kinds checked through the databricks-bundles classes: kind -> (module, class name).
RESOURCE_CLASSES = {
    "jobs": ("databricks.bundles.jobs", "Job"),
    "registered_models": ("databricks.bundles.registered_models", "RegisteredModel"),
    "experiments": ("databricks.bundles.experiments", "MlflowExperiment"),
    "model_serving_endpoints": ("databricks.bundles.model_serving_endpoints", "ModelServingEndpoint"),
    "quality_monitors": ("databricks.bundles.quality_monitors", "QualityMonitor"),
    "job_runs": ("databricks.bundles.job_runs", "JobRun"),
}

# A value that the CLI leaves as a reference until deploy time, e.g. ${resources.jobs.train.id}.
_RESOURCE_REFERENCE = re.compile(r"\$\{resources\.[^${}]+\}")

# What the databricks-bundles classes raise for a value they reject.
_REJECTED = (ValueError, TypeError, KeyError, AssertionError)

_SCALAR_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}

Narrowed = tuple[KeyPath, KeyPath, str]  # (key path, path of the line to show, message)


@cache
def _resource_class(kind: str):
    module, name = RESOURCE_CLASSES[kind]
    return getattr(importlib.import_module(module), name)


def class_problems(bundle: Bundle, locate: Locator) -> list[Problem]:
    problems = []
    for kind in RESOURCE_CLASSES:
        for key, resource in bundle.resources.get(kind, {}).items():
            path = ("resources", kind, key)
            declared = locate.file(path)
            value = _keep_resource_references(copy.deepcopy(resource), declared.get(path) if declared else None)
            cls = _resource_class(kind)
            try:
                cls.from_dict(copy.deepcopy(value))
            except _REJECTED as exc:
                where, line_path, message = _narrow(cls, value, path, exc)
                problems.append(locate.problem(where, message, line_path))
    return problems


def _keep_resource_references(resolved: Any, raw: Any) -> Any:
    """Put ${resources...} references back as written: the CLI resolves them only when it deploys
    (the local runner turns ${resources.jobs.x.id} into "x", which is no job id)."""
    if isinstance(raw, str) and _RESOURCE_REFERENCE.fullmatch(raw):
        return raw
    if isinstance(resolved, dict) and isinstance(raw, dict):
        return {k: _keep_resource_references(v, raw.get(k)) for k, v in resolved.items()}
    if isinstance(resolved, list) and isinstance(raw, list):
        return [_keep_resource_references(v, raw[i] if i < len(raw) else None) for i, v in enumerate(resolved)]
    return resolved


def _concrete(tpe: Any) -> Any:
    """The type behind VariableOr[...] / Optional[...]: the first alternative that is neither."""
    from databricks.bundles.core import Variable

    if typing.get_origin(tpe) in (typing.Union, types.UnionType):
        for arg in typing.get_args(tpe):
            if arg is not type(None) and typing.get_origin(arg) is not Variable and arg is not Variable:
                return _concrete(arg)
    return tpe


def _narrow(tpe: Any, value: Any, path: KeyPath, exc: Exception) -> Narrowed:
    """The innermost key path whose value a databricks-bundles class rejects, by re-checking the
    fields one by one: (key path, path of the line to show, message)."""
    inner = _concrete(tpe)
    return _narrow_inside(inner, value, path, exc) or (path, path, _rejection(inner, value, exc))


def _narrow_inside(inner: Any, value: Any, path: KeyPath, exc: Exception) -> Narrowed | None:
    """The rejected part of a mapping or list value, or None when the value itself is at fault."""
    if dataclasses.is_dataclass(inner) and isinstance(value, dict):
        return _narrow_fields(inner, value, path, exc)
    if typing.get_origin(inner) is list and isinstance(value, list):
        (item_type,) = typing.get_args(inner)
        return _first_rejected(((i, item_type, item) for i, item in enumerate(value)), path)
    if typing.get_origin(inner) is dict and isinstance(value, dict):
        item_type = typing.get_args(inner)[1]
        return _first_rejected(((key, item_type, item) for key, item in value.items()), path)
    return None


def _narrow_fields(cls: Any, value: dict, path: KeyPath, exc: Exception) -> Narrowed | None:
    names = [f.name for f in dataclasses.fields(cls)]
    for key in value:
        if key not in names:
            return path, path + (key,), f"unknown key '{key}'{did_you_mean(key, names)}"
    hints = typing.get_type_hints(cls)
    found = _first_rejected(((key, hints[key], item) for key, item in value.items()), path)
    if found:
        return found
    missing = re.search(r"required (?:keyword-only )?arguments?: (.*)", str(exc))
    if missing:
        return path, path, "missing required key " + missing.group(1).replace(" and ", ", ")
    return None


def _first_rejected(items: Iterable[tuple[str | int, Any, Any]], path: KeyPath) -> Narrowed | None:
    """_narrow on the first (key, type, value) whose type rejects its value, or None."""
    # The converter that checks one field's value has no public name: hence the pinned version
    # (databricks-bundles==1.22.1 in requirements-local.txt).
    from databricks.bundles.core._transform import _transform  # noqa: PLC2701

    for key, tpe, item in items:
        try:
            _transform(tpe, copy.deepcopy(item))
        except _REJECTED as sub:
            return _narrow(tpe, item, path + (key,), sub)
    return None


def _rejection(inner: Any, value: Any, exc: Exception) -> str:
    """Why `value` does not fit type `inner`, told from the type; else the class's own message."""
    if inner in _SCALAR_NAMES:
        return f"expected {_SCALAR_NAMES[inner]}, not {show_value(value)}"
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return f"expected one of {', '.join(repr(m.value) for m in inner)}, not {show_value(value)}"
    if dataclasses.is_dataclass(inner) and not isinstance(value, dict):
        return f"expected a mapping, not {show_value(value)}"
    if typing.get_origin(inner) is list and not isinstance(value, list):
        return f"expected a list, not {show_value(value)}"
    return str(exc)
