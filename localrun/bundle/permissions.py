"""Permissions as the CLI deploys them: the bundle's top-level `permissions` copied onto every job,
experiment and serving endpoint in that resource's own levels, then the deploying identity made
owner (IS_OWNER of jobs, CAN_MANAGE of the rest), one level per principal. A resource that already
names a principal of the top-level list is an overlap: the CLI warns and skips it, `mlops validate`
reports it (see `overlaps`).
"""

from __future__ import annotations

from dataclasses import dataclass

from common.local.identity import is_service_principal

# Top-level level -> the resource's own level; a level a resource has no counterpart for is skipped.
LEVELS = {
    "jobs": {"CAN_MANAGE": "CAN_MANAGE", "CAN_VIEW": "CAN_VIEW", "CAN_RUN": "CAN_MANAGE_RUN"},
    "pipelines": {"CAN_MANAGE": "CAN_MANAGE", "CAN_VIEW": "CAN_VIEW", "CAN_RUN": "CAN_RUN"},
    "experiments": {"CAN_MANAGE": "CAN_MANAGE", "CAN_VIEW": "CAN_READ"},
    "models": {"CAN_MANAGE": "CAN_MANAGE", "CAN_VIEW": "CAN_READ"},
    "model_serving_endpoints": {"CAN_MANAGE": "CAN_MANAGE", "CAN_VIEW": "CAN_VIEW", "CAN_RUN": "CAN_QUERY"},
    "dashboards": {"CAN_MANAGE": "CAN_MANAGE", "CAN_VIEW": "CAN_READ"},
    "apps": {"CAN_MANAGE": "CAN_MANAGE", "CAN_VIEW": "CAN_USE"},
}
# The levels a bundle's top-level permissions may give (the CLI refuses any other).
TOP_LEVELS = ("CAN_MANAGE", "CAN_VIEW", "CAN_RUN")
PRINCIPALS = ("user_name", "service_principal_name", "group_name")
HAS_OWNER = ("jobs", "pipelines", "sql_warehouses")
# Higher wins when one principal is given two levels.
_RANK = ["CAN_VIEW", "CAN_READ", "CAN_VIEW_METADATA", "CAN_RUN", "CAN_QUERY", "CAN_USE", "CAN_EDIT",
         "CAN_EDIT_METADATA", "CAN_CREATE", "CAN_ATTACH_TO", "CAN_RESTART", "CAN_MONITOR", "CAN_MANAGE_RUN",
         "CAN_MANAGE_STAGING_VERSIONS", "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE", "IS_OWNER"]


@dataclass(frozen=True)
class Overlap:
    """A resource's own permission for a principal that the top-level permissions also name."""

    kind: str
    key: str
    index: int  # of the resource's permission
    principal: str  # "group 'ml-engineers'"
    top: int  # index of the top-level permission


def principal_of(permission: dict) -> tuple[str, str] | None:
    """("group_name", "ml-engineers") for a permission entry; None when it names nobody."""
    return next(((k, permission[k]) for k in PRINCIPALS if permission.get(k)), None)


def apply_bundle_permissions(resources: dict, permissions: list | None) -> list[Overlap]:
    """Copy the top-level permissions onto every resource kind that has them, in place; the overlaps
    are returned (and, as the CLI does, the top-level entry is then not added to that resource)."""
    overlaps: list[Overlap] = []
    for kind, levels in LEVELS.items():
        for key, resource in resources.get(kind, {}).items():
            own = list(resource.get("permissions") or [])
            added = []
            for top, permission in enumerate(permissions or []):
                principal = principal_of(permission)
                if permission.get("level") not in levels or principal is None:
                    continue
                clashes = [i for i, p in enumerate(own) if principal_of(p) == principal]
                overlaps += [Overlap(kind, key, i, _describe(principal), top) for i in clashes]
                if not clashes:
                    added.append({"level": levels[permission["level"]], principal[0]: principal[1]})
            if own or added:
                resource["permissions"] = own + added
    return overlaps


def fix_permissions(resources: dict, user: str) -> None:
    """The deploying identity owns what has permissions: IS_OWNER where the kind has owners (unless
    another principal already is), CAN_MANAGE elsewhere; then one entry, the highest, per principal."""
    me = ("service_principal_name" if is_service_principal(user) else "user_name", user)
    for kind, items in resources.items():
        for resource in items.values():
            permissions = resource.get("permissions")
            if not isinstance(permissions, list) or not permissions:
                continue
            resource["permissions"] = _highest_each(_with_owner(permissions, me, kind in HAS_OWNER))


def _with_owner(permissions: list, me: tuple[str, str], has_owner: bool) -> list:
    mine = [i for i, p in enumerate(permissions) if _identity(p) == me[1]]
    if any(permissions[i].get("level") == "IS_OWNER" for i in mine):
        return permissions
    owned = any(p.get("level") == "IS_OWNER" for p in permissions)
    managing = next((i for i in mine if permissions[i].get("level") == "CAN_MANAGE"), None)
    if has_owner and not owned:
        if managing is not None:
            return [{**p, "level": "IS_OWNER"} if i == managing else p for i, p in enumerate(permissions)]
        return [*permissions, {"level": "IS_OWNER", me[0]: me[1]}]
    return permissions if managing is not None else [*permissions, {"level": "CAN_MANAGE", me[0]: me[1]}]


def _identity(permission: dict) -> str | None:
    return permission.get("user_name") or permission.get("service_principal_name")


def _highest_each(permissions: list) -> list:
    best: dict[tuple[str, str], dict] = {}
    for permission in permissions:
        principal = principal_of(permission)
        if principal is None or not permission.get("level"):
            continue
        kept = best.get(principal)
        if kept is None or _rank(permission["level"]) > _rank(kept["level"]):
            best[principal] = {"level": permission["level"], principal[0]: principal[1]}
    return list(best.values())


def _rank(level: str) -> int:
    return _RANK.index(level) if level in _RANK else -1


def _describe(principal: tuple[str, str]) -> str:
    kind = {"group_name": "group", "user_name": "user", "service_principal_name": "service principal"}
    return f"{kind[principal[0]]} '{principal[1]}'"
