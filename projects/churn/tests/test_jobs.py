"""The churn jobs, run from the bundle through the local runner: bad input fails the right task
with one clear message and leaves no table or alias half-changed."""

from datetime import datetime

import pytest

from common import registry, tables
from conftest import ROOT
from localrun.bundle import load_bundle
from localrun.runner import JobFailed, run_job
from projects.churn.data import ingest_raw_data

VARIANTS = ROOT / "projects" / "churn" / "config" / "variants"


def _bundle(catalog: str, **variables):
    return load_bundle(ROOT, "dev", variables={"catalog": catalog, **variables})


def _schema(catalog: str) -> str:
    """The churn schema in the dev target: development mode prefixes it per user (dev_<you>_churn)."""
    return _bundle(catalog).resources["schemas"]["churn"]["name"]


def _ns(catalog: str) -> str:
    return f"{catalog}.{_schema(catalog)}"


def _model(catalog: str) -> str:
    """The churn model's full name in the dev target (development mode prefixes it per user)."""
    return f"{_ns(catalog)}.{_bundle(catalog).resources['registered_models']['churn_model']['name']}"


def _run(catalog, job, variables=None, **kwargs):
    return run_job(_bundle(catalog, **(variables or {})), job, out=open("/dev/null", "w"), **kwargs)


@pytest.fixture
def catalog(request):
    return "jobs_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[-30:].lower()


def _land_sample(spark, catalog, transform=None):
    raw = f"{_ns(catalog)}.telco_customers"
    ingest_raw_data(spark, raw, "sample", datetime(2026, 1, 31))
    if transform:
        tables.write_table(spark, transform(tables.read_table(spark, raw)), raw)
    return raw


def test_features_job_on_a_missing_raw_table_names_task_and_table(spark, catalog):
    with pytest.raises(JobFailed) as err:
        _run(catalog, "churn_feature_engineering", only_task="compute_features")
    message = str(err.value)
    assert "compute_features" in message
    assert f"Table {_ns(catalog)}.telco_customers does not exist" in message
    assert not tables.table_exists(spark, f"{_ns(catalog)}.customer_features")


def test_features_job_on_an_empty_raw_table(spark, catalog):
    _land_sample(spark, catalog, lambda df: df.limit(0))
    with pytest.raises(JobFailed, match=rf"Table {_ns(catalog)}.telco_customers has no rows"):
        _run(catalog, "churn_feature_engineering", only_task="compute_features")
    assert not tables.table_exists(spark, f"{_ns(catalog)}.customer_features")


def test_a_shared_notebook_given_an_unknown_project_names_it_and_registers_nothing(spark, catalog):
    _land_sample(spark, catalog)
    _run(catalog, "churn_feature_engineering", only_task="compute_features")
    bundle = _bundle(catalog)
    bundle.jobs["churn_model_training"]["tasks"][0]["notebook_task"]["base_parameters"]["project"] = "chrun"
    with pytest.raises(JobFailed, match="Unknown project 'chrun'; set the parameter 'project' to one of: churn"):
        run_job(bundle, "churn_model_training", only_task="train", out=open("/dev/null", "w"))
    assert registry.list_models(catalog, _schema(catalog)) == []  # nothing registered


def test_training_job_without_a_label_column_fails_in_train_and_registers_nothing(spark, catalog):
    _land_sample(spark, catalog, lambda df: df.drop("churn"))
    _run(catalog, "churn_feature_engineering", only_task="compute_features")
    with pytest.raises(JobFailed) as err:
        _run(catalog, "churn_model_training")
    assert "train" in str(err.value) and "has no column 'churn'" in str(err.value)
    assert registry.list_models(catalog, _schema(catalog)) == []  # nothing registered


@pytest.fixture
def typo_variant():
    path = VARIANTS / "test_typo.yml"
    path.write_text("training:\n  hyperparameter:\n    n_estimators: 10\n")
    yield path
    path.unlink()


def test_training_job_with_a_misspelt_config_key_names_file_and_key(spark, catalog, typo_variant):
    with pytest.raises(JobFailed) as err:
        _run(catalog, "churn_model_training", job_parameters={"variant": "test_typo"})
    message = str(err.value)
    assert str(typo_variant) in message
    assert "unknown key 'training.hyperparameter'; did you mean 'training.hyperparameters'?" in message
    assert registry.list_models(catalog, _schema(catalog)) == []  # nothing registered


def test_inference_job_without_a_champion_names_the_model(spark, catalog):
    _land_sample(spark, catalog)
    with pytest.raises(JobFailed, match=rf"Registered model {_model(catalog)} does not exist in the registry"):
        _run(catalog, "churn_batch_inference")
    assert not tables.table_exists(spark, f"{_ns(catalog)}.churn_predictions")


@pytest.fixture
def sample_variants():
    """Limits for the small generated sample: one calm variant, and one that watches drift alone
    (both train 30 trees, enough for the sample)."""
    lenient = ("training: {hyperparameters: {n_estimators: 30}}\n"
               "validation:\n  thresholds:\n    roc_auc: {threshold: 0.5}\n    f1_score: {threshold: 0.1}\n")
    files = {
        "test_calm": lenient + "monitoring: {minimum: {accuracy: 0.5, f1_score: 0.1}, maximum: {churn_rate_gap: 0.5}}\n",
        "test_drift": lenient + "monitoring:\n  minimum: {accuracy: 0.0, f1_score: 0.0}\n"
                                "  maximum: {churn_rate_gap: 1.0, drift_share: 0.1}\n",
    }
    for name, text in files.items():
        (VARIANTS / f"{name}.yml").write_text(text)
    yield
    for name in files:
        (VARIANTS / f"{name}.yml").unlink()


