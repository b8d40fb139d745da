"""load_bundle: databricks.yml and its includes read, the target's overrides merged, variables
resolved, the CLI's presets, defaults and permissions applied, `${resources...}` resolved last, and
the jobs checked (task keys, local notebooks) the way `databricks bundle validate` does;
bundle_files lists the files it reads.
"""

from __future__ import annotations

from pathlib import Path

from common.local.identity import local_user
from localrun.bundle.errors import BundleError
from localrun.bundle.model import Bundle
from localrun.bundle.notebooks import notebook_tasks
from localrun.bundle.origins import Origins
from localrun.bundle.permissions import apply_bundle_permissions, fix_permissions
from localrun.bundle.presets import apply_presets, job_defaults, mode_presets
from localrun.bundle.resolve import Resolver
from localrun.bundle.sources import included_files, read_sources
from localrun.bundle.targets import apply_target, choose_target, variable_values
from localrun.bundle.workspace import short_name, workspace_defaults
from localrun.bundle.yaml_files import read_yaml, root_file_of
from localrun.paths import display_path


def load_bundle(root: Path | str, target: str | None = None, variables: dict[str, str] | None = None, *,
                resolve: bool = True) -> Bundle:
    """Read root/databricks.yml and its includes for `target` (default: the target marked default).

    `variables` are `--var name=value` values: they win over BUNDLE_VAR_<name>, the target's value and
    the declared default, in that order. `resolve=False` stops once the target's overrides are merged:
    `${...}` stay as written and notebooks are not checked (what `mlops validate` falls back on when a
    target cannot be resolved, to go on checking its jobs).
    """
    root = Path(root).resolve()
    root_file = root_file_of(root)
    config = read_yaml(root_file, root)
    name = (config.get("bundle") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise BundleError(f"{root_file.name}: bundle.name is required")
    root_targets = config.get("targets") or {}
    if not isinstance(root_targets, dict) or not root_targets:
        raise BundleError(f"{root_file.name}: targets must be a mapping with at least one target")

    origins = Origins()
    sources = read_sources(root, root_file, config, origins)
    target = choose_target(root_targets, target, root_file.name)
    chosen = apply_target(root, root_file, config, sources, target, origins)
    if not resolve:
        return Bundle(root=root, name=name, target=target, targets=list(root_targets), mode=chosen.mode,
                      variables={}, resources=sources.resources, workspace=chosen.workspace,
                      run_as=chosen.extras["run_as"], presets=chosen.extras["presets"],
                      permissions=chosen.extras["permissions"], files=sources.files,
                      variable_declarations=sources.declarations, origins=origins)
    values = variable_values(sources, target, chosen.variables, variables or {}, origins, root)
    user = local_user()
    workspace = workspace_defaults(chosen.workspace, user)
    tree = {
        "bundle": {**(config.get("bundle") or {}), "target": target},
        "workspace": workspace,
        "var": values,
        "variables": {n: {**d, "value": values[n]} for n, d in sources.declarations.items()},
        "resources": sources.resources,
    }
    # As the CLI: variables first, then what the mode and presets add, then ${resources...}.
    resolver = Resolver(tree, origins, root, sorted(sources.declarations), keep_resources=True)
    resolved = {key: resolver.value(chosen.extras[key], (key,)) for key in ("run_as", "presets", "permissions")}
    presets = mode_presets(resolved["presets"], chosen.mode, short_name(user))
    resources = resolver.value(sources.resources, ("resources",))
    apply_presets(resources, presets)
    job_defaults(resources, resolved["run_as"])
    overlaps = apply_bundle_permissions(resources, resolved["permissions"])
    fix_permissions(resources, user)
    bundle = Bundle(
        root=root,
        name=name,
        target=target,
        targets=list(root_targets),
        mode=chosen.mode,
        variables={n: resolver.reference(f"var.{n}", ("variables", n)) for n in sources.declarations},
        resources=Resolver({**tree, "resources": resources}, origins, root, []).value(resources, ("resources",)),
        workspace=resolver.value(workspace, ("workspace",)),
        run_as=resolved["run_as"],
        presets=presets or None,
        permissions=resolved["permissions"],
        files=sources.files,
        variable_declarations=sources.declarations,
        origins=origins,
        unresolved_resources=resources,
        permission_overlaps=overlaps,
    )
    bundle.variable_defaults = _shown_defaults(bundle, sources.declarations, chosen.variables)
    _check_jobs(bundle)
    return bundle


def _shown_defaults(bundle: Bundle, declarations: dict, target_values: dict) -> dict:
    """Each variable's default as the CLI shows it: the target's value replaces the declared one, and
    it is shown resolved when it is where the value came from (not --var or BUNDLE_VAR_x)."""
    shown = {}
    for name, declaration in declarations.items():
        if not isinstance(bundle.origin_of(("variables", name)), str):
            shown[name] = bundle.variables[name]
        elif name in target_values:
            raw = target_values[name][0]
            shown[name] = raw["default"] if isinstance(raw, dict) and "default" in raw else raw
        elif "default" in declaration:
            shown[name] = declaration["default"]
    return shown


def bundle_files(root: Path | str) -> list[Path]:
    """databricks.yml and every file its `include:` globs match, in the order load_bundle reads them."""
    root = Path(root).resolve()
    root_file = root_file_of(root)
    return [root_file, *included_files(root, root_file, read_yaml(root_file, root))]


def _check_jobs(bundle: Bundle) -> None:
    """Task keys are unique and every local notebook exists, as `bundle validate` checks."""
    for job_key, job in bundle.jobs.items():
        _check_task_keys(job_key, job, display_path(bundle.source_of("jobs", job_key), bundle.root))
        for path, task in notebook_tasks(job, ("resources", "jobs", job_key)):
            if bundle.in_bundle(task):
                bundle.local_notebook(path, job_key, task)


def _check_task_keys(job_key: str, job: dict, rel: str) -> None:
    """Every task has a task_key, used once (the runner and depends_on rely on it)."""
    tasks = job.get("tasks")
    if tasks is None:
        return
    if not isinstance(tasks, list):
        raise BundleError(f"resources.jobs.{job_key}.tasks in {rel} must be a list")
    seen = set()
    for i, task in enumerate(tasks):
        key = task.get("task_key") if isinstance(task, dict) else None
        if not isinstance(key, str) or not key:
            raise BundleError(f"resources.jobs.{job_key}.tasks[{i}] in {rel} needs a task_key")
        if key in seen:
            raise BundleError(f"resources.jobs.{job_key} in {rel} has two tasks with task_key '{key}'")
        seen.add(key)
