"""Benchmark: the first `./mlops` of a fresh clone, that is, creating .venv and installing into it.

    python3 benchmarks/install_benchmark.py [--runs 3] [--rev HEAD] [--engine jvm] [--link-mode copy]
                                            [--first-run "run churn_feature_engineering"]

Each run clones the repository at --rev into a new folder beside it and times `./mlops --help`
there: wall time, split into the set-up script's steps (read from bash's trace, whose lines carry a
timestamp). --engine jvm sets MLOPS_SPARK_ENGINE=jvm, which adds the classic engine's requirements;
--link-mode copy makes uv copy files instead of hard-linking them from its cache (as when the
cache sits on another file system). --first-run "ARGS" then times `./mlops ARGS` in the same clone,
in a new lakehouse: the first job a new user runs, which compiles the modules it imports.
Results go to benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TRACE_LINE = re.compile(r"^\++ ([\d.]+) (.*)$")
# The set-up script's steps, by the command that starts them (the first pattern that matches).
STEPS = [
    ("venv", re.compile(r" -m venv ")),
    ("uv", re.compile(r" -m pip .* uv(==\S+)?$|ensurepip")),  # pip installing uv itself
    ("requirements", re.compile(r"\buv pip |-m pip install .*-r ")),
    ("command", re.compile(r"^exec ")),
]


def steps(trace: str, end: float) -> dict[str, float]:
    """Seconds per step: each traced command lasts until the next one starts (the last until `end`)."""
    lines = [(float(m.group(1)), m.group(2)) for m in map(TRACE_LINE.match, trace.splitlines()) if m]
    spent: dict[str, float] = {name: 0.0 for name, _ in STEPS}
    spent["other"] = 0.0
    for (start, command), (stop, _) in zip(lines, [*lines[1:], (end, "")]):
        name = next((name for name, pattern in STEPS if pattern.search(command)), "other")
        spent[name] += stop - start
    return {name: round(seconds, 2) for name, seconds in spent.items()}


def first_command(clone: Path, env: dict[str, str]) -> dict:
    """`./mlops --help` in a clone with no .venv, traced; then once more, set up."""
    trace_file = clone.parent / f"{clone.name}.trace"
    # The script is sourced by a traced bash; BASH_XTRACEFD keeps the trace apart from its output.
    script = f'exec {{fd}}>"{trace_file}"; BASH_XTRACEFD=$fd; PS4="+ \\$EPOCHREALTIME "; set -x; . ./mlops --help'
    start = time.time()
    done = subprocess.run(["bash", "-c", script, "mlops"], cwd=clone, env=env, capture_output=True,
                          text=True, check=False, stdin=subprocess.DEVNULL)
    end = time.time()
    if done.returncode != 0:
        raise SystemExit(f"./mlops --help failed in {clone}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    split = steps(trace_file.read_text(), end)
    trace_file.unlink()
    again = time.monotonic()
    subprocess.run(["./mlops", "--help"], cwd=clone, env=env, capture_output=True, check=True)
    again = time.monotonic() - again
    return {"wall_s": round(end - start, 2), "steps_s": split, "second_command_s": round(again, 2),
            "venv_mb": round(_size(clone / ".venv") / 1e6)}


def first_run(clone: Path, env: dict[str, str], command: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="install-benchmark-lakehouse-") as lakehouse:
        start = time.monotonic()
        done = subprocess.run(["./mlops", *command.split()], cwd=clone, env={**env, "MLOPS_LAKEHOUSE": lakehouse},
                              capture_output=True, text=True, check=False)
        wall = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"./mlops {command} failed in {clone}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return {"command": command, "wall_s": round(wall, 2)}


def _size(folder: Path) -> int:
    """Bytes in files under `folder`, each hard-linked file counted once."""
    seen, total = set(), 0
    for path in folder.rglob("*"):
        info = path.lstat()
        if path.is_file() and not path.is_symlink() and (info.st_dev, info.st_ino) not in seen:
            seen.add((info.st_dev, info.st_ino))
            total += info.st_size
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rev", default="HEAD", help="the commit to clone (default: HEAD)")
    parser.add_argument("--engine", choices=["sail", "jvm"], default="sail", help="MLOPS_SPARK_ENGINE")
    parser.add_argument("--link-mode", choices=["hardlink", "copy"], default=None,
                        help="UV_LINK_MODE (default: uv's own choice, hard links where it can)")
    parser.add_argument("--first-run", metavar="ARGS", help='then time `./mlops ARGS` in each clone, e.g. "lifecycle churn"')
    args = parser.parse_args()
    rev = subprocess.run(["git", "rev-parse", args.rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    env = {**os.environ, "MLOPS_SPARK_ENGINE": args.engine}
    env.pop("VIRTUAL_ENV", None)
    if args.link_mode:
        env["UV_LINK_MODE"] = args.link_mode
    runs = []
    for number in range(1, args.runs + 1):
        # Beside the repository (the same file system as a developer's clone), removed afterwards.
        clone = Path(tempfile.mkdtemp(prefix="install-benchmark-", dir=ROOT.parent))
        try:
            subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
            subprocess.run(["git", "checkout", "--quiet", rev], cwd=clone, check=True)
            run = {"run": number, "load": [round(x, 2) for x in os.getloadavg()], **first_command(clone, env)}
            if args.first_run:
                run["first_run"] = first_run(clone, env, args.first_run)
        finally:
            shutil.rmtree(clone, ignore_errors=True)
        runs.append(run)
        split = "  ".join(f"{name} {seconds:.1f}" for name, seconds in run["steps_s"].items())
        extra = f"  then `{args.first_run}` {run['first_run']['wall_s']:.1f} s" if args.first_run else ""
        print(f"run {number}: first command {run['wall_s']:5.1f} s ({split}), second {run['second_command_s']:.1f} s, "
              f".venv {run['venv_mb']} MB{extra}  [load {run['load'][0]}]", flush=True)
    median = statistics.median(r["wall_s"] for r in runs)
    print(f"median first command: {median:.1f} s over {len(runs)} runs of {rev[:10]} ({args.engine})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"install-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({"commit": rev, "engine": args.engine, "link_mode": args.link_mode,
                               "cpus": os.cpu_count(), "runs": runs, "median_s": median}, indent=2))
    print(f"-> {out}")


if __name__ == "__main__":
    main()
