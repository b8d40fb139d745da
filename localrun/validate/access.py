"""Layer 3c, on each target's resolved configuration: who can change what a target runs. A
production target deploys into a folder only its deploying identity can write (not /Workspace/Shared,
which every workspace user can), runs as a real identity (not the all-zero placeholder), and gives
each principal its level in one place (a resource's own permission for a principal that the
top-level permissions also name is an overlap: the CLI warns and keeps one of them).
"""

from __future__ import annotations

from localrun.bundle import Bundle, MissingVariable, format_key
from localrun.bundle.permissions import TOP_LEVELS
from localrun.validate.files import BundleFile, Locator, as_dict
from localrun.validate.problems import Problem

SHARED_ROOTS = ("/Workspace/Shared/", "/Shared/")
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
SERVICE_PRINCIPAL_HOME = "/Workspace/Users/${var.service_principal}/.bundle/${bundle.name}/${bundle.target}"


def access_problems(bundle: Bundle, locate: Locator) -> list[Problem]:
    problems = []
    if bundle.mode == "production":
        problems += _root_problems(bundle, locate)
    identity = (bundle.run_as or {}).get("service_principal_name")
    if bundle.run_as is not None and not identity and not bundle.run_as.get("user_name"):
        problems.append(locate.problem(("run_as",), (
            "run_as names nobody (an empty value?): give the service principal's application ID, e.g. with "
            "BUNDLE_VAR_service_principal")))
    if identity == PLACEHOLDER_ID:
        problems.append(locate.problem(("run_as", "service_principal_name"), (
            f"runs as the placeholder service principal {PLACEHOLDER_ID}, which no workspace has; give the real "
            "application ID (e.g. BUNDLE_VAR_service_principal in CI) and no placeholder default")))
    for i, permission in enumerate(bundle.permissions or []):
        if isinstance(permission, dict) and permission.get("level") not in TOP_LEVELS:
            problems.append(locate.problem(("permissions", i, "level"), (
                f"level {permission.get('level')!r} is no top-level permission level; the CLI takes "
                f"{', '.join(TOP_LEVELS)}")))
    for overlap in bundle.permission_overlaps:
        where = locate.problem(("permissions", overlap.top), "")
        problems.append(locate.problem(
            ("resources", overlap.kind, overlap.key, "permissions", overlap.index),
            f"{overlap.principal} is also given a level by the target's top-level permissions "
            f"({where.file}:{where.line}); the CLI warns and ignores the top-level one here: give "
            "the principal its level in one place"))
    return problems


def _root_problems(bundle: Bundle, locate: Locator) -> list[Problem]:
    root = str(bundle.workspace.get("root_path", ""))
    if root.startswith(SHARED_ROOTS):
        return [locate.problem(("workspace", "root_path"), (
            f"the production target deploys to {root}, which every workspace user can write: anyone could "
            f"change the code its jobs run; deploy into the deploying service principal's home, e.g. "
            f"root_path: {SERVICE_PRINCIPAL_HOME}"))]
    return []


def missing_variable_problem(exc: MissingVariable, files: list[BundleFile], target: str) -> Problem:
    """A variable with no value, at its declaration (file, line, `variables.<name>`)."""
    path = ("variables", exc.name)
    declared = next((f for f in files if exc.name in as_dict(f.data.get("variables"))), files[0])
    message = (f"has no value: set the environment variable BUNDLE_VAR_{exc.name}=... (CI does), pass "
               f"--var {exc.name}=..., or give it a value under the target's variables")
    return Problem(declared.rel, declared.line(path), format_key(path), message, (target,))
