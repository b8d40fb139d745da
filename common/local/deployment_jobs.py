"""What a workspace does for a registered model connected to a deployment job (MLflow 3), on a laptop.

On Databricks the registered model carries `deployment_job_id`, and every new version starts that
job with the parameters `model_name` and `model_version`. The local registry keeps no such field,
so the connection is a tag of the registered model, and a version registered while a local job's
task runs is noted here; the runner starts the connected job once that task's job is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

CONNECTION_TAG = "deployment_job_id"


@dataclass(frozen=True)
class Trigger:
    """A new version of a connected model: the run of `job_id` it starts."""

    job_id: str
    model_name: str
    version: str


_collected: list[Trigger] | None = None  # None while no local task runs: nothing would start a job


def connect(model_name: str, job_id: str) -> None:
    """Connect the registered model (created here if new: the bundle creates it on a workspace)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        client.get_registered_model(model_name)
    except MlflowException:
        client.create_registered_model(model_name)
    client.set_registered_model_tag(model_name, CONNECTION_TAG, job_id)


def connected_job(model_name: str) -> str | None:
    # MLflow is imported on use: the runner imports this module, and ./mlops validate needs no MLflow.
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        tags = MlflowClient().get_registered_model(model_name).tags
    except MlflowException:
        return None
    return tags.get(CONNECTION_TAG) or None


def version_registered(model_name: str, version: str) -> None:
    job_id = connected_job(model_name) if _collected is not None else None
    if job_id:
        _collected.append(Trigger(job_id, model_name, str(version)))


@contextmanager
def collecting() -> Iterator[list[Trigger]]:
    """The triggers of the versions registered inside the block (a task's run)."""
    global _collected
    outer, _collected = _collected, []
    try:
        yield _collected
    finally:
        _collected = outer
