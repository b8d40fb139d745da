"""A serving endpoint on a laptop: what it serves is recorded in the lakehouse
(`serving/<endpoint>.json`, as a workspace keeps an endpoint's config), and MLflow's own scoring
server (the app behind `mlflow models serve`) serves that model version over HTTP."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from common.env import lakehouse_dir


def _file(endpoint: str) -> Path:
    return lakehouse_dir() / "serving" / f"{endpoint}.json"


def point_endpoint(endpoint: str, model_name: str, version: str) -> str:
    path = _file(endpoint)
    before = json.loads(path.read_text()) if path.exists() else None
    if before and (before["model_name"], before["version"]) == (model_name, str(version)):
        return "unchanged"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"endpoint": endpoint, "model_name": model_name, "version": str(version),
                                   "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
    os.replace(partial, path)  # whole or not at all
    return "updated" if before else "created"


def endpoints() -> list[str]:
    return sorted(p.stem for p in (lakehouse_dir() / "serving").glob("*.json"))


def served(endpoint: str) -> dict:
    """The endpoint's record: model_name, version, updated_at."""
    path = _file(endpoint)
    if not path.exists():
        raise LookupError(f"No local serving endpoint {endpoint!r} (endpoints: {', '.join(endpoints()) or 'none'}); "
                          "the deployment job of a served project creates it with its first Champion")
    return json.loads(path.read_text())


def query(endpoint: str, records: list[dict]) -> list:
    """POST the records to the endpoint's local server, as a workspace's query API takes them."""
    import urllib.error
    import urllib.request

    served(endpoint)  # names an endpoint that is not there
    url = os.environ.get("MLOPS_SERVING_URL", "http://127.0.0.1:5000").rstrip("/") + "/invocations"
    body = json.dumps({"dataframe_records": records}, default=str).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["predictions"]
    except urllib.error.URLError as exc:
        raise ConnectionError(f"No local server of endpoint {endpoint} answers at {url} ({exc.reason}): start it with "
                              f"./mlops serve {endpoint}, or set MLOPS_SERVING_URL to where it runs") from None


def scoring_app(endpoint: str):
    """MLflow's scoring server app (/invocations, /ping) for the version the endpoint serves."""
    import mlflow
    from mlflow.pyfunc import scoring_server

    record = served(endpoint)
    model = mlflow.pyfunc.load_model(f"models:/{record['model_name']}/{record['version']}")
    return scoring_server.init(model)
