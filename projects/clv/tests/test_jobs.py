"""The clv jobs as the bundle declares them: one list of the four models drives every fan-out."""

import json

from common.projects import lifecycle_jobs
from conftest import ROOT
from localrun.bundle import load_bundle
from projects.clv.model import VARIANTS

FAN_OUTS = {"clv_model_training": "clv_train_model", "clv_batch_inference": None, "clv_monitoring": "clv_monitor_model"}


def test_each_fan_out_runs_every_model_with_its_own_registered_model():
    for target in ("dev", "prod"):
        bundle = load_bundle(ROOT, target, variables={"service_principal": "sp"})
        catalog, schema = bundle.variables["catalog"], bundle.resources["schemas"]["clv"]["name"]
        models = bundle.resources["registered_models"]
        for job_key, inner_job in FAN_OUTS.items():
            (task,) = bundle.jobs[job_key]["tasks"]
            items = json.loads(task["for_each_task"]["inputs"])
            assert [item["variant"] for item in items] == list(VARIANTS)
            for item in items:
                assert item["model_name"] == f"{catalog}.{schema}.{models['clv_' + item['variant']]['name']}"
            inner = task["for_each_task"]["task"]
            if inner_job:
                assert inner["run_job_task"]["job_id"] == inner_job
                assert inner["run_job_task"]["job_parameters"] == {"variant": "{{input.variant}}",
                                                                   "model_name": "{{input.model_name}}"}
            else:
                params = inner["notebook_task"]["base_parameters"]
                assert params["output_table"].endswith(".predictions_{{input.variant}}")


def test_training_samples_the_customers_outside_prod_and_takes_all_of_them_in_prod():
    def fractions(target):
        jobs = load_bundle(ROOT, target, variables={"service_principal": "sp"}).jobs
        tasks = jobs["clv_train_model"]["tasks"] + jobs["clv_model_deployment"]["tasks"]
        return [(t["notebook_task"].get("base_parameters") or {}).get("sample_fraction") for t in tasks]

    # train; then validate (the same sample), approve and deploy, which need none
    assert fractions("dev") == fractions("staging") == [0.25, 0.25, None, None]
    assert fractions("prod") == [1, 1, None, None]


def test_the_per_model_jobs_are_parts_of_the_fan_outs_not_lifecycle_steps():
    bundle = load_bundle(ROOT, "dev")
    assert lifecycle_jobs(bundle.jobs)["clv"] == [
        "clv_feature_engineering", "clv_model_training", "clv_batch_inference", "clv_monitoring"]
