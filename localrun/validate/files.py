"""The bundle's files as written, read once for every layer: each BundleFile keeps the line of
every key, so that a problem names its file and line. The Locator goes the other way for a
target's resolved configuration: from a key path to the file, line and key that gave its value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localrun.bundle import Bundle, BundleError, KeyPath, format_key, read_yaml_lines
from localrun.paths import display_path
from localrun.validate.problems import Problem


@dataclass
class BundleFile:
    """One bundle file as written: its path, the same relative to the bundle root (for messages),
    its mapping and the 1-based line of every key path in it."""

    path: Path
    rel: str
    data: dict
    key_lines: dict[KeyPath, int]

    def line(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its longest prefix that the file has."""
        return self.key_lines.get(self._known(path))

    def _known(self, path: KeyPath) -> KeyPath:
        for end in range(len(path), -1, -1):
            if path[:end] in self.key_lines:
                return path[:end]
        return ()

    def known_depth(self, path: KeyPath) -> int:
        return len(self._known(path)) if path[:1] in self.key_lines else 0

    def get(self, path: KeyPath) -> Any:
        node: Any = self.data
        for part in path:
            found = part in node if isinstance(node, dict) else (
                isinstance(node, list) and isinstance(part, int) and part < len(node))
            if not found:
                return None
            node = node[part]
        return node


def read_files(root: Path, paths: list[Path]) -> tuple[list[BundleFile], list[Problem]]:
    """The files that can be read, and a problem for each one that cannot."""
    files: list[BundleFile] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            data, key_lines = read_yaml_lines(path, root)
        except BundleError as exc:
            problems.append(file_problem(display_path(path, root), str(exc)))
            continue
        files.append(BundleFile(path, display_path(path, root), data, key_lines))
    return files, problems


def file_problem(rel: str, message: str) -> Problem:
    """A file that cannot be read: "Invalid YAML in x.yml line 3: ..." -> x.yml:3: ..."""
    match = re.fullmatch(rf"Invalid YAML in {re.escape(rel)}(?: line (\d+))?: (.*)", message, re.DOTALL)
    if match:
        return Problem(rel, int(match.group(1)) if match.group(1) else None, "", f"invalid YAML: {match.group(2)}")
    return Problem(rel, None, "", message.removeprefix(f"{rel}: ").removeprefix(f"{rel} "))


def as_dict(value: Any) -> dict:
    """`value` when it is a mapping, else {}: files as written may hold anything anywhere."""
    return value if isinstance(value, dict) else {}


class Locator:
    """Turns a key path of a target's resolved configuration into a file, line and key."""

    def __init__(self, bundle: Bundle, files: dict[Path, BundleFile]) -> None:
        self.bundle, self.files = bundle, files

    def file(self, path: KeyPath) -> BundleFile | None:
        origin = self.bundle.origin_of(path)
        return self.files.get(origin) if isinstance(origin, Path) else None

    def problem(self, path: KeyPath, message: str, line_path: KeyPath | None = None) -> Problem:
        line_path = line_path or path
        f = self.file(path)
        if f is None:
            return Problem("databricks.yml", None, format_key(path), message, (self.bundle.target,))
        # A value from a target override sits under targets.<target> in its file.
        override = ("targets", self.bundle.target)
        best = max([line_path, override + line_path], key=f.known_depth)
        key = override + path if best[:2] == override else path
        return Problem(f.rel, f.line(best), format_key(key), message, (self.bundle.target,))
