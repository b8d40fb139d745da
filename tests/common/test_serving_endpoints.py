"""What the deployment task asks of Model Serving on a workspace (common/serving_endpoints.py), with
the SDK's own request classes. Only the REST calls are stood in for: a recorder of what was sent."""

from types import SimpleNamespace

import pytest
from databricks.sdk.errors import NotFound
from databricks.sdk.service.serving import ServedEntityOutput

from common import serving_endpoints

MODEL = "prod.iris.iris_model"


class Endpoints:
    """The workspace's serving_endpoints API: one endpoint, or none yet; each call recorded."""

    def __init__(self, serving: tuple[str, str] | None) -> None:
        self.serving, self.calls = serving, []

    def get(self, name):
        if self.serving is None:
            raise NotFound(f"Endpoint {name} does not exist")
        entity = ServedEntityOutput(entity_name=self.serving[0], entity_version=self.serving[1])
        return SimpleNamespace(config=SimpleNamespace(served_entities=[entity]))

    def _call(self, kind, name, **kwargs):
        self.calls.append((kind, name, kwargs))
        return SimpleNamespace(result=lambda timeout: self.calls.append(("wait", name, {"timeout": timeout})))

    def create(self, name, **kwargs):
        return self._call("create", name, **kwargs)

    def update_config(self, name, **kwargs):
        return self._call("update_config", name, **kwargs)


def _workspace(serving):
    return SimpleNamespace(serving_endpoints=Endpoints(serving))


def test_the_first_champion_creates_the_endpoint_with_inference_tables_and_waits_for_it():
    workspace = _workspace(None)
    assert serving_endpoints.point_endpoint(workspace, "prod-iris", MODEL, "3") == "created"
    (kind, name, sent), wait = workspace.serving_endpoints.calls
    assert (kind, name, wait[0]) == ("create", "prod-iris", "wait")
    entity = sent["config"].served_entities[0]
    assert (entity.entity_name, entity.entity_version, entity.name) == (MODEL, "3", "iris_model-3")
    assert entity.scale_to_zero_enabled and entity.workload_size == "Small"
    route = sent["config"].traffic_config.routes[0]
    assert (route.served_entity_name, route.traffic_percentage) == ("iris_model-3", 100)
    tables = sent["ai_gateway"].inference_table_config
    assert (tables.catalog_name, tables.schema_name, tables.table_name_prefix, tables.enabled) == (
        "prod", "iris", "prod_iris", True)


@pytest.mark.parametrize(("serving", "done", "calls"), [
    ((MODEL, "2"), "updated", ["update_config", "wait"]),
    ((MODEL, "3"), "unchanged", []),  # a rerun asks for no new config
])
def test_a_later_champion_updates_the_config_and_the_same_one_changes_nothing(serving, done, calls):
    workspace = _workspace(serving)
    assert serving_endpoints.point_endpoint(workspace, "prod-iris", MODEL, "3") == done
    assert [c[0] for c in workspace.serving_endpoints.calls] == calls
    if calls:
        sent = workspace.serving_endpoints.calls[0][2]
        assert [e.entity_version for e in sent["served_entities"]] == ["3"]
        assert "ai_gateway" not in sent  # the gateway set at creation stays as it is
