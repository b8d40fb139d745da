"""A parsed YAML document (bundle, job or pipeline) walked as a tree of mappings and lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from localrun.bundle.errors import KeyPath


def walk(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every node below `node`, itself first, with its key path ("tasks", 0, "notebook_task")."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, path + (i,))


def strings(node: Any) -> Iterator[str]:
    """Every string value below `node`."""
    return (value for _, value in walk(node) if isinstance(value, str))
