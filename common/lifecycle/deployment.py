"""Promote a validated model version to Champion, or roll the Champion back to the one before it.
Aliases only; a failed validation moves none. A served model's endpoint is pointed at the new
Champion first, and the alias moves only once it serves it (common/lifecycle/serving.py). Every
change of Champion is recorded as tags on both versions: who, when, which version replaced which,
and why (see `_record_change`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from common import registry, runtime
from common.lifecycle import serving
from common.lifecycle.approval import APPROVAL_TASK
from common.lifecycle.validation import ERROR, FAILED, PASSED, SKIPPED

PROMOTION, ROLLBACK = "promotion", "rollback"
# On a promoted version: the Champion it replaced, which a rollback restores ("none" for the first).
PREVIOUS_CHAMPION = "previous_champion"


@dataclass
class DeploymentOutcome:
    model_name: str
    version: str
    promoted: bool
    previous_champion: str | None
    aliases: list[str]
    reason: str
    endpoint: str = ""  # the serving endpoint, and what its update did (created, updated, unchanged)
    endpoint_change: str = ""


def deploy(model_name: str, version: str, *, actor: str | None = None, serving_endpoint: str = "") -> DeploymentOutcome:
    """Make a validated version the Champion, recorded as done by `actor` (default: who this process
    runs as), and the version `serving_endpoint` serves, when one is given."""
    model_version = registry.get_version(model_name, version)
    version = str(model_version.version)
    status = model_version.tags.get("validation_status")
    if status == ERROR:
        raise ValueError(f"{model_name} version {version} could not be validated, so it cannot become Champion "
                         f"({model_version.tags.get('validation_message', '')}); fix the cause and validate it again")
    if status not in (PASSED, SKIPPED, FAILED):
        raise ValueError(
            f"{model_name} version {version} has no validation verdict (tag validation_status); "
            "run the ModelValidation task before deploying"
        )
    champion = registry.version_by_alias(model_name, registry.CHAMPION)
    previous = str(champion.version) if champion else None
    if status == PASSED and previous != version:
        _require_same_champion(model_name, version, model_version.tags, previous)
    if status == FAILED:
        reason = f"validation {status}: Champion stays at version {previous}" if previous else f"validation {status}"
        return DeploymentOutcome(model_name, version, False, previous, registry.aliases_of(model_name, version), reason)
    reason = f"validation {status}" + _approval(model_version.tags) + (
        f"; replaces version {previous}" if previous and previous != version else "")
    change = serving.serve_version(model_name, version, serving_endpoint) if serving_endpoint else ""
    if previous != version:  # a rerun on the Champion itself changes nothing and records nothing
        registry.set_alias(model_name, registry.CHAMPION, version)
        _record_change(model_name, version, previous, PROMOTION, actor or runtime.current_user(), reason,
                       {PREVIOUS_CHAMPION: previous or "none"})
    return DeploymentOutcome(model_name, version, True, previous, registry.aliases_of(model_name, version), reason,
                             serving_endpoint, change)


def _require_same_champion(model_name: str, version: str, tags: dict, champion: str | None) -> None:
    """A version judged against one Champion is not promoted over another: two trainings at once
    would otherwise both pass against "no Champion", and the second replace the first unseen."""
    compared = tags.get("validation_compared_with")
    if compared is not None and compared != (champion or "none"):
        judged = f"version {compared}" if compared != "none" else "no Champion"
        raise RuntimeError(
            f"{model_name} version {version} was validated against {judged}, but the Champion is now version "
            f"{champion}: validate it again (rerun its deployment job) before promoting it; no alias moved")


def _approval(tags: dict) -> str:
    """Who approved the version, for the promotion's reason (common/lifecycle/approval.py's tags)."""
    if tags.get(APPROVAL_TASK, "").strip().lower() == "approved":
        return f"; approved by {tags.get(APPROVAL_TASK + '_by') or 'the Approve button'}"
    return "; approved automatically" if tags.get(APPROVAL_TASK + "_automatic") == "true" else ""


@dataclass
class RollbackOutcome:
    model_name: str
    restored: str
    rolled_back: str
    reason: str
    endpoint: str = ""  # the serving endpoint pointed back at the restored version, if the model has one


def rollback(model_name: str, *, reason: str, actor: str | None = None) -> RollbackOutcome:
    """Make the Champion that the current one replaced the Champion again. Refused, with nothing
    changed, when there is no Champion, when it replaced none, or without a reason."""
    if not reason.strip():
        raise ValueError(f"A rollback of {model_name} needs a reason (the job parameter 'reason'); it is recorded")
    registry.require_model(model_name)
    champion = registry.version_by_alias(model_name, registry.CHAMPION)
    if champion is None:
        raise LookupError(f"{model_name} has no Champion alias: there is nothing to roll back")
    current = str(champion.version)
    previous = champion.tags.get(PREVIOUS_CHAMPION, "none")
    if previous == "none":
        raise LookupError(f"{model_name} version {current} is the first Champion it has had: there is no earlier "
                          "Champion to roll back to")
    restored = str(registry.get_version(model_name, previous).version)  # names the version if it was deleted
    endpoint = serving.endpoint_of(model_name)
    if endpoint:
        serving.serve_version(model_name, restored, endpoint)
    registry.set_alias(model_name, registry.CHAMPION, restored)
    _record_change(model_name, restored, current, ROLLBACK, actor or runtime.current_user(), reason.strip())
    return RollbackOutcome(model_name, restored, current, reason.strip(), endpoint or "")


def _record_change(model_name: str, new: str, old: str | None, action: str, actor: str, reason: str,
                   extra: dict | None = None) -> None:
    """The audit trail: on the new Champion `champion_*` (action, by, at, reason, and the version it
    replaced) and `extra`, on the one it replaced `replaced_*` (by which version, when, through which
    action)."""
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    registry.tag_version(model_name, new, {
        "champion_action": action, "champion_by": actor, "champion_at": when, "champion_reason": reason,
        "champion_replaced": old or "none", **(extra or {}),
    })
    if old:
        registry.tag_version(model_name, old, {
            "replaced_by": new, "replaced_at": when, "replaced_through": action, "replaced_by_actor": actor,
        })
