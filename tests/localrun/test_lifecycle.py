"""localrun/lifecycle.py and the ./mlops commands, in this process, on a small bundle of two projects."""

import io
import re

from localrun.bundle import load_bundle
from localrun.cli import main
from localrun.lifecycle import models_table, run_lifecycle
from localrun.runner.results import JobRun, TaskRun
from tests.localrun.test_runner import job_yaml, log, log_task, make_bundle

PRODUCE = """
- task_key: produce
  notebook_task: {notebook_path: ../notebooks/Produce.py}
"""


def _two_projects(root):
    def tagged(project, stage):
        return f"tags: {{project: {project}, stage: {stage}}}\n"

    return make_bundle(root, "".join([
        job_yaml("b_features", log_task("bf"), header=tagged("b", "features")),
        job_yaml("a_train", PRODUCE, header=tagged("a", "training")),
        job_yaml("a_features", log_task("af"), header=tagged("a", "features")),
        job_yaml("untagged", log_task("x")),
    ]))


def test_a_lifecycle_loads_the_report_library_ahead_only_when_a_monitoring_taskmakes_reports(tmp_path):
    from conftest import ROOT
    from localrun.lifecycle import makes_reports

    assert makes_reports(load_bundle(ROOT, "dev")) and not makes_reports(load_bundle(_two_projects(tmp_path)))


def test_each_projects_jobs_run_in_stage_order_and_the_summary_shows_their_task_values(tmp_path):
    out = io.StringIO()
    runs = run_lifecycle(load_bundle(_two_projects(tmp_path)), out=out)
    assert [run.job_key for run in runs["a"]] == ["a_features", "a_train"]
    assert [run.job_key for run in runs["b"]] == ["b_features"]
    assert log(tmp_path) == ["af", "bf"]  # the untagged job is no part of the lifecycle
    text = out.getvalue()
    assert "=== a: a_features -> a_train (target dev)" in text
    summary = text[text.index("=== Lifecycle done"):]
    assert re.search(r"\na: [0-9.]+ s \([0-9]+%\)\n  a_features \(", summary)
    assert "    produce.rows: 42\n    produce.label: churn" in summary


def test_the_commands_list_run_and_sum_up_the_jobs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(_two_projects(tmp_path))
    assert main(["jobs"]) == 0
    listed = capsys.readouterr().out
    assert "  a_train: a_train\n      tasks: produce" in listed and "untagged" in listed

    assert main(["run", "a_train"]) == 0
    assert "Job a_train (a_train), target dev: succeeded" in capsys.readouterr().out

    assert main(["lifecycle"]) == 0
    assert "=== Lifecycle done" in capsys.readouterr().out
    assert log(tmp_path) == ["af", "bf"]

    assert main(["lifecycle", "b"]) == 0  # one project only
    assert "=== b: b_features" in capsys.readouterr().out and log(tmp_path) == ["af", "bf", "bf"]
    assert main(["lifecycle", "aa"]) == 1
    assert ("Error: Unknown project 'aa' (did you mean 'a'?); projects with jobs in target dev: a, b"
            in capsys.readouterr().err)
    assert log(tmp_path) == ["af", "bf", "bf"]  # nothing ran

    assert main(["run", "nope"]) == 1
    assert "Error: Unknown job 'nope' for target dev" in capsys.readouterr().err


def _job(key, **task_values):
    tasks = {k: TaskRun(k, "ok", values=v) for k, v in task_values.items()}
    return JobRun(key, key, "dev", "1", None, {}, tasks, None)


def test_the_models_table_has_a_row_per_model_from_what_its_tasks_reported():
    training = _job("train_all", each=dict())
    training.tasks["each"].children = [
        _job("train_one", train={"model_name": "m_de", "model_version": "2", "headline": "roc_auc 0.81"},
             deploy={"model_name": "m_de", "model_version": "2", "aliases": ["Challenger"]}),
        _job("train_one", train={"model_name": "m_fr", "model_version": "1", "headline": "roc_auc 0.79"}),
    ]
    scoring = _job("score_all", each=dict())
    scoring.tasks["each"].children = [TaskRun("score[de]", "ok", values={"model_name": "m_de", "rows_scored": 40})]
    monitoring = _job("monitor_one", check={"model_name": "m_de", "drift_share": 0.25, "report_file": "file:///r.html"})
    table = models_table({"clv": [training, scoring, monitoring]})
    assert table[0].split() == ["project", "model", "version", "aliases", "headline", "metric", "rows", "scored",
                                "drift", "share"]
    assert table[2].split() == ["clv", "m_de", "2", "Challenger", "roc_auc", "0.81", "40", "0.25"]
    assert table[3].split() == ["clv", "m_fr", "1", "-", "roc_auc", "0.79", "-", "-"]
    assert table[-2:] == ["Drift and quality reports (open in a browser):", "  m_de: file:///r.html"]
