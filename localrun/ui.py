"""`./mlops ui`: the MLflow UI over the local store: experiments, runs and their artifacts, and the
registry (models, versions, aliases, tags). It is MLflow's own tracking server, `mlflow server`,
pointed at the lakehouse's sqlite store; a run's artifacts are read where the run logged them."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import runtime
from common.env import lakehouse_dir


def server_command(store: str, lakehouse: Path, host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", store, "--registry-store-uri", store,
            # Experiments keep their own artifact folders; this is only where a new one without would write.
            "--default-artifact-root", (lakehouse / "mlartifacts").as_uri(),
            "--host", host, "--port", str(port), "--workers", "1"]


def ui(host: str = "127.0.0.1", port: int = 5000) -> int:
    """Serve the UI until interrupted; returns the server's exit code."""
    runtime.configure_mlflow()  # creates the store on first use, as every job does
    command = server_command(runtime.mlflow_tracking_uri(), lakehouse_dir(), host, port)
    print(f"MLflow UI of {runtime.mlflow_tracking_uri()} at http://{host}:{port} ; Ctrl-C stops it", flush=True)
    try:
        return subprocess.run(command, check=False).returncode
    except KeyboardInterrupt:
        return 0


@contextmanager
def running(lakehouse: Path, host: str = "127.0.0.1", timeout: float = 120) -> Iterator[str]:
    """The UI of a lakehouse's store (one a lifecycle run left), served by a process of its own on a
    free port while the block runs; yields its address once it answers /health."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    url = f"http://{host}:{port}"
    command = server_command(f"sqlite:///{lakehouse / 'mlflow.db'}", lakehouse, host, port)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"The MLflow UI's server exited ({process.returncode}): {process.stdout.read()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"The MLflow UI's server did not answer at {url} within {timeout:.0f} s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
