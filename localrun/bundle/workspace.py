"""What the CLI adds to a target's workspace by itself: the paths' defaults and the current user
(on a laptop: DATABRICKS_USER, else the login name), with the short names the CLI derives from it.
"""

from __future__ import annotations

import re
import unicodedata


def workspace_defaults(workspace: dict, user: str) -> dict:
    """The CLI's defaults: root_path ~/.bundle/<bundle>/<target>, and files/artifacts/... below it."""
    workspace.setdefault("root_path", "~/.bundle/${bundle.name}/${bundle.target}")
    if isinstance(workspace["root_path"], str) and workspace["root_path"].startswith("~/"):
        workspace["root_path"] = "/Workspace/Users/${workspace.current_user.userName}/" + workspace["root_path"][2:]
    for key, folder in (("file_path", "files"), ("artifact_path", "artifacts"), ("state_path", "state"),
                        ("resource_path", "resources")):
        workspace.setdefault(key, "${workspace.root_path}/" + folder)
    workspace["current_user"] = {"userName": user, "short_name": short_name(user),
                                 "domain_friendly_name": domain_friendly_name(user)}
    return workspace


def normalize(name: str) -> str:
    """The CLI's name normalisation: lower case, every character but a letter or digit becomes '_',
    runs of '_' collapse to one, and '_' is trimmed from both ends."""
    mapped = "".join(c if c.isalpha() or c.isdecimal() else "_" for c in name.lower())
    return re.sub(r"_+", "_", mapped).strip("_")


def short_name(user: str) -> str:
    """${workspace.current_user.short_name}: the normalised part before '@' ('Jane.O-Brien+ml@x.com' ->
    'jane_o_brien_ml'). A service principal's comes from its application ID here; on a workspace the
    CLI uses its display name when it has one."""
    return normalize(user.split("@", 1)[0])


def domain_friendly_name(user: str) -> str:
    """The short name as a DNS label: accents dropped, anything but a letter or digit becomes '-'."""
    plain = unicodedata.normalize("NFKD", short_name(user))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in plain).lower()
