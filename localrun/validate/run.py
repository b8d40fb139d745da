"""The entry points: validate_bundle reads the files once, runs layers 1 and 3a on them as written,
then layers 2 and 3b on each target's resolved configuration, and merges everything into one
Report; default_target is the target that `-t` defaults to.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from localrun.bundle import BundleError, MissingVariable, bundle_files, choose_target, load_bundle, read_yaml_lines
from localrun.paths import display_path
from localrun.validate.access import access_problems, missing_variable_problem
from localrun.validate.files import BundleFile, Locator, as_dict, file_problem, read_files
from localrun.validate.jobs import job_problems
from localrun.validate.monitors import monitor_problems
from localrun.validate.problems import Problem, Report, merge_problems, overlaps
from localrun.validate.resources import class_problems
from localrun.validate.schema import schema_problems
from localrun.validate.semantic import semantic_problems
from localrun.validate.widgets import widget_problems


def validate_bundle(root: Path | str, targets: Sequence[str] | None = None,
                    variables: dict[str, str] | None = None) -> Report:
    """Validate the bundle at `root` for `targets` (default: every target) with `--var` values.

    Raises BundleError only for an unknown target name; every problem of the bundle itself is in
    the report.
    """
    root = Path(root).resolve()
    try:
        paths = bundle_files(root)
    except BundleError as exc:
        return Report(targets=list(targets or []), problems=[file_problem("databricks.yml", str(exc))])
    files, problems = read_files(root, paths)
    if not files or files[0].path != paths[0]:
        return Report(targets=list(targets or []), problems=problems)

    declared_targets = list(as_dict(files[0].data.get("targets")))
    for name in targets or ():
        if name not in declared_targets:
            raise BundleError(f"Unknown target '{name}' in {files[0].rel}; targets: {', '.join(declared_targets)}")
    chosen = list(targets) if targets else declared_targets
    if not declared_targets:
        problems.append(Problem(files[0].rel, files[0].line(("targets",)), "targets",
                                "no target declared: a bundle needs at least one target"))

    for file in files:
        problems += schema_problems(file)
    problems += semantic_problems(root, files, declared_targets, problems, complete=len(files) == len(paths))
    static = list(problems)

    report = Report(targets=chosen, problems=[])
    for target in chosen:
        problems += _target_problems(root, target, variables, files, static, report)
    report.problems = merge_problems(problems, [display_path(p, root) for p in paths])
    return report


def _target_problems(root: Path, target: str, variables: dict[str, str] | None, files: list[BundleFile],
                     static: list[Problem], report: Report) -> list[Problem]:
    """Layers 2 and 3b on one target, leaving out what a problem of `static` (layers 1 and 3a)
    already reports; the resolved bundle goes into `report.bundles`."""
    problems = []
    try:
        bundle = load_bundle(root, target=target, variables=variables)
        report.bundles[target] = bundle
    except BundleError as exc:
        # Most often a consequence of a problem found above (an undeclared variable, a missing
        # notebook): report the loader's own message only when nothing else explains it, and go
        # on checking the target's jobs as written.
        if isinstance(exc, MissingVariable):
            problems.append(missing_variable_problem(exc, files, target))
        elif not static:
            problems.append(Problem(files[0].rel, None, "", f"cannot resolve the configuration: {exc}", (target,)))
        try:
            bundle = load_bundle(root, target=target, variables=variables, resolve=False)
        except BundleError:
            return problems
    located = Locator(bundle, {f.path: f for f in files})
    checks = [*class_problems(bundle, located), *job_problems(bundle, located)]
    if target in report.bundles:  # these compare resolved names and values: not on a configuration left unresolved
        checks += [*access_problems(bundle, located), *monitor_problems(bundle, located),
                   *widget_problems(bundle, located)]
    for problem in checks:
        if not any(overlaps(problem, other) for other in static):
            problems.append(problem)
    return problems


def default_target(root: Path | str) -> str:
    """The target marked `default: true` (what `-t` defaults to)."""
    root = Path(root).resolve()
    data, _ = read_yaml_lines(bundle_files(root)[0], root)
    return choose_target(data.get("targets") or {}, None, "databricks.yml")
