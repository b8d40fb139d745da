"""Layer 1: every bundle file as written (before `${...}` resolution) against the Databricks CLI's
JSON schema, vendored in schemas/ beside this module with its license. Errors under a oneOf are
narrowed to the alternative that fits the value, and told in plain words with the file's line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import regex

from common.suggest import did_you_mean
from localrun.bundle import format_key
from localrun.validate.files import BundleFile
from localrun.validate.problems import Problem
from localrun.validate.wording import show_value

SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "databricks-bundle.schema.json"

_TYPE_NAMES = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}


@cache
def _validator():
    """The schema's validator, built once per process. The schema's patterns use `\\p{L}`, which
    Python's `re` lacks: the "pattern" keyword is checked with the `regex` module instead."""
    import jsonschema  # imported here: 0.15 s that only validation needs
    from jsonschema import validators

    compiled = cache(regex.compile)

    def pattern(validator, value, instance, schema):
        if validator.is_type(instance, "string") and not compiled(value).search(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {value!r}")

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    # The schema lets any top-level key through (the CLI only warns about one); a misspelt
    # `resources:` would silently drop every job, so an unknown top-level key is an error here.
    schema["additionalProperties"] = False
    cls = validators.extend(jsonschema.Draft202012Validator, {"pattern": pattern})
    return cls(schema)


def schema_problems(file: BundleFile) -> list[Problem]:
    problems = []
    for error in _validator().iter_errors(file.data):
        for leaf in _leaves(error):
            problems += _describe(leaf, file)
    return problems


def _is_reference_branch(schema: Any) -> bool:
    """The schema's `${...}` alternative: a string that must match a reference pattern."""
    return (isinstance(schema, dict) and schema.get("type") == "string"
            and str(schema.get("pattern", "")).startswith("\\$\\{"))


def _leaves(error) -> Iterator:
    """The errors worth reporting under a oneOf/anyOf: those of the alternative that fits the
    value's shape (the mapping alternative for a mapping, not the `${...}` string one). When no
    alternative fits (e.g. "one" for an integer), the oneOf error itself, described later."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    branches: dict[int, list] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = []
    for index, errors in branches.items():
        if _is_reference_branch(error.validator_value[index]):
            continue
        if any(not e.relative_path and e.validator in ("type", "pattern", "enum", "const") for e in errors):
            continue
        fitting.append(errors)
    if not fitting:
        yield error
        return
    best = max(fitting, key=lambda errors: (max(len(e.absolute_path) for e in errors), -len(errors)))
    for sub in best:
        yield from _leaves(sub)


def _expected(schemas: list) -> list[str]:
    options = []
    for schema in schemas:
        if not isinstance(schema, dict) or _is_reference_branch(schema):
            continue
        if "enum" in schema:
            options.append("one of " + ", ".join(repr(v) for v in schema["enum"]))
        elif "const" in schema:
            options.append(repr(schema["const"]))
        else:
            types = schema.get("type")
            for name in types if isinstance(types, list) else [types] if types else []:
                options.append(_TYPE_NAMES.get(name, name))
    return list(dict.fromkeys(options))


def _describe(error, file: BundleFile) -> list[Problem]:
    path = tuple(error.absolute_path)
    key, line, instance = format_key(path), file.line(path), error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        patterns = list(error.schema.get("patternProperties", {}))
        unknown = [k for k in instance if k not in known and not any(regex.search(p, k) for p in patterns)]
        return [Problem(file.rel, file.line(path + (k,)), key, f"unknown key '{k}'{did_you_mean(k, known)}")
                for k in unknown]
    if error.validator == "required" and isinstance(instance, dict):
        missing = [k for k in error.validator_value if k not in instance]
        return [Problem(file.rel, line, key, f"missing required key '{k}'") for k in missing]
    return [Problem(file.rel, line, key, _message(error))]


def _message(error) -> str:
    """An error that concerns the value itself: what was expected, and what the value is."""
    instance = error.instance
    if error.validator == "type":
        return f"expected {' or '.join(_expected([error.schema]))}, not {show_value(instance)}"
    if error.validator == "enum":
        return f"expected {_expected([error.schema])[0]}, not {show_value(instance)}"
    if error.validator in ("oneOf", "anyOf"):
        options = _expected(error.validator_value)
        if not options:
            return error.message
        message = f"expected {' or '.join(options)}, not {show_value(instance)}"
        if isinstance(instance, str) and "${" in instance:
            message += (" (a reference here must be ${var.*}, ${bundle.*}, ${workspace.*}, ${resources.*} "
                        "or ${artifacts.*})")
        return message
    return error.message
