"""The error every part of the bundle reader raises, and what its messages are made of.

A BundleError names the file and the key of a mistake. A key is a key path, the tuple
("resources", "jobs", "x", "tasks", 0) shown as "resources.jobs.x.tasks[0]"; the choices a user
had are shown as a sorted list of names.
"""

from __future__ import annotations

KeyPath = tuple[str | int, ...]


class BundleError(Exception):
    """A mistake in the bundle configuration; the message names the file and the key."""


class MissingVariable(BundleError):
    """A variable with no value for the target: no default, no target value, no --var, no BUNDLE_VAR_."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def format_key(path: KeyPath) -> str:
    """("resources", "jobs", "x", "tasks", 0) -> "resources.jobs.x.tasks[0]"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def name_list(mapping: dict | list) -> str:
    """The keys (or items) of `mapping`, sorted and comma-separated, or "(none)"."""
    return ", ".join(sorted(str(k) for k in mapping)) or "(none)"
