"""iris's deployment job, started by each new version as on a workspace: approval in prod, audited
promotion, the serving endpoint that follows the Champion, and the local model server answering over
HTTP before and after a rollback."""

import dataclasses
import io
import json
import urllib.request

import mlflow
import pytest

from common import registry, tables
from common.lifecycle.approval import approve
from common.lifecycle.serving import query_rows
from common.lifecycle.training import train
from common.runtime import current_user, feature_store_client, get_spark
from conftest import ROOT
from localrun.bundle import load_bundle
from localrun.runner import JobFailed, run_job
from localrun.serving import running, served
from projects.iris.model import SPEC
from projects.iris.settings import load_settings


def _bundle(target: str, catalog: str, **variables):
    return load_bundle(ROOT, target, variables={"catalog": catalog, "service_principal": "sp-iris", **variables})


def _names(bundle) -> dict[str, str]:
    catalog, schema = bundle.variables["catalog"], bundle.resources["schemas"]["iris"]["name"]
    model = bundle.resources["registered_models"]["iris_model"]["name"]
    return {"model": f"{catalog}.{schema}.{model}", "raw": f"{catalog}.{schema}.flowers",
            "features": f"{catalog}.{schema}.flower_features", "endpoint": f"{catalog}-{schema}"}


def _run(bundle, job: str, **kwargs):
    out = io.StringIO()
    try:
        return run_job(bundle, job, out=out, **kwargs), out.getvalue()
    except JobFailed as failed:
        failed.output = out.getvalue()
        raise


def _predict_over_http(url: str, rows) -> list:
    body = json.dumps({"dataframe_split": rows.to_dict(orient="split", index=False)}).encode()
    request = urllib.request.Request(f"{url}/invocations", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["predictions"]


def _gentler_version(names) -> str:
    """A second version from a more strongly regularised model: its answers differ on some flowers."""
    settings = load_settings()
    gentle = dataclasses.replace(settings, training=dataclasses.replace(
        settings.training, hyperparameters={**settings.training.hyperparameters, "C": 0.05}))
    return train(get_spark(), feature_store_client(), SPEC, gentle, raw_table=names["raw"],
                 feature_table=names["features"], model_name=names["model"], experiment_name="/tests/iris-gentle").version


def test_prod_promotes_only_approved_versions_the_endpoint_follows_and_serves_them_before_and_after_a_rollback(
        monkeypatch):
    bundle = _bundle("prod", "deploy_prod")
    names = _names(bundle)
    assert bundle.variables["approval_required"] is True  # prod asks a person
    _run(bundle, "iris_feature_engineering")
    with pytest.raises(JobFailed) as stopped:
        _run(bundle, "iris_model_training")  # version 1 starts the deployment job once training is done
    message = str(stopped.value)
    assert "Job 'iris_model_deployment' failed at task 'approval'" in message
    assert f"{names['model']} version 1 is not approved" in message and "approval=approved" in message
    assert "Not run: model_deployment" in message
    assert f"{names['model']} version 1 is new: it starts its deployment job iris_model_deployment" in stopped.value.output
    assert registry.version_by_alias(names["model"], "Champion") is None  # nothing promoted
    assert registry.get_version(names["model"], 1).tags["validation_status"] == "PASSED"  # evaluated first

    approve(names["model"], "1", actor="ada@example.com")
    version_1 = {"model_name": names["model"], "model_version": "1"}
    run, _ = _run(bundle, "iris_model_deployment", from_task="approval", job_parameters=version_1)
    assert run.tasks["model_validation"].status == "skipped"  # rerun from the approval
    assert registry.version_by_alias(names["model"], "Champion").version == 1
    assert run.tasks["model_deployment"].values["serving_endpoint"] == names["endpoint"]
    assert served(names["endpoint"])["version"] == "1"  # created with the first Champion

    # A second version waits for its approval too; the Champion and the endpoint stay meanwhile. (Its
    # evaluation against the Champion is not what this tests: disabled, it takes no time.)
    unvalidated = _bundle("prod", "deploy_prod", validation_mode="disabled")
    version_2 = {**version_1, "model_version": _gentler_version(names)}
    with pytest.raises(JobFailed, match=rf"{names['model']} version 2 is not approved"):
        _run(unvalidated, "iris_model_deployment", job_parameters=version_2)
    assert registry.version_by_alias(names["model"], "Champion").version == 1
    assert served(names["endpoint"])["version"] == "1"
    approve(names["model"], "2", actor="grace@example.com")
    _run(unvalidated, "iris_model_deployment", from_task="approval", job_parameters=version_2)
    champion = registry.version_by_alias(names["model"], "Champion")
    assert champion.version == 2 and served(names["endpoint"])["version"] == "2"
    assert champion.tags["champion_replaced"] == champion.tags["previous_champion"] == "1"
    assert champion.tags["champion_by"] == current_user()  # who ran the job; the approver is in the reason
    assert "approved by grace@example.com" in champion.tags["champion_reason"]
    assert registry.get_version(names["model"], 1).tags["replaced_by"] == "2"

    rows = tables.read_table(get_spark(), names["features"]).toPandas()
    rows = rows[[c for c in rows.columns if c not in SPEC.feature_keys]]
    own = {v: list(mlflow.pyfunc.load_model(registry.model_uri(names["model"], v)).predict(rows)) for v in (1, 2)}
    assert own[1] != own[2]  # so the answers tell the versions apart
    with running(names["endpoint"]) as url:
        assert _predict_over_http(url, rows) == own[2]
        # What the QueryEndpoint notebook does: a few rows of a table, the columns the served model takes.
        monkeypatch.setenv("MLOPS_SERVING_URL", url)
        sent, answers = query_rows(get_spark(), names["endpoint"], names["features"], 3)
        assert len(sent) == 3 and answers == list(mlflow.pyfunc.load_model(registry.model_uri(names["model"], 2))
                                                  .predict(sent))

    _run(bundle, "rollback_model", job_parameters={"model_name": names["model"], "reason": "v2 misclassifies"})
    assert registry.version_by_alias(names["model"], "Champion").version == 1
    assert served(names["endpoint"])["version"] == "1"  # pointed back before the alias moved
    with running(names["endpoint"]) as url:
        assert _predict_over_http(url, rows) == own[1]


def test_a_deployment_job_run_without_a_version_or_with_a_short_model_name_names_the_parameter():
    bundle = _bundle("dev", "deploy_noparam")
    with pytest.raises(JobFailed, match=r"No version of .*iris_model given: set the job parameter model_version"):
        _run(bundle, "iris_model_deployment")
    with pytest.raises(JobFailed, match=r"Registered model name 'iris_model' is not a Unity Catalog name"):
        _run(bundle, "iris_model_deployment", job_parameters={"model_name": "iris_model", "model_version": "1"})
    assert registry.list_models("deploy_noparam", bundle.resources["schemas"]["iris"]["name"]) == []  # nothing made
    deployment = bundle.jobs["iris_model_deployment"]["tasks"][-1]["notebook_task"]["base_parameters"]
    deployment["project"] = "irsi"
    with pytest.raises(JobFailed, match=r"model_deployment.*Unknown project 'irsi'; set the parameter 'project'"):
        _run(bundle, "iris_model_deployment", only_task="model_deployment",
             job_parameters={"model_name": _names(bundle)["model"], "model_version": "1"})
