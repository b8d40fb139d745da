"""What the CLI adds to a target by itself: the workspace paths' defaults, the current user (on a
laptop: DATABRICKS_USER or the login name), and the resource name prefixes of development mode or
presets.name_prefix.
"""

from __future__ import annotations

import getpass
import os
import re


def workspace_defaults(workspace: dict) -> dict:
    """The CLI's defaults: root_path ~/.bundle/<bundle>/<target>, and files/artifacts/... below it."""
    user = _local_user()
    workspace.setdefault("root_path", "~/.bundle/${bundle.name}/${bundle.target}")
    if isinstance(workspace["root_path"], str) and workspace["root_path"].startswith("~/"):
        workspace["root_path"] = "/Workspace/Users/${workspace.current_user.userName}/" + workspace["root_path"][2:]
    for key, folder in (("file_path", "files"), ("artifact_path", "artifacts"), ("state_path", "state"),
                        ("resource_path", "resources")):
        workspace.setdefault(key, "${workspace.root_path}/" + folder)
    short_name = "".join(c if c.isalnum() else "_" for c in user.split("@")[0])  # as the CLI derives it
    workspace["current_user"] = {"userName": user, "short_name": short_name}
    return workspace


def _local_user() -> str:
    """The user name that ${workspace.current_user.userName} stands for on a laptop."""
    user = os.environ.get("DATABRICKS_USER")
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry, e.g. in some containers
            user = "user"
    return user if "@" in user else f"{user}@local"


def prefix_names(resources: dict, presets: dict, mode: str | None) -> None:
    """Development mode prefixes resource names with "[dev <short_name>] ", as the CLI's presets do;
    presets.name_prefix replaces that prefix, in any mode. Jobs take the prefix as it is, experiments
    on the last part of their path, and Unity Catalog names (registered models, schemas, serving
    endpoints) a normalised form: "dev_<short_name>_"."""
    prefix = presets.get("name_prefix")
    if prefix is None and mode == "development":
        prefix = "[dev ${workspace.current_user.short_name}] "
    if not prefix:
        return
    for job in resources.get("jobs", {}).values():
        if isinstance(job.get("name"), str):
            job["name"] = prefix + job["name"]
    for experiment in resources.get("experiments", {}).values():
        if isinstance(experiment.get("name"), str):
            folder, sep, base = experiment["name"].rpartition("/")
            experiment["name"] = f"{folder}{sep}{prefix}{base}"
    for kind in ("registered_models", "schemas", "model_serving_endpoints"):
        for resource in resources.get(kind, {}).values():
            if isinstance(resource.get("name"), str):
                resource["name"] = catalog_prefix_of(prefix) + resource["name"]


def catalog_prefix_of(prefix: str) -> str:
    """'[dev ${workspace.current_user.short_name}] ' -> 'dev_${workspace.current_user.short_name}_': letters
    and digits stay, anything else becomes '_' (references are kept whole, to be resolved later)."""
    trimmed = prefix.replace("[", "").strip(" ")
    closed = trimmed.endswith("]")
    parts = re.split(r"(\$\{[^}]*\})", trimmed.rstrip("]") if closed else trimmed)
    normal = "".join(part if part.startswith("${") else "".join(c if c.isalnum() else "_" for c in part.lower())
                     for part in parts)
    return normal + ("_" if closed else "")
