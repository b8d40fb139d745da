"""Benchmark: README's test command on a fresh clone, as a new user (and CI) runs it.

    python3 benchmarks/suite_benchmark.py [--again] [--keep]

Clones the repository's committed HEAD into a temporary folder beside it and runs `./mlops test`
there: the install into a new .venv, then the whole suite with coverage. --again runs it a second
time in the same clone (.venv and its bytecode cache kept). Results go to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PYTEST_LINE = re.compile(r"(\d+) passed.* in ([\d.]+)s")


def run_suite(clone: Path) -> dict:
    """One `./mlops test` in `clone`: wall time, pytest's own time, and so the install's share."""
    start = time.monotonic()
    done = subprocess.run(["./mlops", "test"], cwd=clone, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    found = PYTEST_LINE.findall(done.stdout)
    if done.returncode != 0 or not found:
        raise SystemExit(f"./mlops test failed in {clone} (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    passed, pytest_s = int(found[-1][0]), float(found[-1][1])
    return {"wall_s": round(wall, 1), "pytest_s": pytest_s, "before_pytest_s": round(wall - pytest_s, 1),
            "passed": passed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--again", action="store_true", help="a second run in the same clone")
    parser.add_argument("--keep", action="store_true", help="keep the clone")
    args = parser.parse_args()
    # Beside the repository, so that ../shared sits beside the clone as it does in CI.
    clone = Path(tempfile.mkdtemp(prefix="suite-benchmark-", dir=ROOT.parent))
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    runs = []
    try:
        for label in ["fresh clone", "again"] if args.again else ["fresh clone"]:
            runs.append({"run": label, **run_suite(clone)})
            print(f"{label:12} {runs[-1]['wall_s']:7.1f} s  (pytest {runs[-1]['pytest_s']:.1f} s, "
                  f"before it {runs[-1]['before_pytest_s']:.1f} s, {runs[-1]['passed']} passed)")
    finally:
        if not args.keep:
            shutil.rmtree(clone, ignore_errors=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"suite-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({"commit": commit, "cpus": os.cpu_count(), "load": os.getloadavg(), "runs": runs}, indent=2))
    print(f"-> {out}")


if __name__ == "__main__":
    main()
