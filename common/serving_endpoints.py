"""A Model Serving endpoint on a workspace, through the Databricks SDK: created for the first
Champion, its config updated for each later one. The endpoint is no bundle resource on purpose:
a `bundle deploy` would set it back to the version written in the bundle, and a fresh target,
which has no model version yet, could not deploy at all."""

from __future__ import annotations

from datetime import timedelta

# Small, scaled to zero when idle: a template's default; change it here for a busy endpoint.
WORKLOAD_SIZE = "Small"
READY_TIMEOUT = timedelta(minutes=40)  # a first endpoint builds its container: it can take a while


def served_entity_name(model_name: str, version: str) -> str:
    return f"{model_name.split('.')[-1]}-{version}"


def served_entities(model_name: str, version: str) -> list:
    from databricks.sdk.service.serving import ServedEntityInput

    return [ServedEntityInput(name=served_entity_name(model_name, version), entity_name=model_name,
                              entity_version=str(version), workload_size=WORKLOAD_SIZE, scale_to_zero_enabled=True)]


def traffic(model_name: str, version: str):
    from databricks.sdk.service.serving import Route, TrafficConfig

    return TrafficConfig(routes=[Route(served_entity_name=served_entity_name(model_name, version),
                                       traffic_percentage=100)])


def inference_tables(model_name: str, endpoint: str):
    """Every request and response logged, by the AI gateway, to a Delta table in the model's schema."""
    from databricks.sdk.service.serving import AiGatewayConfig, AiGatewayInferenceTableConfig

    catalog, schema, _ = model_name.split(".")
    return AiGatewayConfig(inference_table_config=AiGatewayInferenceTableConfig(
        catalog_name=catalog, schema_name=schema, table_name_prefix=endpoint.replace("-", "_"), enabled=True))


def serves(endpoint_details, model_name: str, version: str) -> bool:
    """Whether the endpoint's current config already sends all traffic to this version."""
    entities = (getattr(endpoint_details.config, "served_entities", None) or []) if endpoint_details else []
    return [(e.entity_name, str(e.entity_version)) for e in entities] == [(model_name, str(version))]


def point_endpoint(workspace, endpoint: str, model_name: str, version: str) -> str:
    """Create the endpoint for `version`, or update its config to it; wait until it serves it (the
    old config serves until then). Returns what was done."""
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.serving import EndpointCoreConfigInput

    try:
        current = workspace.serving_endpoints.get(endpoint)
    except NotFound:
        config = EndpointCoreConfigInput(name=endpoint, served_entities=served_entities(model_name, version),
                                         traffic_config=traffic(model_name, version))
        workspace.serving_endpoints.create(endpoint, config=config,
                                           ai_gateway=inference_tables(model_name, endpoint)
                                           ).result(timeout=READY_TIMEOUT)
        return "created"
    if serves(current, model_name, version):
        return "unchanged"
    workspace.serving_endpoints.update_config(endpoint, served_entities=served_entities(model_name, version),
                                              traffic_config=traffic(model_name, version)
                                              ).result(timeout=READY_TIMEOUT)
    return "updated"
