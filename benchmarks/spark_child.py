"""What a benchmark child process that measures Spark work shares: its session, with the Sail server
either in this process (as the jobs run it, common/local/spark.py) or in a process of its own (so
that the server's memory and the Python client's are measured apart), and the measurement of one
operation: its seconds and the peak resident memory of both sides while it ran."""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from measure import ROOT, child_env, last_json_line, memory_kb, reset_peak, run_measured

SERVERS = ("process", "in-process")
REPEATS = 3  # timed runs of an operation in one process: the first cold, the others warm


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def spark_session(server: str):
    """(spark, server pid or None). With `server` "process", a `sail spark server` of this
    environment is started and the local session connects to it in place of the in-process one."""
    if str(ROOT) not in sys.path:  # a child runs as a script: make common/ and projects/ importable
        sys.path.insert(0, str(ROOT))
    from common import runtime

    if server == "in-process":
        yield runtime.get_spark(), None
        return
    from common.local import spark as local_spark

    port = _free_port()
    sail = Path(sys.executable).with_name("sail")
    proc = subprocess.Popen([str(sail), "spark", "server", "--ip", "127.0.0.1", "--port", str(port)],
                            env={**os.environ, "RUST_LOG": "error"}, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sail spark server on port {port} did not start") from None
                time.sleep(0.1)
        local_spark.sail_url = lambda: f"sc://127.0.0.1:{port}"  # the session's address: this server's
        spark = runtime.get_spark()
        yield spark, proc.pid
        spark.stop()  # ends the session while the server is there: the client would retry at exit
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure(operation, server_pid: int | None, repeats: int = REPEATS, before=None) -> dict:
    """Run `operation()` `repeats` times in a row (`before()` ahead of each, untimed): the first run's
    seconds (cold: the engine's first query of this kind), the median of the others (warm, what the
    table compares), and the peak resident memory (MB) of this process and of the server process
    over all of them (the in-process server's is in the client's)."""
    pids = {"client": os.getpid(), **({"server": server_pid} if server_pid else {})}
    for pid in pids.values():
        reset_peak(pid)
    seconds, result = [], None
    for _ in range(repeats):
        if before:
            before()
        began = time.perf_counter()
        result = operation()
        seconds.append(round(time.perf_counter() - began, 3))
    peaks = {f"{side}_peak_mb": round(memory_kb(pid).get("VmHWM", 0) / 1024) for side, pid in pids.items()}
    warm = statistics.median(seconds[1:]) if repeats > 1 else seconds[0]
    return {"seconds": warm, "cold_seconds": seconds[0], "all_seconds": seconds, **peaks, "result": result}


def run_sides(script: str, part: str, sides: tuple[str, ...], lakehouse, rows: int, server: str, runs: int) -> dict:
    """Every side at one size, `runs` times each, alternating, each in a child process of `script`.
    Each run starts with the next side, so that no side always follows the same one (the one before
    leaves the page cache and the machine's memory in its own state)."""
    out = {side: [] for side in sides}
    for run in range(runs):
        for side in sides[run % len(sides):] + sides[:run % len(sides)]:
            done = run_measured([sys.executable, script, "--child", side, "--rows", str(rows), "--server", server],
                                env=child_env(lakehouse))
            out[side].append({**last_json_line(done["stdout"]), "process_wall_s": done["wall_s"]})
            print(f"  {part:<7} {rows:>9,} rows, {side:<10} {out[side][-1]['seconds']:8.2f} s", flush=True)
    return out


def child_main(doc: str, sides: tuple[str, ...], child) -> int:
    """A child process: measure one side at one size, and print the result as a JSON line."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", choices=sides, required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--server", choices=SERVERS, default="process")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    print(json.dumps(child(args.child, args.rows, args.server), default=str))
    return 0
