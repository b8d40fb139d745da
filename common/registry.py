"""Model registry helpers: promotion by aliases only (Challenger, Champion), never by stages."""

from __future__ import annotations

import re

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from common import runtime
from common.env import is_databricks

CHALLENGER = "Challenger"
CHAMPION = "Champion"
# Unity Catalog names models catalog.schema.model; the local registry is held to the same rule.
_THREE_LEVEL = re.compile(r"^[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$")


def check_model_name(model_name: str) -> str:
    if not isinstance(model_name, str) or not _THREE_LEVEL.match(model_name):
        raise ValueError(f"Registered model name {model_name!r} is not a Unity Catalog name catalog.schema.model "
                         "(letters, digits, _); the bundle builds it from the target's catalog")
    return model_name


def register(model_uri: str, model_name: str, tags: dict | None = None) -> str:
    """Register a logged model as a new version of `model_name`, with its tags from the start (a
    connected deployment job may read them at once); returns the version."""
    runtime.configure_mlflow()
    tags = {key: str(value) for key, value in (tags or {}).items()}
    version = str(mlflow.register_model(model_uri, check_model_name(model_name), tags=tags).version)
    runtime.model_version_registered(model_name, version)
    return version


def client() -> MlflowClient:
    runtime.configure_mlflow()
    return MlflowClient()


def version_by_alias(model_name: str, alias: str):
    """The model version an alias points at, or None when the alias (or the model) is not there."""
    check_model_name(model_name)
    try:
        return client().get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return None


def get_version(model_name: str, version: str | int):
    check_model_name(model_name)
    if not str(version).strip():
        raise ValueError(f"No version of {model_name} given: set the job parameter model_version (a new version "
                         "passes its own to the deployment job it starts)")
    try:
        return client().get_model_version(model_name, str(version))
    except MlflowException:
        require_model(model_name)
        raise LookupError(f"Registered model {model_name} has no version {version}") from None


def require_model(model_name: str) -> None:
    """A LookupError naming the model when the registry does not have it."""
    try:
        client().get_registered_model(check_model_name(model_name))
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
            raise
        raise LookupError(f"Registered model {model_name} does not exist in the registry "
                          f"{mlflow.get_registry_uri()}; check the name (catalog.schema.model) or train it first") from None


def set_alias(model_name: str, alias: str, version: str | int) -> None:
    client().set_registered_model_alias(model_name, alias, str(version))


def aliases_of(model_name: str, version: str | int) -> list[str]:
    return sorted(get_version(model_name, version).aliases)


def tag_version(model_name: str, version: str | int, tags: dict) -> None:
    c = client()
    for key, value in tags.items():
        c.set_model_version_tag(model_name, str(version), key, str(value))


def model_tags(model_name: str) -> dict[str, str]:
    """The registered model's own tags ({} when it is not there)."""
    try:
        return dict(client().get_registered_model(check_model_name(model_name)).tags)
    except MlflowException:
        return {}


def set_model_tag(model_name: str, key: str, value: str) -> None:
    client().set_registered_model_tag(check_model_name(model_name), key, str(value))


def model_uri(model_name: str, version: str | int | None = None, alias: str | None = None) -> str:
    return f"models:/{model_name}@{alias}" if alias else f"models:/{model_name}/{version}"


def list_models(catalog: str, schema: str) -> list[str]:
    """The registered models in `catalog.schema`: from Unity Catalog on a workspace (whose MLflow
    search cannot filter by schema), from the local registry elsewhere."""
    if is_databricks():
        listed = runtime.workspace_client().registered_models.list(catalog_name=catalog, schema_name=schema)
        return sorted(model.full_name for model in listed)
    found = client().search_registered_models(filter_string=f"name LIKE '{catalog}.{schema}.%'")
    return sorted(model.name for model in found)


def delete_model(model_name: str) -> None:
    """Delete a registered model with all its versions and aliases."""
    client().delete_registered_model(check_model_name(model_name))


# How FeatureEngineeringClient.log_model packages a model: a pyfunc wrapper whose predict looks the
# features up by key (score_batch), with the trained model itself saved inside it.
FE_LOADER_MODULE = "databricks.feature_store.mlflow_model"
FE_RAW_MODEL_PATH = "data/feature_store/raw_model"


def evaluation_model_uri(model_uri: str) -> str:
    """The URI of the model that predicts from feature columns, for validation on a holdout that
    already has its features: the raw model inside a FeatureEngineeringClient package
    (whose wrapper would look the features up again, by keys the holdout does not carry), or the
    model itself when it was logged locally."""
    pyfunc = mlflow.models.get_model_info(model_uri).flavors.get("python_function", {})
    if pyfunc.get("loader_module") == FE_LOADER_MODULE:
        return f"{model_uri.rstrip('/')}/{FE_RAW_MODEL_PATH}"
    return model_uri
