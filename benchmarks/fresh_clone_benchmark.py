"""A fresh clone, as a new user (and CI) meets it: the first-use install, README's main command and
README's test command.

    python3 benchmarks/fresh_clone_benchmark.py [--skip-test] [--again] [--keep]
    .venv/bin/python benchmarks/run_all.py --only clone         # the same, in the one table

Clones the repository's committed HEAD (uncommitted changes are not in it) into a temporary folder
beside it (so that ../shared sits beside the clone, as in CI) and runs there, in order:

1. `./mlops --help`: the first command creates .venv and installs requirements-local.txt into it
   (uv's cache as this machine has it); a second `./mlops --help` is the command alone, and the
   difference is the install.
2. `./mlops lifecycle`: every project's jobs on a fresh lakehouse, the first run of the clone (so
   Python compiles what it imports, once); wall time and the peak memory of its process tree.
3. `./mlops test`: the whole suite with coverage; wall time and pytest's own time.
   --again runs it a second time (.venv and its bytecode kept).

Standard library only. The clone is deleted afterwards (--keep keeps it).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from measure import ROOT, commit, machine, run_measured, write_results

PYTEST_LINE = re.compile(r"(\d+) passed.* in ([\d.]+)s")


def _env() -> dict:
    """This environment without what points at this repository's environment, lakehouse or MLflow."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "VIRTUAL_ENV", "PYTHONPYCACHEPREFIX"))}
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def install(clone: Path) -> dict:
    first = run_measured(["./mlops", "--help"], cwd=clone, env=_env())
    again = run_measured(["./mlops", "--help"], cwd=clone, env=_env())
    return {"first_command_s": first["wall_s"], "command_alone_s": again["wall_s"],
            "install_s": round(first["wall_s"] - again["wall_s"], 1)}


def lifecycle(clone: Path) -> dict:
    done = run_measured(["./mlops", "lifecycle"], cwd=clone, env=_env())
    return {"wall_s": done["wall_s"], "peak_tree_mb": done["peak_tree_mb"], "peak_process_mb": done["peak_process_mb"],
            "processes": done["processes"]}


def suite(clone: Path) -> dict:
    done = run_measured(["./mlops", "test"], cwd=clone, env=_env())
    found = PYTEST_LINE.findall(done["stdout"])
    if not found:
        raise RuntimeError(f"./mlops test printed no summary:\n{done['stdout'][-3000:]}")
    return {"wall_s": done["wall_s"], "pytest_s": float(found[-1][1]), "passed": int(found[-1][0]),
            "peak_tree_mb": done["peak_tree_mb"]}


def benchmark(test: bool = True, again: bool = False, keep: bool = False) -> dict:
    clone = Path(tempfile.mkdtemp(prefix="fresh-clone-benchmark-", dir=ROOT.parent))
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    result: dict = {"commit": commit().split()[0]}
    try:
        result["install"] = install(clone)
        print(f"  clone: first-use install {result['install']['install_s']} s "
              f"(first command {result['install']['first_command_s']} s)", flush=True)
        result["lifecycle"] = lifecycle(clone)
        print(f"  clone: ./mlops lifecycle {result['lifecycle']['wall_s']} s, "
              f"peak {result['lifecycle']['peak_tree_mb']} MB", flush=True)
        if test:
            result["test"] = suite(clone)
            print(f"  clone: ./mlops test {result['test']['wall_s']} s ({result['test']['passed']} passed)", flush=True)
        if again:
            result["test_again"] = suite(clone)
    finally:
        if not keep:
            shutil.rmtree(clone, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-test", action="store_true", help="no ./mlops test (it takes minutes)")
    parser.add_argument("--again", action="store_true", help="./mlops test a second time in the same clone")
    parser.add_argument("--keep", action="store_true", help="keep the clone")
    args = parser.parse_args()
    result = benchmark(not args.skip_test, args.again, args.keep)
    print(f"-> {write_results('fresh-clone', {'machine': machine(), **result})}")


if __name__ == "__main__":
    main()
