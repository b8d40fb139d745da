"""Read a Databricks bundle for one target, the way `databricks bundle validate` does.

databricks.yml plus every file its `include:` globs match are merged; the chosen target's overrides
are applied; `${...}` references are resolved. The local runner (localrun/runner/) reads jobs from
here, so the bundle stays the single source of truth for what runs where.

    loader.py      load_bundle and bundle_files: the steps below, in order, and the jobs' checks
    yaml_files.py  YAML without duplicate keys, the line of every key, find_root
    sources.py     what the files declare before a target applies: includes, resources, variables
    targets.py     the chosen target, its overrides merged, each variable's value
    origins.py     the file (or --var) behind every value; the target merge that records it
    workspace.py   the CLI's own additions: workspace paths, the current user and its short names
    resolve.py     ${...} references, resolved recursively with cycle detection
    presets.py     development mode's presets, name prefixes, tags, job defaults, run_as on jobs
    permissions.py top-level permissions onto resources, the deployer as owner, overlaps
    model.py       Bundle: one resolved target, its jobs, notebooks and `-o json` view
    notebooks.py   the walk over notebook tasks and the notebook file checks, shared with the validator
    errors.py      BundleError, key paths ("resources.jobs.x.tasks[0]") and name lists for messages
"""

from __future__ import annotations

from localrun.bundle.errors import BundleError, KeyPath, MissingVariable, format_key
from localrun.bundle.loader import bundle_files, load_bundle
from localrun.bundle.model import Bundle
from localrun.bundle.notebooks import NOTEBOOK_HEADER
from localrun.bundle.presets import catalog_prefix_of
from localrun.bundle.resolve import REFERENCE
from localrun.bundle.targets import choose_target
from localrun.bundle.yaml_files import find_root, read_yaml_lines

__all__ = [
    "NOTEBOOK_HEADER",
    "REFERENCE",
    "Bundle",
    "BundleError",
    "KeyPath",
    "MissingVariable",
    "bundle_files",
    "catalog_prefix_of",
    "choose_target",
    "find_root",
    "format_key",
    "load_bundle",
    "read_yaml_lines",
]
