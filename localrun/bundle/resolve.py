"""`${...}` resolution, as the CLI does it: references into the configuration tree (`${var.x}`,
`${bundle.target}`, `${workspace.file_path}`, `${resources.jobs.x.name}`...) resolved recursively,
with cycle detection, and every error naming the key and the file of the reference.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from localrun.bundle.errors import BundleError, KeyPath, format_key, name_list
from localrun.bundle.origins import Origins, origin_name

# `${a.b[0].c}`; `{{...}}` (job run-time references) never match.
REFERENCE = re.compile(r"\$\{([^${}]*)\}")


class Resolver:
    """Resolves ${...} references against the configuration tree, recursively, with cycle detection."""

    def __init__(self, tree: dict, origins: Origins, root: Path, declared: list[str], *,
                 keep_resources: bool = False) -> None:
        self.tree = tree
        # The CLI resolves ${resources...} only at deploy: `validate -o json` shows them as written.
        self.keep_resources = keep_resources
        self.origins = origins
        self.root = root
        self.declared = declared
        self.done: dict[str, Any] = {}
        self.active: list[str] = []

    def value(self, node: Any, path: KeyPath) -> Any:
        if isinstance(node, str):
            return self.string(node, path)
        if isinstance(node, dict):
            return {k: self.value(v, path + (k,)) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v, path + (i,)) for i, v in enumerate(node)]
        return node

    def string(self, text: str, path: KeyPath) -> Any:
        matches = [m for m in REFERENCE.finditer(text) if not self._kept(m.group(1))]
        if not matches:
            return text
        if len(matches) == 1 and matches[0].group(0) == text:  # exactly one reference keeps its type
            return self.reference(matches[0].group(1), path)
        return REFERENCE.sub(lambda m: m.group(0) if self._kept(m.group(1)) else self._text(m.group(1), path), text)

    def _kept(self, ref: str) -> bool:
        return self.keep_resources and ref.startswith("resources.")

    def _text(self, ref: str, path: KeyPath) -> str:
        value = self.reference(ref, path)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise BundleError(f"${{{ref}}} at {self._where(path)} is a {type(value).__name__} and cannot be "
                          "part of a longer string")

    def reference(self, ref: str, path: KeyPath) -> Any:
        if ref in self.done:
            return self.done[ref]
        if ref in self.active:
            chain = " -> ".join(f"${{{r}}}" for r in self.active[self.active.index(ref):] + [ref])
            raise BundleError(f"Reference cycle {chain} at {self._where(path)}")
        self.active.append(ref)
        try:
            node, node_path = self._lookup(ref, path)
            value = self.value(node, node_path)
        finally:
            self.active.pop()
        self.done[ref] = value
        return value

    def _lookup(self, ref: str, path: KeyPath) -> tuple[Any, KeyPath]:
        parts = _split_reference(ref)
        if parts is None:
            raise BundleError(f"Invalid reference ${{{ref}}} at {self._where(path)}")
        if parts[0] == "var":
            if len(parts) < 2 or parts[1] not in self.tree["var"]:
                name = parts[1] if len(parts) > 1 else ""
                raise BundleError(f"Unknown variable '{name}' in ${{{ref}}} at {self._where(path)}; "
                                  f"declared variables: {', '.join(self.declared) or '(none)'}")
            node, node_path = self.tree["var"][parts[1]], ("variables", parts[1])
            rest = parts[2:]
        elif parts[0] == "resources" and len(parts) == 4 and parts[3] == "id":
            # Locally a resource's id is its key: run_job_task.job_id: ${resources.jobs.x.id} names job x.
            self._walk(ref, path, parts[:3])
            return parts[2], path
        else:
            node, node_path, rest = self.tree, (), parts
        return self._walk(ref, path, rest, node, node_path), node_path + tuple(rest)

    def _walk(self, ref: str, path: KeyPath, parts: list, node: Any = None, node_path: KeyPath = ()) -> Any:
        node = self.tree if node is None else node
        for i, part in enumerate(parts):
            if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                prefix = format_key(tuple(parts[:i])) or "the configuration"
                choices = f"; {prefix} has: {name_list(node)}" if isinstance(node, dict) else ""
                raise BundleError(f"Unknown reference ${{{ref}}} at {self._where(path)}: no '{part}' in "
                                  f"{prefix}{choices}")
        return node

    def _where(self, path: KeyPath) -> str:
        file = self.origins.file_of(path)
        return f"{format_key(path)} ({origin_name(file, self.root)})" if file else format_key(path)


def _split_reference(ref: str) -> list[str | int] | None:
    """"a.b[0].c" -> ["a", "b", 0, "c"]; None when the syntax is wrong."""
    parts: list[str | int] = []
    for piece in ref.split("."):
        match = re.fullmatch(r"([A-Za-z_][\w-]*)((?:\[\d+\])*)", piece)
        if not match:
            return None
        parts.append(match.group(1))
        parts += [int(i) for i in re.findall(r"\[(\d+)\]", match.group(2))]
    return parts
