"""What every benchmark here measures with: wall time and peak memory of a command and the
processes it starts (read from /proc, Linux), the environment its children run in, and the results
folder. Standard library only, so that it runs before the project's environment exists."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PYCACHE = RESULTS / "pycache"
_KB = re.compile(r"^(VmRSS|VmHWM):\s+(\d+) kB", re.MULTILINE)


def memory_kb(pid: int) -> dict[str, int]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in kB; {} once it is gone."""
    try:
        return {name: int(kb) for name, kb in _KB.findall(Path(f"/proc/{pid}/status").read_text())}
    except OSError:
        return {}


def reset_peak(pid: int) -> None:
    """Start the process's peak (VmHWM) again from its current size: what comes next is measured alone."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux, or not allowed: the peak then counts from the process's start


def descendants(root: int) -> list[int]:
    """Every process started by `root`, directly or not (from /proc/<pid>/stat's parent ids)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])  # the name, in parentheses, may hold spaces
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class TreeMemory:
    """Samples the resident memory of a process and all its descendants every `interval` seconds:
    the peak of their sum (what the machine must hold at once) and the largest single process."""

    root: int
    interval: float = 0.2
    peak_sum_kb: int = 0
    peak_process_kb: int = 0
    processes_seen: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        seen: set[int] = set()
        while not self._stop.is_set():
            pids = [self.root, *descendants(self.root)]
            seen.update(pids)
            sizes = [memory_kb(p).get("VmRSS", 0) for p in pids]
            self.peak_sum_kb = max(self.peak_sum_kb, sum(sizes))
            self.peak_process_kb = max(self.peak_process_kb, *sizes)
            self.processes_seen = len(seen)
            self._stop.wait(self.interval)


def run_measured(cmd: list[str], *, cwd: Path = ROOT, env: dict | None = None, timeout: float | None = None) -> dict:
    """Run a command to its end: wall seconds, exit code, output, and the peak memory of its process
    tree (sampled; MB). Raises RuntimeError with the output's tail when it fails."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", errors="replace")
    with TreeMemory(proc.pid) as memory:
        out, err = proc.communicate(timeout=timeout)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        tail = "\n".join((out + err).strip().splitlines()[-30:])
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed (exit {proc.returncode}) in {cwd}:\n{tail}")
    return {"wall_s": round(wall, 2), "stdout": out, "stderr": err,
            "peak_tree_mb": round(memory.peak_sum_kb / 1024), "peak_process_mb": round(memory.peak_process_kb / 1024),
            "processes": memory.processes_seen}


def child_env(lakehouse: Path | None = None, bytecode: str = "cache") -> dict:
    """The environment of a benchmark's child process: its own lakehouse, MLflow from it, and, with
    `bytecode` "cache", compiled modules kept in benchmarks/results/pycache as an installed
    environment keeps them (PYTHONDONTWRITEBYTECODE would make every child compile MLflow, Spark and
    scikit-learn again)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}
    if lakehouse is not None:
        env["MLOPS_LAKEHOUSE"] = str(lakehouse)
    env.pop("MLFLOW_TRACKING_URI", None)
    if bytecode == "cache":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def last_json_line(text: str) -> dict:
    """A child's result: the last line of its output, as JSON."""
    return json.loads(text.strip().splitlines()[-1])


def machine() -> dict:
    return {"cpus": os.cpu_count(), "load_average": os.getloadavg(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def write_results(prefix: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{prefix}-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path
