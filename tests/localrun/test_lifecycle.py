"""localrun/lifecycle.py and the ./mlops commands, in this process, on a small bundle of two projects."""

import io
import re

from localrun.bundle import load_bundle
from localrun.cli import main
from localrun.lifecycle import run_lifecycle
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
