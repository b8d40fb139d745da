"""`./mlops serve`: a local serving endpoint answering over HTTP with MLflow's own scoring server
(the app behind `mlflow models serve`: POST /invocations, GET /ping), for the model version the
endpoint serves: the one the deployment job (or a rollback) last pointed it at."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from common import runtime
from common.local import serving
from common.local.serving import served

__all__ = ["running", "serve", "served"]


def _server(endpoint: str, host: str, port: int):
    import uvicorn

    runtime.configure_mlflow()
    app = serving.scoring_app(endpoint)
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))


def serve(endpoint: str, host: str = "127.0.0.1", port: int = 5000) -> None:
    """Serve until interrupted."""
    server = _server(endpoint, host, port)
    record = serving.served(endpoint)
    print(f"Endpoint {endpoint}: {record['model_name']} version {record['version']} (since {record['updated_at']}) "
          f"at http://{host}:{port}/invocations; Ctrl-C stops it", flush=True)
    server.run()


@contextmanager
def running(endpoint: str, host: str = "127.0.0.1") -> Iterator[str]:
    """The endpoint served from a thread of this process on a free port, while the block runs; yields
    its base URL."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    server = _server(endpoint, host, port)
    thread = threading.Thread(target=server.run, name=f"serve-{endpoint}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"The local server of endpoint {endpoint} did not start on {host}:{port}")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
