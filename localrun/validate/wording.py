"""How the validator's messages show a value ("a mapping", true, 'abc') and the names a user could
have meant: "did you mean ...?" and the full list of choices.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from common.suggest import did_you_mean


def show_value(value: Any) -> str:
    """A value as a message shows it: its kind for a mapping or a list, else short and quoted."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "an empty value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def choices_hint(label: str, names: Iterable[Any], wrong: str) -> str:
    """" (did you mean 'b'?); <label>: a, b, c" for a wrong name among `names`."""
    names = sorted(str(n) for n in names if n is not None)
    return f"{did_you_mean(wrong, names)}; {label}: {', '.join(names) or '(none)'}"
