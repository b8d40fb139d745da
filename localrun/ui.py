"""`./mlops ui`: the MLflow UI over the local store: experiments, runs and their artifacts (the
drift and quality reports among them), and the registry (models, versions, aliases, tags). It is
MLflow's own tracking server app, served by uvicorn over the lakehouse's sqlite store; a run's
artifacts are read where the run logged them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import runtime
from common.env import lakehouse_dir


def server_command(store: str, lakehouse: Path, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The command and environment of the server. `mlflow server` would run the same: it sets these
    variables and starts uvicorn on MLflow's app in a second process. Started directly, MLflow is
    imported once, not twice: the UI answers in about 8 s instead of 20 on 2 cores. The store needs
    no migration first: every job creates it up to date (common/local/mlflow_store.py)."""
    from mlflow.server.constants import ARTIFACT_ROOT_ENV_VAR, BACKEND_STORE_URI_ENV_VAR, REGISTRY_STORE_URI_ENV_VAR

    env = {**os.environ, BACKEND_STORE_URI_ENV_VAR: store, REGISTRY_STORE_URI_ENV_VAR: store,
           # Experiments keep their own artifact folders; this is only where a new one without would write.
           ARTIFACT_ROOT_ENV_VAR: (lakehouse / "mlartifacts").as_uri(),
           "_MLFLOW_SGI_NAME": "uvicorn", "_MLFLOW_SERVER_BOOT_ID": uuid.uuid4().hex}
    command = [sys.executable, "-m", "uvicorn", "--host", host, "--port", str(port), "--workers", "1",
               "--log-level", "warning", "mlflow.server.fastapi_app:app"]
    return command, env


def ui(host: str = "127.0.0.1", port: int = 5000) -> int:
    """Serve the UI until interrupted; returns the server's exit code."""
    runtime.configure_mlflow()  # creates the store on first use, as every job does
    command, env = server_command(runtime.mlflow_tracking_uri(), lakehouse_dir(), host, port)
    print(f"MLflow UI of {runtime.mlflow_tracking_uri()} at http://{host}:{port} ; Ctrl-C stops it", flush=True)
    try:
        return subprocess.run(command, check=False, env=env).returncode
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
    command, env = server_command(f"sqlite:///{lakehouse / 'mlflow.db'}", lakehouse, host, port)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
