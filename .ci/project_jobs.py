#!/usr/bin/env python3
"""A project's job keys by stage, read from the bundle's tags: what CI's integration run starts.

    databricks bundle validate -t test -o json > bundle.json
    python3 .ci/project_jobs.py churn --stage features --stage training --bundle bundle.json
    churn_feature_engineering
    churn_model_training

The input is the resolved configuration that `databricks bundle validate -o json` prints (and
`./mlops validate -o json` too). A job belongs to a project through its bundle tags `project: <name>`
and `stage: <stage>`, read by `common/projects.py` as the local lifecycle reads them; keys come out
in lifecycle stage order, one a line. Standard library only (common/projects.py is too), so that CI
can run it where only the Databricks CLI is installed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: common/
from common.projects import STAGES, fanned_out_jobs, jobs_by_stage


class SelectionError(Exception):
    """The bundle has no job for a requested project or stage; the message names which."""


def project_jobs(config: dict, project: str, stages: list[str] | None = None) -> list[str]:
    """Keys of the jobs tagged `project: <project>` for each of `stages` (default: every stage), less
    those that another job runs per item of a for_each_task (that job runs them)."""
    wanted = list(stages or STAGES)
    jobs = (config.get("resources") or {}).get("jobs") or {}
    parts = fanned_out_jobs(jobs)
    projects = jobs_by_stage({key: job for key, job in jobs.items() if key not in parts})
    by_stage = projects.get(project)
    if not by_stage:
        raise SelectionError(f"no job of the bundle is tagged project: {project} "
                             f"(tagged projects: {', '.join(projects) or 'none'})")
    missing = [stage for stage in wanted if stage not in by_stage]
    if missing:
        raise SelectionError(f"project {project} has no job tagged stage: {', '.join(missing)} "
                             f"(its stages: {', '.join(sorted(s for s in by_stage if s))})")
    return [key for stage in wanted for key in by_stage[stage]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A project's job keys by stage, from the bundle's tags.")
    parser.add_argument("project", help="project name, as in the jobs' `project` tag")
    parser.add_argument("--stage", action="append", choices=STAGES,
                        help="a lifecycle stage (repeatable; default: every stage)")
    parser.add_argument("--bundle", type=argparse.FileType("r", encoding="utf-8"), default=sys.stdin,
                        help="`bundle validate -o json` output (default: stdin)")
    args = parser.parse_args(argv)
    try:
        config = json.load(args.bundle)
        keys = project_jobs(config, args.project, args.stage)
    except json.JSONDecodeError as exc:
        print(f"error: the bundle configuration is not JSON: {exc}", file=sys.stderr)
        return 1
    except SelectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
