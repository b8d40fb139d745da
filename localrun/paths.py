"""Paths in messages: relative to the bundle root when inside it, as the user wrote them."""

from __future__ import annotations

from pathlib import Path


def display_path(path: Path | str, root: Path) -> str:
    """`path` relative to `root` (POSIX separators) when it lies inside, else as it is."""
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
