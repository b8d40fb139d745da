"""The local lifecycle of each project against a floor doing the same work without Spark.

    .venv/bin/python benchmarks/lifecycle_benchmark.py [--projects churn,iris] [--runs 3] [--rerun]
    .venv/bin/python benchmarks/run_all.py --only lifecycle          # the same, in the one table

Lifecycle: `python -m localrun lifecycle <project>` in a subprocess, each run in a fresh lakehouse
(what a new user sees); --rerun adds a rerun on the same lakehouse. Floor: floor.py <project> in its
own subprocess, the same steps in pandas + deltalake + the shared lifecycle code, no Spark. Wall
times include process start and exit on both sides; runs alternate the two sides so that machine
load hits both alike, and medians are reported.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from measure import ROOT, child_env, last_json_line, machine, run_measured, write_results

PROJECTS = ("churn", "clv", "credit_risk", "iris")
TARGET_RATIO = 1.5
_TASK = re.compile(r"^(?P<indent>\s*)(?P<mark>▶|>|✓|ok) (?:\[\d+/\d+\] )?(?P<key>\S+)(?: (?P<s>[\d.]+) s)?")
_DONE = re.compile(r"=== Lifecycle done in ([\d.]+) s")
_METRICS = re.compile(r"is Challenger; holdout metrics (\{.*\})")  # what the Train notebook prints
# Lifecycle tasks by the floor step that does their work.
_STAGE = {"score_each_model": "batch_inference", "approval": "model_deployment", "needs_retraining": "check_metrics"}


def leaf_task_seconds(output: str) -> dict[str, float]:
    """Seconds per task key (named as the floor's step that does its work), summed over its runs (a
    for_each runs a task once per input); a task whose run printed tasks of its own (a for_each of
    jobs) is left out, its tasks are counted."""
    seconds: dict[str, float] = {}
    nested_since_start: dict[int, bool] = {}
    for line in output.splitlines():
        found = _TASK.match(line)
        if not found:
            continue
        depth = len(found["indent"])
        if found["mark"] in ("▶", ">"):
            nested_since_start[depth] = False
        elif found["s"] is not None:
            if not nested_since_start.get(depth, False):
                key = _STAGE.get(found["key"], found["key"])
                seconds[key] = round(seconds.get(key, 0.0) + float(found["s"]), 2)
            for outer in [d for d in nested_since_start if d < depth]:
                nested_since_start[outer] = True
    return seconds


def run_lifecycle(project: str, lakehouse: Path, bytecode: str) -> dict:
    done = run_measured([sys.executable, "-m", "localrun", "lifecycle", project], env=child_env(lakehouse, bytecode))
    reported = _DONE.search(done["stdout"])
    return {"wall": done["wall_s"], "jobs_s": float(reported.group(1)) if reported else None,
            "tasks": leaf_task_seconds(done["stdout"]), "peak_tree_mb": done["peak_tree_mb"],
            "holdout_metrics": [ast.literal_eval(m) for m in _METRICS.findall(done["stdout"])]}


def floor_child(project: str) -> dict:
    """The floor in this process. Its Spark imports are timed apart: the shared lifecycle modules
    the floor calls import pyspark and the feature store's FeatureLookup, which the floor never uses."""
    began = time.perf_counter()
    import databricks.ml_features.entities.feature_lookup  # noqa: F401
    import pyspark.sql.functions  # noqa: F401

    spark_imports = round(time.perf_counter() - began, 2)
    from floor import run_project

    return {**run_project(project), "spark_imports_s": spark_imports}


def run_floor(project: str, lakehouse: Path, bytecode: str) -> dict:
    done = run_measured([sys.executable, __file__, "--floor-child", project], env=child_env(lakehouse, bytecode))
    result = last_json_line(done["stdout"])
    return {"wall": done["wall_s"], "peak_tree_mb": done["peak_tree_mb"], **result,
            "outside_steps": round(done["wall_s"] - sum(result["steps"].values()), 2)}


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def _same_metrics(a: list[dict], b: list[dict], tolerance: float = 1e-3) -> bool:
    """Each model's holdout metrics on one side match one model's on the other (in any order), up to
    `tolerance`: pandas and Spark sum floats in other orders, which can move the fourth decimal."""
    unmatched = list(b)
    for metrics in a:
        match = next((m for m in unmatched if m.keys() == metrics.keys()
                      and all(abs(m[k] - v) <= tolerance for k, v in metrics.items())), None)
        if match is None:
            return False
        unmatched.remove(match)
    return bool(a) and not unmatched  # no metrics found at all is no match


