"""Every benchmark, in one command, and one table of ratios measured in the same run.

    .venv/bin/python benchmarks/run_all.py                          # everything (about 30 minutes on 2 cores)
    .venv/bin/python benchmarks/run_all.py --quick                  # every part at small sizes, one run each
    .venv/bin/python benchmarks/run_all.py --only scoring,join --sizes 1000000,5000000 --runs 3
    .venv/bin/python benchmarks/run_all.py --table benchmarks/results/bench-<time>.json   # an earlier table again

Parts (benchmarks/README.md says what each measures and how):
  lifecycle  each project's `./mlops lifecycle <project>` against a floor doing the same work without Spark
  scoring    batch scoring on the Spark path against the model's own predict, at each size
  join       the feature store's point-in-time join against the same join written by hand in Spark
  clone      a fresh clone: first-use install, `./mlops lifecycle`, `./mlops test`
Scoring and join also give each figure's growth from the smallest size to the largest (time and
peak memory). The table goes to stdout, everything measured to benchmarks/results/bench-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import fresh_clone_benchmark
import join_benchmark
import lifecycle_benchmark
import scoring_benchmark
import summary
from measure import ROOT, child_env, commit, last_json_line, machine, run_measured, write_results

PARTS = ("lifecycle", "scoring", "join", "clone")


def synthetic_parts(parts: list[str], sizes: list[int], runs: int, server: str) -> dict:
    """Scoring and join at each size, on tables set up once per size in a temporary lakehouse."""
    out: dict = {part: {} for part in parts}
    with tempfile.TemporaryDirectory(prefix="bench-synthetic-") as lakehouse:
        for rows in sizes:
            setup = run_measured([sys.executable, str(Path(__file__).with_name("synthetic.py")), "--rows", str(rows)],
                                 env=child_env(Path(lakehouse)))
            tables = last_json_line(setup["stdout"])
            print(f"  set up {rows:,} label rows and {tables['feature_rows']:,} feature rows in {setup['wall_s']} s",
                  flush=True)
            if "scoring" in parts:
                out["scoring"][str(rows)] = scoring_benchmark.run(Path(lakehouse), rows, server, runs)
            if "join" in parts:
                out["join"][str(rows)] = {**join_benchmark.run(Path(lakehouse), rows, server, runs),
                                          "expected_checksum": tables["expected_checksum"]}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts (default: all of {', '.join(PARTS)})")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (100k, 500k), one run of each side, no warm-up, no ./mlops test")
    parser.add_argument("--sizes", help="label rows of scoring and join, comma-separated (default 1000000,5000000)")
    parser.add_argument("--runs", type=int, help="runs of each side of each part (default 3 lifecycle, 2 others)")
    parser.add_argument("--projects", default=",".join(lifecycle_benchmark.PROJECTS), help="lifecycle's projects")
    parser.add_argument("--server", choices=("process", "in-process"), default="process",
                        help="where Sail runs in scoring and join: its own process (default: its memory is measured "
                             "apart from the client's) or in the client's, as the jobs run it")
    parser.add_argument("--table", metavar="RESULTS_JSON", help="print the table of an earlier run's results file again "
                        "(with this checkout's targets), and measure nothing")
    args = parser.parse_args()
    if args.table:
        rows = summary.table(json.loads(Path(args.table).read_text())["results"])
        print(summary.render(rows))
        return 0 if all(row["met"] != "NO" for row in rows) else 1
    parts = [p for p in args.only.split(",") if p]
    if any(p not in PARTS for p in parts):
        parser.error(f"--only takes {', '.join(PARTS)}")
    sizes = [int(s) for s in (args.sizes or ("100000,500000" if args.quick else "1000000,5000000")).split(",")]
    runs = (args.runs or 1) if args.quick else args.runs
    began, results = time.monotonic(), {}
    if "lifecycle" in parts:
        projects = [p for p in args.projects.split(",") if p]
        results["lifecycle"] = lifecycle_benchmark.benchmark(projects, runs or 3, 0 if args.quick else 1)
        print(lifecycle_benchmark.report(results["lifecycle"]), flush=True)
    if {"scoring", "join"} & set(parts):
        results.update(synthetic_parts([p for p in parts if p in ("scoring", "join")], sizes, runs or 2, args.server))
    if "clone" in parts:
        results["clone"] = fresh_clone_benchmark.benchmark(test=not args.quick)
    table = summary.table(results)
    minutes = (time.monotonic() - began) / 60
    print(f"\nMeasured in one run of {minutes:.0f} min on {machine()['cpus']} cores, commit {commit()}, "
          f"load average at the end {machine()['load_average'][0]:.1f}:\n")
    print(summary.render(table))
    path = write_results("bench", {"machine": machine(), "commit": commit(), "minutes": round(minutes, 1),
                                   "settings": {**vars(args), "sizes": sizes}, "table": table, "results": results})
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 0 if all(row["met"] != "NO" for row in table) else 1


if __name__ == "__main__":
    sys.exit(main())
