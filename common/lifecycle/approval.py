"""A person's approval of a model version, as MLflow 3 deployment jobs have it on Databricks: the
approval task passes only when the version carries a tag named after the task whose value is
`approved` (in any case). The Approve button on the version's page sets that tag; `approve()` sets
it the same way, and also records who and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from common import registry, runtime

APPROVAL_TASK = "approval"


class ApprovalRequired(RuntimeError):
    pass


@dataclass
class ApprovalOutcome:
    model_name: str
    version: str
    approved_by: str
    automatic: bool


def approval_required(value: str) -> bool:
    """The job parameter `approval_required` (a bundle variable per target): true or false."""
    flag = str(value).strip().lower()
    if flag not in ("true", "false"):
        raise ValueError(f"The parameter approval_required must be true or false, not {value!r}")
    return flag == "true"


def check_approval(model_name: str, version: str, *, required: bool, task_key: str = APPROVAL_TASK) -> ApprovalOutcome:
    """Pass a version on (recording an automatic approval when none is required), or stop with
    what to do: which tag to set on which version, and where to run the job again from."""
    if not task_key.strip():
        raise ValueError("The approval task's name (its parameter task_name, {{task.name}} in the bundle) is empty: "
                         "it names the tag an approval sets")
    model_version = registry.get_version(model_name, version)
    version = str(model_version.version)
    if not required:
        registry.tag_version(model_name, version, {f"{task_key}_automatic": "true"})
        return ApprovalOutcome(model_name, version, "automatic (not required in this target)", True)
    value = model_version.tags.get(task_key, "")
    if value.strip().lower() != "approved":
        found = f" (its tag {task_key} is {value!r})" if value else ""
        raise ApprovalRequired(
            f"{model_name} version {version} is not approved{found}: a person who may approve sets the tag "
            f"{task_key}=approved on it (the Approve button on the version's page, or locally "
            f"./mlops approve {model_name} {version}); then run the job again from the task {task_key}"
        )
    approver = model_version.tags.get(f"{task_key}_by") or "the Approve button (the workspace audit log names who)"
    return ApprovalOutcome(model_name, version, approver, False)


def approve(model_name: str, version: str, *, actor: str | None = None, task_key: str = APPROVAL_TASK) -> dict:
    """Approve a version the way the UI does (the tag `task_key`=approved), recording who and when."""
    version = str(registry.get_version(model_name, version).version)  # names a version that is not there
    tags = {task_key: "approved", f"{task_key}_by": actor or runtime.current_user(),
            f"{task_key}_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    registry.tag_version(model_name, version, tags)
    return tags