def benchmark_project(project: str, runs: int, warmup: int, rerun: bool, bytecode: str) -> dict:
    lifecycle, floors, reruns = [], [], []
    for i in range(warmup + runs):
        label = "warm-up" if i < warmup else f"run {i - warmup + 1}/{runs}"
        with tempfile.TemporaryDirectory(prefix="lifecycle-bench-") as tmp:
            fresh = run_lifecycle(project, Path(tmp) / "lakehouse", bytecode)
            again = run_lifecycle(project, Path(tmp) / "lakehouse", bytecode) if rerun and i >= warmup else None
        with tempfile.TemporaryDirectory(prefix="floor-bench-") as tmp:
            low = run_floor(project, Path(tmp) / "lakehouse", bytecode)
        print(f"  lifecycle {project:<12} {label:<9} lifecycle {fresh['wall']:6.1f} s"
              + (f", rerun {again['wall']:6.1f} s" if again else "") + f", floor {low['wall']:6.1f} s", flush=True)
        if i >= warmup:
            lifecycle.append(fresh)
            floors.append(low)
            reruns += [again] if again else []
    tasks = {k: _median(r["tasks"].get(k) for r in lifecycle) for k in lifecycle[0]["tasks"]}
    steps = {k: _median(r["steps"].get(k) for r in floors) for k in floors[0]["steps"]}
    summary = {"lifecycle_s": _median(r["wall"] for r in lifecycle), "floor_s": _median(r["wall"] for r in floors),
               "rerun_s": _median(r["wall"] for r in reruns),
               "lifecycle_peak_tree_mb": _median(r["peak_tree_mb"] for r in lifecycle),
               "floor_peak_tree_mb": _median(r["peak_tree_mb"] for r in floors),
               "same_holdout_metrics": all(_same_metrics(a["holdout_metrics"], b["holdout_metrics"])
                                           for a, b in zip(lifecycle, floors))}
    summary["floor_without_spark_imports_s"] = _median(r["wall"] - r["spark_imports_s"] for r in floors)
    summary["ratio"] = round(summary["lifecycle_s"] / summary["floor_s"], 2)
    summary["ratio_to_floor_without_spark_imports"] = round(
        summary["lifecycle_s"] / summary["floor_without_spark_imports_s"], 2)
    outside = {"lifecycle": _median(r["wall"] - sum(r["tasks"].values()) for r in lifecycle),
               "floor": _median(r["outside_steps"] for r in floors)}
    gaps = {k: round((tasks.get(k) or 0) - (steps.get(k) or 0), 2) for k in {**tasks, **steps}}
    gaps["outside the tasks (start, imports, exit)"] = round(outside["lifecycle"] - outside["floor"], 2)
    return {"summary": summary, "median_tasks_s": tasks, "median_floor_steps_s": steps, "outside_s": outside,
            "gaps_s": dict(sorted(gaps.items(), key=lambda kv: -kv[1])),
            "lifecycle_runs": lifecycle, "floor_runs": floors, "rerun_runs": reruns}


def benchmark(projects, runs: int = 3, warmup: int = 1, rerun: bool = False, bytecode: str = "cache") -> dict:
    return {p: benchmark_project(p, runs, warmup, rerun, bytecode) for p in projects}


def report(results: dict) -> str:
    lines = []
    for project, r in results.items():
        s = r["summary"]
        lines.append(f"\n{project}: lifecycle {s['lifecycle_s']} s, floor {s['floor_s']} s "
                     f"({s['floor_without_spark_imports_s']} s without its Spark imports), ratio {s['ratio']} "
                     f"({s['ratio_to_floor_without_spark_imports']}; target <= {TARGET_RATIO}); "
                     f"holdout metrics equal: {s['same_holdout_metrics']}")
        lines.append("  where the lifecycle spends more than the floor (median s, lifecycle - floor):")
        lines += [f"    {k:<44}{v:>7.2f}   ({r['median_tasks_s'].get(k, '-')} vs {r['median_floor_steps_s'].get(k, '-')})"
                  if k in r["median_tasks_s"] or k in r["median_floor_steps_s"] else f"    {k:<44}{v:>7.2f}"
                  for k, v in r["gaps_s"].items()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", default=",".join(PROJECTS), help="comma-separated (default: all)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first, filling caches (default 1)")
    parser.add_argument("--rerun", action="store_true", help="also time a rerun on each run's lakehouse")
    parser.add_argument("--floor-child", choices=PROJECTS, help=argparse.SUPPRESS)
    parser.add_argument("--bytecode", choices=("cache", "inherit"), default="cache",
                        help="cache: children keep .pyc under benchmarks/results/pycache, as an installed "
                             "environment does (default); inherit: the environment exactly as it is")
    args = parser.parse_args()
    if args.floor_child:  # imported here only: Evidently's worker process imports this module again
        print(json.dumps(floor_child(args.floor_child)))
        return 0
    projects = [p for p in args.projects.split(",") if p]
    unknown = [p for p in projects if p not in PROJECTS]
    if unknown or args.runs < 1:
        parser.error(f"unknown project {unknown} (projects: {', '.join(PROJECTS)})" if unknown else "--runs >= 1")
    results = benchmark(projects, args.runs, args.warmup, args.rerun, args.bytecode)
    print(report(results))
    path = write_results("lifecycle", {"machine": machine(), "settings": vars(args), "projects": results})
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
