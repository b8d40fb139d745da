"""What validation finds: a Problem (file, line, key path, message, and the targets it was found
in) and the Report of a run, which prints either every problem and a count or one OK line per
target with its resources counted. The same problem found by two checks or in several targets is
reported once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from localrun.bundle import Bundle

_SINGULAR = {"jobs": "job", "registered_models": "registered model", "experiments": "experiment",
             "model_serving_endpoints": "serving endpoint", "quality_monitors": "quality monitor",
             "job_runs": "job run"}


@dataclass(frozen=True)
class Problem:
    """One mistake: where (file relative to the bundle root, 1-based line, key path) and what."""

    file: str
    line: int | None
    key: str
    message: str
    targets: tuple[str, ...] = ()  # the targets it was found in, when it depends on the target

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


@dataclass
class Report:
    """The outcome of one validation: the targets checked, every problem, and each resolved target."""

    targets: list[str]  # the targets validated
    problems: list[Problem]
    bundles: dict[str, Bundle] = field(default_factory=dict)  # the targets that resolved

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """What `mlops validate` prints: one line per problem and a count, or one line per target."""
        if self.ok:
            return [f"target {t}: OK ({_counts(self.bundles[t])})" for t in self.targets]
        out = []
        for problem in self.problems:
            text = str(problem)
            if problem.targets and set(problem.targets) != set(self.targets):
                text += f" (target{'s' if len(problem.targets) > 1 else ''} {', '.join(problem.targets)})"
            out.append(text)
        count = len(self.problems)
        validated = f"targets validated: {', '.join(self.targets)}" if self.targets else "no target validated"
        out.append(f"{count} problem{'s' if count > 1 else ''} ({validated})")
        return out


def _counts(bundle: Bundle) -> str:
    parts = []
    for kind, items in bundle.resources.items():
        name = _SINGULAR.get(kind, kind.replace("_", " ").removesuffix("s"))
        parts.append(f"{len(items)} {name}{'s' if len(items) != 1 else ''}")
    return ", ".join(parts) or "no resources"


def overlaps(problem: Problem, other: Problem) -> bool:
    """Same file and one key path inside the other: the same mistake, seen by two checks."""
    a, b = problem.key, other.key
    inside = a == b or a.startswith((b + ".", b + "[")) or b.startswith((a + ".", a + "["))
    return problem.file == other.file and inside


def merge_problems(problems: list[Problem], file_order: list[str]) -> list[Problem]:
    """One line per problem: the same problem found in several targets is reported once, its
    targets joined; sorted by file (in the order the bundle reads them) and line."""
    merged: dict[tuple, Problem] = {}
    for p in problems:
        key = (p.file, p.line, p.key, p.message)
        if key in merged and p.targets:
            seen = merged[key].targets
            merged[key] = dataclasses.replace(merged[key], targets=seen + tuple(t for t in p.targets if t not in seen))
        else:
            merged.setdefault(key, p)
    order = {name: i for i, name in enumerate(file_order)}
    return sorted(merged.values(), key=lambda p: (order.get(p.file, len(order)), p.file, p.line or 0))
