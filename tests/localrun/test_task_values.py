"""Running one task, or from one, when it reads values of tasks that do not run
(localrun/runner/upstream.py): given with --task-value, else recorded by the job's last run on this
lakehouse; a value that is neither stops the run before anything runs, naming the option to pass."""

import json
import re

import pytest

from conftest import ROOT
from localrun.bundle import BundleError
from localrun.runner import JobFailed
from localrun.runner.upstream import record_path
from tests.localrun.test_runner import PRODUCE_CONSUME, cli, job_yaml, log, make_bundle, run

# produce -> consume (tests/localrun/test_runner.py); then `guess`, whose notebook builds the key it
# reads, so only its run can find that it is missing.
VALUES = job_yaml("values", *PRODUCE_CONSUME, """
    - task_key: guess
      depends_on: [{task_key: consume}]
      notebook_task: {notebook_path: ../notebooks/Guess.py}
    """)
GUESS = '# Databricks notebook source\nkey = "la" + "bel"\ndbutils.notebook.exit(dbutils.jobs.taskValues.get("produce", key))\n'


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    """The bundle above, on a lakehouse of this test's own (no run of the job recorded yet)."""
    monkeypatch.setenv("MLOPS_LAKEHOUSE", str(tmp_path / "lakehouse"))
    make_bundle(tmp_path / "repo", VALUES)
    (tmp_path / "repo/notebooks/Guess.py").write_text(GUESS)
    return tmp_path / "repo"


def test_given_values_stand_for_the_tasks_that_do_not_run(bundle):
    result, out = run(bundle, "values", only_task="consume", task_values={"produce.rows": "7"})
    assert result.tasks["consume"].exit_value == "7/7"  # as a widget and through taskValues.get, read as JSON
    assert result.tasks["produce"].status == "skipped"
    assert "Values of the tasks that do not run:\n  produce.rows = 7 (given with --task-value)\n" in out
    # The CLI's option, as README shows it: a text value stays text.
    done = cli(bundle, "run", "values", "--from-task", "consume", "--task-value", "produce.rows=many",
               "--task-value", "produce.label=churn")
    assert done.returncode == 0, done.stderr
    assert "(exit: many/many)" in done.stdout and "(exit: churn)" in done.stdout
    assert '  produce.label = "churn" (given with --task-value)' in done.stdout


def test_a_run_records_its_values_for_later_runs_and_given_values_win(bundle):
    full, _ = run(bundle, "values")
    record = json.loads(record_path("dev", "values").read_text())
    assert record["tasks"]["produce"] == {"run_id": full.run_id, "finished": record["tasks"]["produce"]["finished"],
                                         "values": {"rows": 42, "label": "churn"}}

    result, out = run(bundle, "values", from_task="consume")
    assert result.tasks["consume"].exit_value == "42/42" and result.tasks["guess"].exit_value == "churn"
    assert re.search(rf"  produce.rows = 42 \(recorded by run {full.run_id}, \d{{4}}-\d\d-\d\d [\d:]+ UTC\)\n", out)
    assert "  and the other recorded values of produce, for taskValues.get" in out

    result, out = run(bundle, "values", only_task="consume", task_values={"produce.rows": "5"})
    assert result.tasks["consume"].exit_value == "5/5"
    assert "  produce.rows = 5 (given with --task-value)" in out
    # A run of some tasks keeps the others' values as they were.
    assert json.loads(record_path("dev", "values").read_text())["tasks"]["produce"]["run_id"] == full.run_id


def test_a_value_neither_given_nor_recorded_stops_the_run_before_anything_runs(bundle):
    with pytest.raises(BundleError) as error:
        run(bundle, "values", from_task="consume")
    assert str(error.value) == (
        "Task 'consume' of job 'values' needs {{tasks.produce.values.rows}} and "
        "taskValues.get(taskKey=\"produce\", key=\"rows\"), but task 'produce' does not run (before --from-task "
        "consume) and no earlier run of the job on this lakehouse recorded that value: run the whole job once, "
        "or pass --task-value produce.rows=<value>")
    assert not record_path("dev", "values").exists()

    # A key the notebook builds at run time cannot be seen before: its read names the option instead.
    with pytest.raises(JobFailed, match=r"Job 'values' failed at task 'guess': TaskValueNotFound: Task 'produce' does "
                                        r"not run in this run \(only --task guess\) and no earlier run of the job "
                                        r"recorded its value 'label': run the whole job once, or pass --task-value "
                                        r"produce.label=<value>"):
        run(bundle, "values", only_task="guess")