def test_monitoring_retrains_on_planted_drift_or_a_quality_drop_and_not_on_unchanged_data(spark, catalog,
                                                                                          sample_variants):
    raw = _land_sample(spark, catalog)
    original = tables.read_table(spark, raw).toPandas()
    _run(catalog, "churn_feature_engineering", only_task="compute_features")
    # Validation is not what this tests: disabled, the deployment job that each new version starts
    # promotes it.
    unvalidated = {"validation_mode": "disabled"}
    _run(catalog, "churn_model_training", unvalidated, job_parameters={"variant": "test_calm"})
    _run(catalog, "churn_batch_inference")

    def monitoring(variant):
        run = _run(catalog, "churn_monitoring", unvalidated, job_parameters={"variant": variant})
        return run.tasks["check_metrics"].values, run.tasks["needs_retraining"].outcome, run.tasks["retrain"].status

    # Unchanged data: the report finds no drift, and nothing retrains.
    calm, outcome, retrain = monitoring("test_drift")
    assert (calm["drift_share"], calm["drifted_columns"], outcome, retrain) == (0.0, "none", "false", "excluded")
    assert calm["report_file"].startswith("file://") and calm["report"].startswith("runs:/")

    # Drift planted in the scored rows: the customers' charges treble.
    tables.write_table(spark, spark.createDataFrame(original.assign(
        monthly_charges=original.monthly_charges * 3, total_charges=original.total_charges * 3)), raw)
    _run(catalog, "churn_feature_engineering", only_task="compute_features")
    _run(catalog, "churn_batch_inference")
    drifted, outcome, retrain = monitoring("test_drift")
    assert set(drifted["drifted_columns"].split(", ")) == {"monthly_charges", "total_charges", "average_monthly_charge"}
    assert drifted["drift_share"] == round(3 / 17, 4) and (outcome, retrain) == ("true", "ok")
    assert registry.get_version(_model(catalog), 2)  # the retraining job ran, and its version is Champion

    # The same rows scored by the retrained version, whose training rows had trebled charges too; then
    # a quality drop: every outcome turns out the opposite of what the model learnt to expect.
    _run(catalog, "churn_batch_inference")
    flipped = tables.read_table(spark, raw).toPandas()
    flipped["churn"] = flipped.churn.map({"Yes": "No", "No": "Yes"})
    tables.write_table(spark, spark.createDataFrame(flipped), raw)
    dropped, outcome, retrain = monitoring("test_calm")
    assert dropped["metrics"]["accuracy"] < 0.5 < calm["metrics"]["accuracy"] and dropped["drift_share"] == 0.0
    assert (outcome, retrain) == ("true", "ok")
    assert registry.get_version(_model(catalog), 3)

    history = tables.read_table(spark, f"{_ns(catalog)}.monitoring_metrics").orderBy("checked_at").collect()
    assert [r.retrain for r in history] == [False, True, True]
    assert history[1].drifted_columns["monthly_charges"].startswith("K-S p_value")
    assert history[0].drifted_columns == {} and history[1].report == drifted["report"]


def test_monitoring_with_a_report_but_no_experiment_names_the_parameter(spark, catalog):
    bundle = _bundle(catalog)
    task = bundle.jobs["churn_monitoring"]["tasks"][0]["notebook_task"]["base_parameters"]
    task["experiment_name"] = ""
    with pytest.raises(JobFailed, match=r"needs the MLflow experiment to log it to: set the parameter 'experiment_name'"):
        run_job(bundle, "churn_monitoring", only_task="check_metrics", out=open("/dev/null", "w"))
    assert not tables.table_exists(spark, f"{_ns(catalog)}.monitoring_metrics")


def test_monitoring_with_a_missing_feature_table_names_it_and_records_nothing(spark, catalog):
    raw = _land_sample(spark, catalog)
    # Predictions of a few customers, as batch inference writes them: the report is what fails.
    predictions = f"{_ns(catalog)}.churn_predictions"
    scored = tables.read_table(spark, raw).limit(20).selectExpr(
        "customer_id", "observed_at", "1.0 AS prediction", "CAST(NULL AS double) AS label", "'m' AS model_name",
        "'1' AS model_version", "current_timestamp() AS scored_at")
    tables.write_table(spark, scored, predictions)
    bundle = _bundle(catalog)
    task = bundle.jobs["churn_monitoring"]["tasks"][0]["notebook_task"]["base_parameters"]
    task["feature_table"] = f"{_ns(catalog)}.customer_featurs"
    with pytest.raises(JobFailed, match=rf"check_metrics.*Feature table {_ns(catalog)}.customer_featurs does not exist"):
        run_job(bundle, "churn_monitoring", only_task="check_metrics", out=open("/dev/null", "w"))
    assert not tables.table_exists(spark, f"{_ns(catalog)}.monitoring_metrics")
