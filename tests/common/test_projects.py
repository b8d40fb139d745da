"""common/projects.py: the projects, their lifecycle stages, and their jobs found by bundle tags."""

import pytest

from common.projects import STAGES, discover_projects, jobs_by_stage, lifecycle_jobs, project_module
from conftest import ROOT
from localrun.bundle import load_bundle


def _job(project, stage=None):
    tags = {"project": project} if project else {}
    if stage:
        tags["stage"] = stage
    return {"tags": tags, "tasks": []}


JOBS = {
    "b_infer": _job("b", "inference"),
    "a_train": _job("a", "training"),
    "a_features": _job("a", "features"),
    "b_features": _job("b", "features"),
    "untagged": {"tasks": []},
    "other_stage": _job("a", "reporting"),
    "no_stage": _job("c"),
}


def test_jobs_run_per_project_in_stage_order():
    assert lifecycle_jobs(JOBS) == {"a": ["a_features", "a_train"], "b": ["b_features", "b_infer"]}


def test_jobs_by_stage_keeps_every_tagged_job_and_sorts_the_keys():
    assert jobs_by_stage({**JOBS, "a_features_2": _job("a", "features")}) == {
        "a": {"training": ["a_train"], "features": ["a_features", "a_features_2"], "reporting": ["other_stage"]},
        "b": {"inference": ["b_infer"], "features": ["b_features"]},
        "c": {None: ["no_stage"]},
    }


def test_every_churn_job_takes_part_in_the_lifecycle():
    jobs = lifecycle_jobs(load_bundle(ROOT, "dev").jobs)
    assert jobs["churn"] == ["churn_feature_engineering", "churn_model_training", "churn_batch_inference",
                             "churn_monitoring"]
    assert STAGES == ("features", "training", "inference", "monitoring")


def test_projects_are_the_folders_under_projects(tmp_path):
    for folder in ("projects/alpha/resources", "projects/beta", "projects/__pycache__", "projects/.hidden"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "projects" / "__init__.py").write_text("")
    assert discover_projects(tmp_path) == ["alpha", "beta"]
    assert discover_projects(tmp_path / "nowhere") == []
    assert "churn" in discover_projects()


def test_the_shared_notebooks_find_a_project_by_its_name():
    assert project_module("churn", "model").SPEC.label == "churn"
    with pytest.raises(ValueError, match="Unknown project 'chrun'; set the parameter 'project' to one of: churn"):
        project_module("chrun", "model")
    with pytest.raises(LookupError, match="Project churn has no projects/churn/serving.py"):
        project_module("churn", "serving")
