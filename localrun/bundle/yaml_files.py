"""Reading the bundle's YAML files: a loader that rejects duplicate keys, the line of every key and
list item (so that a problem can name its file and line), and the folder holding databricks.yml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from localrun.bundle.errors import BundleError, KeyPath
from localrun.paths import display_path

ROOT_FILES = ("databricks.yml", "databricks.yaml")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader (libyaml's, several times faster, where PyYAML has it) that rejects duplicate keys
    (PyYAML would silently keep the last one)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (first defined on line {seen[key] + 1})",
                key_node.start_mark)
        if isinstance(key, str):
            seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, root: Path) -> dict:
    """A bundle file's top-level mapping ({} for an empty file)."""
    return read_yaml_lines(path, root)[0]


def read_yaml_lines(path: Path, root: Path) -> tuple[dict, dict[KeyPath, int]]:
    """A bundle file's mapping, and the 1-based line of every key and list item in it, by key path
    (("resources", "jobs", "x", "tasks", 0) -> 12), so that a problem can name its file and line."""
    loader = _Loader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}" if mark else ""
        raise BundleError(f"Invalid YAML in {display_path(path, root)}{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise BundleError(f"Invalid YAML in {display_path(path, root)}: {exc}") from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise BundleError(f"{display_path(path, root)} must hold a mapping at the top level, "
                          f"not a {type(data).__name__}")
    lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
    _record_lines(node, data, (), lines)
    return data, lines


def _record_lines(node: yaml.Node, data: Any, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        by_key: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:  # merge keys (<<) are flattened by now; the last one wins
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in data:
                key = next((k for k in data if str(k) == key), None)
            if key is not None:
                by_key[key] = (key_node, value_node)
        for key, (key_node, value_node) in by_key.items():
            lines[path + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, data[key], path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for i, (item_node, item) in enumerate(zip(node.value, data)):
            lines[path + (i,)] = item_node.start_mark.line + 1
            _record_lines(item_node, item, path + (i,), lines)


def root_file_of(root: Path) -> Path:
    """root/databricks.yml (or databricks.yaml)."""
    found = next((root / n for n in ROOT_FILES if (root / n).is_file()), None)
    if found is None:
        raise BundleError(f"No databricks.yml in {root}")
    return found


def find_root(start: Path | None = None) -> Path:
    """The folder holding databricks.yml: `start` (default: cwd) or the nearest folder above it."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in ROOT_FILES):
            return folder
    raise BundleError(f"No databricks.yml in {start} or any folder above it")
