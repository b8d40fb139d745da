"""Where each value of the configuration came from: the file that declared it, the target override
that last changed it, or "--var" / "BUNDLE_VAR_<name>" for a variable, so that errors and relative
notebook paths refer to the right file. The target merge lives here because it records them.
"""

from __future__ import annotations

import copy
from pathlib import Path

from localrun.bundle.errors import KeyPath
from localrun.paths import display_path

# Lists that the CLI merges element by element (by this key) when a target overrides a job.
KEYED_LISTS = {"tasks": "task_key", "job_clusters": "job_cluster_key", "environments": "environment_key"}


class Origins:
    """The file (or "--var", "BUNDLE_VAR_x") behind each recorded key path."""

    def __init__(self) -> None:
        self._files: dict[KeyPath, Path | str] = {}

    def record(self, path: KeyPath, file: Path | str) -> None:
        self._files[path] = file

    def file_of(self, path: KeyPath) -> Path | str | None:
        for end in range(len(path), -1, -1):  # the most specific recorded prefix wins
            if path[:end] in self._files:
                return self._files[path[:end]]
        return None


def origin_name(origin: Path | str, root: Path) -> str:
    """An origin for messages: a file relative to the bundle root; "--var" or "BUNDLE_VAR_x" as is."""
    return origin if isinstance(origin, str) else display_path(origin, root)


def merge_override(base: dict, override: dict, path: KeyPath, file: Path, origins: Origins) -> None:
    """Merge a target's override into the root configuration, in place, as the CLI does:
    mappings merge by key, job tasks (and clusters, environments) by their key, other lists replace."""
    for key, value in override.items():
        here = path + (key,)
        current = base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merge_override(current, value, here, file, origins)
        elif key in KEYED_LISTS and isinstance(value, list) and isinstance(current, list):
            _merge_keyed(current, value, KEYED_LISTS[key], here, file, origins)
        else:
            base[key] = copy.deepcopy(value)
            origins.record(here, file)


def _merge_keyed(base: list, override: list, key: str, path: KeyPath, file: Path, origins: Origins) -> None:
    index = {item.get(key): i for i, item in enumerate(base) if isinstance(item, dict)}
    for item in override:
        if isinstance(item, dict) and item.get(key) in index:
            i = index[item[key]]
            merge_override(base[i], item, path + (i,), file, origins)
        else:
            base.append(copy.deepcopy(item))
            origins.record(path + (len(base) - 1,), file)
