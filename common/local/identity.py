"""Who a laptop user is: what ${workspace.current_user.userName} stands for, and who promotions and
rollbacks are recorded as (common.runtime.current_user)."""

from __future__ import annotations

import getpass
import os
import uuid


def local_user() -> str:
    """DATABRICKS_USER, else the login name (as <name>@local)."""
    user = os.environ.get("DATABRICKS_USER")
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry, e.g. in some containers
            user = "user"
    return user if "@" in user or is_service_principal(user) else f"{user}@local"


def is_service_principal(user: str) -> bool:
    """A service principal signs in with its application ID, a UUID (as the CLI tells them apart)."""
    try:
        uuid.UUID(user)
    except ValueError:
        return False
    return True
