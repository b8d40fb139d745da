"""The dev reset job: one project's models, experiments and tables go, nothing else does."""

from datetime import datetime

import mlflow
import pytest

from common import registry, tables
from common.reset import reset_project
from conftest import ROOT
from localrun.bundle import load_bundle
from localrun.runner import JobFailed, run_job
from projects.churn.data import ingest_raw_data


def _train_iris(bundle, quiet):
    """The iris project, the smallest, landed, featurised and trained through its jobs."""
    run_job(bundle, "iris_feature_engineering", out=quiet)
    return run_job(bundle, "iris_model_training", only_task="train", out=quiet)


@pytest.fixture
def dev(spark, request):
    """A dev bundle with its own catalog and experiment folder, and the iris project trained in it."""
    suffix = request.node.name.replace("test_", "")[:20]
    # The deployment job that the new version starts need not evaluate it here: validation disabled.
    variables = {"catalog": f"reset_{suffix}", "experiment_root": f"/tests/reset/{suffix}", "validation_mode": "disabled"}
    bundle = load_bundle(ROOT, "dev", variables=variables)
    variables["schema"] = bundle.resources["schemas"]["iris"]["name"]  # dev_<you>_iris
    quiet = open("/dev/null", "w")
    _train_iris(bundle, quiet)
    yield bundle, variables, quiet
    quiet.close()


def _assets(spark, catalog, schema, experiment_root):
    experiments = mlflow.search_experiments(filter_string=f"name LIKE '{experiment_root}/%'")
    return (registry.list_models(catalog, schema), [e.name for e in experiments],
            tables.list_tables(spark, catalog, schema))


def test_reset_job_deletes_the_projects_models_experiments_and_tables(spark, dev):
    bundle, variables, quiet = dev
    catalog, schema, root = variables["catalog"], variables["schema"], variables["experiment_root"]
    other = f"{catalog}.other.kept"  # another schema of the same catalog stays
    tables.write_table(spark, spark.range(3), other)
    models, experiments, iris_tables = _assets(spark, catalog, schema, root)
    resolved = bundle.to_dict()["resources"]
    assert models == [f"{catalog}.{schema}.{resolved['registered_models']['iris_model']['name']}"]
    assert experiments == [resolved["experiments"]["iris_experiment"]["name"]]
    assert schema.startswith("dev_") and models[0].startswith(f"{catalog}.{schema}.dev_")  # per-user names
    assert "/[dev " in experiments[0]
    assert iris_tables == [f"{catalog}.{schema}.flower_features", f"{catalog}.{schema}.flowers"]

    run = run_job(bundle, "reset_project", job_parameters={"project": "iris"}, out=quiet)

    values = run.tasks["reset_project"].values
    assert (values["deleted_models"], values["deleted_experiments"], values["deleted_tables"]) == (
        models, experiments, iris_tables)
    assert _assets(spark, catalog, schema, root) == ([], [], [])
    assert tables.read_table(spark, other).count() == 3
    # Afresh: the same names can be used again, and the model starts again at version 1.
    again = _train_iris(bundle, quiet)
    assert str(again.tasks["train"].values["model_version"]) == "1"


def test_a_second_reset_deletes_nothing_more(spark, dev):
    _, variables, _ = dev
    kwargs = {"catalog": variables["catalog"], "experiment_root": variables["experiment_root"], "target": "dev",
              "schema": variables["schema"]}
    assert reset_project(spark, "iris", **kwargs).tables
    again = reset_project(spark, "iris", **kwargs)
    assert (again.models, again.experiments, again.tables) == ([], [], [])


@pytest.mark.parametrize(("project", "target", "message"), [
    ("churn", "prod", "resets the dev environment only; target 'prod' is not reset"),
    ("", "dev", "Unknown project ''; set the job parameter 'project' to one of: churn"),
    ("chrun", "dev", "Unknown project 'chrun'"),
])
def test_reset_refuses_other_targets_and_unknown_projects_and_deletes_nothing(spark, project, target, message):
    kept = "reset_refused.churn.telco_customers"
    tables.write_table(spark, spark.range(3), kept)
    with pytest.raises(ValueError, match=message):
        reset_project(spark, project, catalog="reset_refused", experiment_root="/tests/reset/refused", target=target)
    assert tables.list_tables(spark, "reset_refused", "churn") == [kept]


def test_an_empty_project_parameter_fails_the_job_with_the_reason():
    with open("/dev/null", "w") as quiet, pytest.raises(JobFailed, match="set the job parameter 'project'"):
        run_job(load_bundle(ROOT, "dev", variables={"catalog": "reset_none"}), "reset_project", out=quiet)


@pytest.mark.parametrize("target", ["test", "staging", "prod"])
def test_only_dev_has_the_reset_job(target):
    assert "reset_project" in load_bundle(ROOT, "dev").jobs
    assert "reset_project" not in load_bundle(ROOT, target).jobs


def test_reset_of_a_project_whose_schema_variable_is_renamed(spark):
    bundle = load_bundle(ROOT, "dev", variables={"catalog": "reset_renamed", "churn_schema": "telco"})
    schema = bundle.resources["schemas"]["churn"]["name"]
    assert schema.endswith("_telco")  # dev_<you>_telco
    ingest_raw_data(spark, f"reset_renamed.{schema}.telco_customers", "sample", datetime(2026, 1, 31))
    with open("/dev/null", "w") as quiet:
        run_job(bundle, "churn_feature_engineering", only_task="compute_features", out=quiet)
        assert tables.list_tables(spark, "reset_renamed", schema) == [
            f"reset_renamed.{schema}.customer_features", f"reset_renamed.{schema}.telco_customers"]
        run = run_job(bundle, "reset_project", job_parameters={"project": "churn", "schema": schema}, out=quiet)
    assert len(run.tasks["reset_project"].values["deleted_tables"]) == 2
    assert tables.list_tables(spark, "reset_renamed", schema) == []


def test_the_reset_job_finds_the_developers_own_schema(monkeypatch):
    monkeypatch.setenv("DATABRICKS_USER", "Jane.O-Brien+ml@example.com")
    task = load_bundle(ROOT, "dev").jobs["reset_project"]["tasks"][0]
    assert task["notebook_task"]["base_parameters"]["schema_prefix"] == "dev_jane_o_brien_ml_"
