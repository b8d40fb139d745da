#!/usr/bin/env python3
"""Which projects a change touches: the one place both CI platforms ask what to test and run.

    python3 .ci/changed_projects.py --base origin/main              # git diff origin/main...HEAD
    python3 .ci/changed_projects.py --paths common/x.py README.md   # or a list of changed paths
    ... --format json | github | azure

Each changed path is sorted by the first rule below that matches it:

    *.md, docs/, LICENSE, NOTICE      nothing: documentation
    .github/, .azure/                 nothing more: the lint job checks the pipelines on every change
    benchmarks/                       nothing: laptop-only, not deployed (ruff still lints it)
    tests/                            the full suite (.ci/run): repository-level tests
    projects/<name>/                  that project, when projects/<name>/ exists
    anything else                     every project and the full suite: common/, resources/,
                                      databricks.yml, requirements*.txt, pyproject.toml, conftest.py,
                                      mlops, .ci/, a deleted project, a new top-level file, ...

Projects are the folders under projects/, as common/projects.py finds them. When the diff cannot be
computed, everything is selected: CI tests too much rather than too little. Standard library only
(common/projects.py too), so that CI can run it before any environment exists.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: common/
from common.projects import discover_projects

ROOT = Path(__file__).resolve().parent.parent

DOCS = ("*.md", "docs/*", "LICENSE*", "NOTICE*")
PIPELINES = (".github/*", ".azure/*")
LAPTOP_ONLY = ("benchmarks/*",)
REPOSITORY_TESTS = ("tests/*",)


@dataclass
class Selection:
    """What a change needs: the projects to test and run, and whether to run the full suite."""

    projects: list[str] = field(default_factory=list)
    full_suite: bool = False
    reasons: dict[str, str] = field(default_factory=dict)  # path -> why, for the CI log

    def to_dict(self) -> dict:
        return {"projects": self.projects, "full_suite": self.full_suite}


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def classify(path: str, projects: list[str]) -> tuple[str, str]:
    """(effect, project or reason) for one changed path; effect is none, full, project or all."""
    path = path.strip().removeprefix("./")
    if _matches(path, DOCS):
        return "none", "documentation"
    if _matches(path, PIPELINES):
        return "none", "pipeline file (checked by the lint job)"
    if _matches(path, LAPTOP_ONLY):
        return "none", "laptop-only"
    if _matches(path, REPOSITORY_TESTS):
        return "full", "repository-level test"
    parts = path.split("/")
    if parts[0] == "projects" and len(parts) > 2 and parts[1] in projects:
        return "project", parts[1]
    return "all", "shared by every project" if parts[0] != "projects" else "not inside an existing project"


def select(paths: list[str], projects: list[str]) -> Selection:
    chosen: set[str] = set()
    selection = Selection()
    for path in (p for p in paths if p.strip()):
        effect, detail = classify(path, projects)
        if effect == "project":
            chosen.add(detail)
            selection.reasons[path] = f"project {detail}"
            continue
        selection.reasons[path] = detail
        if effect in ("full", "all"):
            selection.full_suite = True
        if effect == "all":
            chosen.update(projects)
    selection.projects = sorted(chosen)
    return selection


def everything(projects: list[str], why: str) -> Selection:
    return Selection(projects=sorted(projects), full_suite=True, reasons={"*": why})


def changed_paths(base: str, head: str = "HEAD", root: Path = ROOT) -> list[str]:
    """Paths changed between the merge base of `base` and `head`, and `head` (renames as two paths)."""
    out = subprocess.run(["git", "diff", "--name-only", "--no-renames", f"{base}...{head}"], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


def github_output(selection: Selection) -> str:
    """Lines for $GITHUB_OUTPUT: `projects` is the JSON list a matrix takes through fromJSON."""
    return (f"projects={json.dumps(selection.projects)}\n"
            f"full_suite={str(selection.full_suite).lower()}\n")


def azure_output(selection: Selection) -> str:
    """Logging commands that set output variables: `matrix` feeds `strategy: matrix: $[ ... ]`,
    `projects` (space-separated) a loop, `any_project` and `full_suite` the conditions."""
    matrix = {p: {"project": p} for p in selection.projects}
    values = {
        "projects": " ".join(selection.projects),
        "matrix": json.dumps(matrix, separators=(",", ":")),
        "any_project": str(bool(selection.projects)).lower(),
        "full_suite": str(selection.full_suite).lower(),
    }
    return "".join(f"##vso[task.setvariable variable={k};isoutput=true]{v}\n" for k, v in values.items())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Which projects a change touches (see the module docstring).")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", help="git ref to compare with: the diff is base...head")
    source.add_argument("--paths", nargs="*", help="changed paths ('-' reads them from stdin, one a line)")
    parser.add_argument("--head", default="HEAD", help="git ref of the change (default HEAD)")
    parser.add_argument("--format", choices=("json", "github", "azure"), default="json",
                        help="json: print {projects, full_suite}; github: append to $GITHUB_OUTPUT "
                             "(stdout when unset); azure: print ##vso output-variable commands")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    projects = discover_projects(args.root)
    if args.paths is not None:
        paths = sys.stdin.read().splitlines() if args.paths == ["-"] else args.paths
        selection = select(paths, projects)
    else:
        try:
            selection = select(changed_paths(args.base, args.head, args.root), projects)
        except (subprocess.CalledProcessError, OSError) as exc:
            detail = (exc.stderr or "").strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
            detail = detail.splitlines()[0] if detail else "git failed"
            print(f"warning: cannot diff {args.base}...{args.head} ({detail}); selecting everything",
                  file=sys.stderr)
            selection = everything(projects, f"no diff against {args.base}")

    for path, why in sorted(selection.reasons.items()):
        print(f"  {path}: {why}", file=sys.stderr)
    print(f"projects: {', '.join(selection.projects) or '(none)'}; full suite: "
          f"{'yes' if selection.full_suite else 'no'}", file=sys.stderr)

    if args.format == "json":
        print(json.dumps(selection.to_dict()))
    elif args.format == "azure":
        print(azure_output(selection), end="")
    else:
        target = os.environ.get("GITHUB_OUTPUT")
        if target:
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(github_output(selection))
        else:
            print(github_output(selection), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
