"""Promote a validated model version to Champion. Aliases only; a failed validation moves none."""

from __future__ import annotations

from dataclasses import dataclass

from common import registry
from common.lifecycle.validation import FAILED, PASSED, SKIPPED


@dataclass
class DeploymentOutcome:
    model_name: str
    version: str
    promoted: bool
    previous_champion: str | None
    aliases: list[str]
    reason: str


def deploy(model_name: str, version: str) -> DeploymentOutcome:
    model_version = registry.get_version(model_name, version)
    version = str(model_version.version)
    status = model_version.tags.get("validation_status")
    if status not in (PASSED, SKIPPED, FAILED):
        raise ValueError(
            f"{model_name} version {version} has no validation verdict (tag validation_status); "
            "run the ModelValidation task before deploying"
        )
    champion = registry.version_by_alias(model_name, registry.CHAMPION)
    previous = str(champion.version) if champion else None
    if status == FAILED:
        reason = f"validation {status}: Champion stays at version {previous}" if previous else f"validation {status}"
        return DeploymentOutcome(model_name, version, False, previous, registry.aliases_of(model_name, version), reason)
    registry.set_alias(model_name, registry.CHAMPION, version)
    reason = f"validation {status}" + (f"; replaces version {previous}" if previous and previous != version else "")
    return DeploymentOutcome(model_name, version, True, previous, registry.aliases_of(model_name, version), reason)
