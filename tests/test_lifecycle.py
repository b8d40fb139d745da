from common.bundle import load_bundle
from common.lifecycle import STAGES, lifecycle_jobs
from conftest import ROOT


def _job(project, stage):
    return {"name": f"{project}-{stage}", "tags": {"project": project, "stage": stage}, "tasks": []}


def test_jobs_run_per_project_in_stage_order(tmp_path):
    (tmp_path / "databricks.yml").write_text(
        "bundle: {name: b}\ntargets: {dev: {default: true}}\nresources:\n  jobs:\n"
        "    b_infer: {tags: {project: b, stage: inference}, tasks: []}\n"
        "    a_train: {tags: {project: a, stage: training}, tasks: []}\n"
        "    a_features: {tags: {project: a, stage: features}, tasks: []}\n"
        "    b_features: {tags: {project: b, stage: features}, tasks: []}\n"
        "    untagged: {tasks: []}\n"
        "    other_stage: {tags: {project: a, stage: reporting}, tasks: []}\n"
    )
    assert lifecycle_jobs(load_bundle(tmp_path)) == {"a": ["a_features", "a_train"], "b": ["b_features", "b_infer"]}


def test_every_churn_job_takes_part_in_the_lifecycle():
    jobs = lifecycle_jobs(load_bundle(ROOT, "dev"))
    assert jobs["churn"] == ["churn_feature_engineering", "churn_model_training", "churn_batch_inference",
                             "churn_monitoring"]
    assert STAGES.index("features") < STAGES.index("training") < STAGES.index("inference")
