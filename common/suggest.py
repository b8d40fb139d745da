""""Did you mean ...?": the closest of the names a user could have meant, for error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: object, choices: Iterable[object], cutoff: float = 0.6) -> str | None:
    """The choice most like `word` (as text), or None when none is close enough."""
    found = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(word: object, choices: Iterable[object], template: str = " (did you mean '{}'?)") -> str:
    """`template` filled with the closest choice, or "" when none is close."""
    match = closest(word, choices)
    return template.format(match) if match is not None else ""