def test_a_value_read_in_a_notebook_that_the_task_includes_with_percent_run_is_found_before_anything_runs(bundle):
    notebooks = bundle / "notebooks"
    (notebooks / "Labels.py").write_text('# Databricks notebook source\n# MAGIC %run ./Guess\n# COMMAND ----------\n'
                                         'label = dbutils.jobs.taskValues.get(taskKey="produce", key="label")\n')
    # Guess.py and Labels.py include each other: the check reads each once.
    (notebooks / "Guess.py").write_text("# Databricks notebook source\n# MAGIC %run ./Labels\n")
    with pytest.raises(BundleError) as error:
        run(bundle, "values", only_task="guess")
    assert str(error.value) == (
        "Task 'guess' of job 'values' needs taskValues.get(taskKey=\"produce\", key=\"label\"), but task 'produce' "
        "does not run (only --task guess) and no earlier run of the job on this lakehouse recorded that value: run "
        "the whole job once, or pass --task-value produce.label=<value>")
    assert log(bundle) == [] and not record_path("dev", "values").exists()
    # Given the value, the task runs, and the cycle is named rather than running out of stack.
    with pytest.raises(JobFailed, match=r"failed at task 'guess': RecursionError: %run cycle: notebooks/Guess.py -> "
                                        r"notebooks/Labels.py -> notebooks/Guess.py \(notebooks/Guess.py line 2, raised in "
                                        r"notebooks/Labels.py line 2\)$"):
        run(bundle, "values", only_task="guess", task_values={"produce.label": "churn"})


def test_task_value_options_that_name_no_task_that_is_left_out(bundle):
    for given, message in [
        ({"prodce.rows": "1"}, "--task-value prodce.rows=1: job 'values' has no task 'prodce' (did you mean "
                               "'produce'?); tasks: produce, consume, guess"),
        ({"consume.rows": "1"}, "--task-value consume.rows=1: task 'consume' runs in this run and sets its own "
                                "values; --task-value gives values of the tasks that do not run: produce"),
        ({"rows": "1"}, "--task-value rows=1: name a task and one of its values, as <task>.<key>=<value> "
                        "(e.g. produce.<key>=<value>)"),
    ]:
        with pytest.raises(BundleError) as error:
            run(bundle, "values", from_task="consume", task_values=given)
        assert str(error.value) == message
    with pytest.raises(BundleError, match=r"runs in this run and sets its own values; --task-value goes with --task "
                                          r"or --from-task$"):
        run(bundle, "values", task_values={"produce.rows": "1"})
    assert log(bundle) == [] and not record_path("dev", "values").exists()


def test_an_unreadable_record_is_named(bundle):
    path = record_path("dev", "values")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(BundleError, match=rf"^The record of job 'values''s last task values, {re.escape(str(path))}, "
                                          r"cannot be read \(Expecting property name .*line 1 column 2.*\); delete it"):
        run(bundle, "values", only_task="consume", task_values={"produce.rows": "1"})
    run(bundle, "values")  # a whole run replaces it
    assert json.loads(path.read_text())["tasks"]["consume"]["values"] == {}


def test_churn_monitoring_decides_on_retraining_from_a_given_value_alone(tmp_path, monkeypatch):
    """The real job's condition task, alone: it reads check_metrics' `retrain`, and starts no Spark."""
    monkeypatch.setenv("MLOPS_LAKEHOUSE", str(tmp_path))
    with pytest.raises(BundleError, match=r"^Task 'needs_retraining' of job 'churn_monitoring' needs "
                                          r"\{\{tasks.check_metrics.values.retrain\}\}, .* pass --task-value "
                                          r"check_metrics.retrain=<value>$"):
        run(ROOT, "churn_monitoring", only_task="needs_retraining")
    result, _ = run(ROOT, "churn_monitoring", only_task="needs_retraining",
                    task_values={"check_metrics.retrain": "true"})
    assert result.tasks["needs_retraining"].outcome == "true"
    assert [t.status for t in result.tasks.values()] == ["skipped", "ok", "skipped"]
