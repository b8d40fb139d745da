"""Real-time serving of a model's Champion. The deployment task points the project's endpoint at a
new Champion before it moves the alias (so the alias never names a version the endpoint failed to
take), and a rollback points it back. The registered model keeps its endpoint's name (tag
`serving_endpoint`), which is how a rollback finds it."""

from __future__ import annotations

import re

from common import registry, runtime

ENDPOINT_TAG = "serving_endpoint"
_ENDPOINT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


def check_endpoint_name(endpoint: str) -> str:
    if not _ENDPOINT_NAME.match(endpoint or ""):
        raise ValueError(f"Serving endpoint name {endpoint!r} is not valid: up to 63 letters, digits, - and _, "
                         "starting with a letter or digit (the task parameter serving_endpoint)")
    return endpoint


def serve_version(model_name: str, version: str, endpoint: str) -> str:
    """Point `endpoint` at the version and remember it on the model; returns created, updated or unchanged."""
    done = runtime.point_serving_endpoint(check_endpoint_name(endpoint), model_name, str(version))
    registry.set_model_tag(model_name, ENDPOINT_TAG, endpoint)
    return done


def query_rows(spark, endpoint: str, input_table: str, rows: int | str = 5):
    """Send `rows` rows of `input_table` to the endpoint (the notebook passes its widget's text), only
    the columns that the model version it serves takes; returns the rows sent (pandas) and the predictions."""
    import mlflow

    from common import tables

    check_endpoint_name(endpoint)
    if not str(rows).strip().isdigit() or int(rows) < 1:
        raise ValueError(f"rows must be a whole number of at least 1, not {rows!r}")
    rows = int(rows)
    model_name, version = runtime.served_model(endpoint)
    signature = mlflow.models.get_model_info(registry.model_uri(model_name, version)).signature
    columns = signature.inputs.input_names() if signature else []
    df = tables.read_table(spark, input_table, columns=columns, non_empty=True)
    sent = (df.select(*columns) if columns else df).limit(rows).toPandas()
    return sent, runtime.query_serving_endpoint(endpoint, sent.to_dict(orient="records"))


def endpoint_of(model_name: str) -> str | None:
    """The endpoint that serves the model's Champion, if it has one."""
    return registry.model_tags(model_name).get(ENDPOINT_TAG) or None
