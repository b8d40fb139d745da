"""common/projects.py: the projects, their lifecycle stages, and their jobs found by bundle tags."""

import pytest

from common.projects import (
    STAGES,
    discover_projects,
    fanned_out_jobs,
    jobs_by_stage,
    lifecycle_jobs,
    model_spec,
    project_module,
)
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
    with pytest.raises(ValueError, match="Unknown project 'chrun'; set the parameter 'project' to one of: .*churn"):
        project_module("chrun", "model")
    with pytest.raises(LookupError, match="Project churn has no projects/churn/serving.py"):
        project_module("churn", "serving")


def test_a_project_of_one_model_has_a_spec_and_one_of_several_picks_it_by_variant(tmp_path):
    assert model_spec("churn").label == "churn" and model_spec("churn", "quick") is model_spec("churn")
    package = tmp_path / "projects" / "pair"
    package.mkdir(parents=True)
    (tmp_path / "projects" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text("def spec_for(variant):\n    return f'spec of {variant}'\n")
    (tmp_path / "projects" / "bare").mkdir()
    (tmp_path / "projects" / "bare" / "model.py").write_text("X = 1\n")
    import sys

    sys.path.insert(0, str(tmp_path))
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k == "projects" or k.startswith("projects.")}
    try:
        assert model_spec("pair", "a_de", root=tmp_path) == "spec of a_de"
        with pytest.raises(LookupError, match="projects/bare/model.py defines neither SPEC nor spec_for"):
            model_spec("bare", root=tmp_path)
    finally:
        sys.path.remove(str(tmp_path))
        for k in [k for k in sys.modules if k == "projects" or k.startswith("projects.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def test_a_job_that_a_for_each_task_runs_is_part_of_that_job_not_a_lifecycle_step():
    def job(stage, *tasks):
        return {"tags": {"project": "p", "stage": stage}, "tasks": list(tasks)}

    fan = {"task_key": "each", "for_each_task": {"inputs": "[1]", "task": {"task_key": "one",
                                                  "run_job_task": {"job_id": "p_train_one"}}}}
    retrain = {"task_key": "retrain", "run_job_task": {"job_id": "p_train_all"}}
    jobs = {"p_train_all": job("training", fan), "p_train_one": job("training"), "p_monitor": job("monitoring", retrain)}
    assert fanned_out_jobs(jobs) == {"p_train_one"}
    fan["for_each_task"]["task"]["run_job_task"]["job_id"] = "${resources.jobs.p_train_one.id}"  # as -o json has it
    assert fanned_out_jobs(jobs) == {"p_train_one"}
    assert lifecycle_jobs(jobs) == {"p": ["p_train_all", "p_monitor"]}  # a plain run_job_task target stays
