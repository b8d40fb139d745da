"""localrun/runner.py and localrun/cli.py: real bundles and notebooks in tmp_path, run locally."""
import io
import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent, indent

import pytest

from conftest import ROOT as REPO
from localrun.bundle import BundleError, load_bundle
from localrun.runner import JobFailed, run_job

HEADER = "# Databricks notebook source\n"

NOTEBOOKS = {
    # Appends its task's name to run.log (relative: the runner runs a notebook in its own folder).
    "Log.py": """
        dbutils.widgets.text("name", "")
        # COMMAND ----------
        with open("run.log", "a") as log:
            log.write(dbutils.widgets.get("name") + "\\n")
    """,
    "Produce.py": """
        dbutils.jobs.taskValues.set("rows", 42)
        dbutils.jobs.taskValues.set("label", "churn")
    """,
    "Consume.py": """
        # MAGIC %md Reads a task value twice: through dbutils and through a {{tasks...}} parameter.
        # COMMAND ----------
        # MAGIC %run ./Helpers
        # COMMAND ----------
        dbutils.widgets.text("rows_param", "0")
        rows = dbutils.jobs.taskValues.get(taskKey="produce", key="rows", debugValue=0)
        dbutils.notebook.exit(both(rows, dbutils.widgets.get("rows_param")))
    """,
    "Helpers.py": """
        def both(a, b):
            return f"{a}/{b}"
    """,
    "Fail.py": """
        x = 1
        # COMMAND ----------
        raise ValueError("boom")
    """,
    "Spark.py": """
        dbutils.jobs.taskValues.set("session", spark.name)
    """,
}


def make_bundle(root: Path, jobs: str) -> Path:
    """A bundle whose jobs (YAML under resources.jobs) use the notebooks above."""
    files = {
        "databricks.yml": """
            bundle: {name: runner-test}
            include: [resources/*.yml]
            targets: {dev: {default: true}}
        """,
        "resources/jobs-resource.yml": "resources:\n  jobs:\n" + indent(dedent(jobs), "    "),
        **{f"notebooks/{name}": HEADER + dedent(body).lstrip("\n") for name, body in NOTEBOOKS.items()},
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(dedent(text))
    return root


def no_spark():
    raise AssertionError("this job must not start Spark")


def run(root: Path, job: str, **kwargs):
    out = io.StringIO()
    result = run_job(load_bundle(root), job, spark_factory=no_spark, out=out, **kwargs)
    return result, out.getvalue()


def log(root: Path) -> list[str]:
    path = root / "notebooks/run.log"
    return path.read_text().split() if path.exists() else []


def log_task(key: str, *deps: str, outcome: str | None = None, run_if: str | None = None) -> str:
    """A task running Log.py, as YAML list item text."""
    lines = [f"- task_key: {key}"]
    if deps:
        extra = f", outcome: \"{outcome}\"" if outcome else ""
        lines.append("  depends_on: [" + ", ".join(f"{{task_key: {d}{extra}}}" for d in deps) + "]")
    if run_if:
        lines.append(f"  run_if: {run_if}")
    lines += ["  notebook_task:", "    notebook_path: ../notebooks/Log.py",
              '    base_parameters: {name: "{{task.name}}"}']
    return "\n".join(lines) + "\n"


def job_yaml(key: str, *tasks: str, header: str = "") -> str:
    """resources.jobs.<key> as YAML text: name, optional extra header lines, the task items."""
    return f"{key}:\n  name: {key}\n{indent(dedent(header), '  ')}  tasks:\n" + indent("".join(
        dedent(t).lstrip("\n") for t in tasks), "    ")


DIAMOND = job_yaml("diamond", log_task("d", "b", "c"), log_task("c", "a"), log_task("b", "a"), log_task("a"))


def test_depends_on_order_diamond(tmp_path):
    result, out = run(make_bundle(tmp_path, DIAMOND), "diamond")
    assert log(tmp_path) == ["a", "c", "b", "d"]  # ties keep declaration order (c before b)
    assert list(result.tasks) == ["a", "c", "b", "d"]
    assert all(t.status == "ok" for t in result.tasks.values())
    assert "[2/4] c (notebook notebooks/Log.py)" in out


def test_only_task_and_from_task(tmp_path):
    make_bundle(tmp_path, DIAMOND)
    result, _ = run(tmp_path, "diamond", only_task="b")
    assert log(tmp_path) == ["b"]
    assert {k: t.status for k, t in result.tasks.items()} == {"a": "skipped", "c": "skipped", "b": "ok",
                                                              "d": "skipped"}
    (tmp_path / "notebooks/run.log").unlink()
    run(tmp_path, "diamond", from_task="b")
    assert log(tmp_path) == ["b", "d"]


# produce sets values; consume reads produce's `rows` through {{...}} and through taskValues.get.
PRODUCE_CONSUME = ("""
    - task_key: produce
      notebook_task: {notebook_path: ../notebooks/Produce.py}
    """, """
    - task_key: consume
      depends_on: [{task_key: produce}]
      notebook_task:
        notebook_path: ../notebooks/Consume.py
        base_parameters: {rows_param: "{{tasks.produce.values.rows}}"}
    """)


def test_task_values_pass_between_notebooks(tmp_path):
    make_bundle(tmp_path, job_yaml("values", *PRODUCE_CONSUME))
    result, out = run(tmp_path, "values")
    assert result.tasks["produce"].values == {"rows": 42, "label": "churn"}
    assert result.tasks["consume"].exit_value == "42/42"  # dbutils.notebook.exit is a success
    assert "(exit: 42/42)" in out


CONDITION = job_yaml(
    "branch",
    """
    - task_key: produce
      notebook_task: {notebook_path: ../notebooks/Produce.py}
    - task_key: check
      depends_on: [{task_key: produce}]
      condition_task:
        op: GREATER_THAN
        left: "{{tasks.produce.values.rows}}"
        right: "{{job.parameters.threshold}}"
    """,
    log_task("big", "check", outcome="true"),
    log_task("small", "check", outcome="false"),
    log_task("after_big", "big"),
    log_task("join", "big", "small", run_if="NONE_FAILED"),
    header='parameters: [{name: threshold, default: "10"}]\n')


def test_condition_true_and_false_branches(tmp_path):
    make_bundle(tmp_path, CONDITION)
    result, out = run(tmp_path, "branch")
    assert result.tasks["check"].outcome == "true"
    assert log(tmp_path) == ["big", "after_big", "join"]
    assert result.tasks["small"].status == "excluded"
    assert "- small excluded (condition 'check' is true)" in out

    (tmp_path / "notebooks/run.log").unlink()
    result, _ = run(tmp_path, "branch", job_parameters={"threshold": "100"})
    assert result.tasks["check"].outcome == "false"
    assert log(tmp_path) == ["small", "join"]
    assert result.tasks["big"].status == result.tasks["after_big"].status == "excluded"
    assert result.tasks["after_big"].reason == "'big' excluded"


# A job that logs its parameter `name`, for the tasks that run other jobs.
INNER = """
        inner:
          name: inner
          parameters: [{name: name, default: nobody}]
          tasks:
            - task_key: write
              notebook_task: {notebook_path: ../notebooks/Log.py}
"""


def test_run_job_task_and_job_parameters(tmp_path):
    make_bundle(tmp_path, INNER + """
        outer:
          name: outer
          parameters: [{name: caller, default: outer-default}]
          tasks:
            - task_key: call
              run_job_task:
                job_id: ${resources.jobs.inner.id}
                job_parameters: {name: "{{job.parameters.caller}}-{{job.id}}"}
    """)
    _, out = run(tmp_path, "outer", job_parameters={"caller": "me"})
    # job parameters are pushed down to notebook tasks as widgets, as on Databricks
    assert log(tmp_path) == ["me-outer"]
    assert "\n    Job inner (inner)" in out and "\n    ✓ write" in out
    with pytest.raises(BundleError, match=r"Unknown job parameter 'who' for job 'outer'; parameters: caller"):
        run(tmp_path, "outer", job_parameters={"who": "x"})


def test_for_each_task_runs_its_task_once_per_input_in_order(tmp_path):
    make_bundle(tmp_path, INNER + """
        fan:
          name: fan
          tasks:
            - task_key: each_job
              for_each_task:
                inputs: '[{"who": "ann"}, {"who": "bob"}]'
                task:
                  task_key: one_job
                  run_job_task:
                    job_id: ${resources.jobs.inner.id}
                    job_parameters: {name: "{{input.who}}"}
            - task_key: each_notebook
              depends_on: [{task_key: each_job}]
              for_each_task:
                inputs: '["x", "y"]'
                task:
                  task_key: one_notebook
                  notebook_task: {notebook_path: ../notebooks/Log.py, base_parameters: {name: "plain-{{input}}"}}
        broken:
          name: broken
          tasks:
            - task_key: each
              for_each_task:
                inputs: "x, y"
                task: {task_key: one, notebook_task: {notebook_path: ../notebooks/Log.py}}
    """)
    result, out = run(tmp_path, "fan")
    assert log(tmp_path) == ["ann", "bob", "plain-x", "plain-y"]
    iterations = result.tasks["each_job"].children
    assert [it.children[0].parameters for it in iterations] == [{"name": "ann"}, {"name": "bob"}]
    assert [child.task_key for child in result.tasks["each_notebook"].children] == ["one_notebook[x]",
                                                                                    "one_notebook[y]"]
    assert "each_job 2: one_job[{\"who\": \"bob\"}]" in out
    with pytest.raises(BundleError, match=r"Task 'each' of job 'broken': for_each_task inputs must be a JSON "
                                          r"array, not 'x, y'"):
        run(tmp_path, "broken")


def test_failure_stops_the_job_and_names_task_and_cause(tmp_path):
    make_bundle(tmp_path, job_yaml("failing", log_task("first"), """
        - task_key: fail
          depends_on: [{task_key: first}]
          notebook_task: {notebook_path: ../notebooks/Fail.py}
    """, log_task("last", "fail")))
    with pytest.raises(JobFailed) as error:
        run(tmp_path, "failing")
    assert str(error.value) == ("Job 'failing' failed at task 'fail': ValueError: boom "
                                "(notebooks/Fail.py line 4). Not run: last")
    assert log(tmp_path) == ["first"]
    assert {k: t.status for k, t in error.value.run.tasks.items()} == {"first": "ok", "fail": "failed",
                                                                      "last": "skipped"}
    assert 'raise ValueError("boom")' in error.value.details


def test_unknown_job_and_task_list_the_choices(tmp_path):
    make_bundle(tmp_path, DIAMOND)
    with pytest.raises(BundleError, match=r"^Unknown job 'diamnd' for target dev; jobs: diamond$"):
        run(tmp_path, "diamnd")
    with pytest.raises(BundleError, match=r"^Unknown task 'e' in job 'diamond'; tasks: a, c, b, d$"):
        run(tmp_path, "diamond", only_task="e")


def test_configuration_errors_are_found_before_anything_runs(tmp_path):
    make_bundle(tmp_path, job_yaml("cyclic", log_task("a", "c"), log_task("b", "a"), log_task("c", "b"))
                + dedent("""
        typo:
          name: typo
          tasks:
            - task_key: a
              notebook_task:
                notebook_path: ../notebooks/Log.py
                base_parameters: {name: "{{job.parameters.nmae}}"}
        wheel:
          name: wheel
          tasks:
            - task_key: w
              python_wheel_task: {package_name: x, entry_point: main}
    """))
    with pytest.raises(BundleError, match=r"^Job 'cyclic' has a dependency cycle: a -> c -> b -> a"):
        run(tmp_path, "cyclic")
    with pytest.raises(BundleError, match=r"Unknown job parameter in \{\{job.parameters.nmae\}\} at "
                                          r"notebook_task.base_parameters.name of task 'a' in job 'typo'"):
        run(tmp_path, "typo")
    with pytest.raises(BundleError, match=r"Task 'w' of job 'wheel' is a python_wheel_task, which cannot run "
                                          r"locally; supported types: notebook_task, condition_task, run_job_task, "
                                          r"for_each_task"):
        run(tmp_path, "wheel")
    assert log(tmp_path) == []


def test_spark_is_created_lazily_once(tmp_path):
    make_bundle(tmp_path, """
        sparky:
          name: sparky
          tasks:
            - task_key: one
              notebook_task: {notebook_path: ../notebooks/Spark.py}
            - task_key: two
              depends_on: [{task_key: one}]
              notebook_task: {notebook_path: ../notebooks/Spark.py}
    """)
    sessions = []

    class FakeSession:
        name = "fake"

    def factory():
        sessions.append(FakeSession())
        return sessions[-1]

    result = run_job(load_bundle(tmp_path), "sparky", spark_factory=factory, out=io.StringIO())
    assert len(sessions) == 1 and result.tasks["two"].values == {"session": "fake"}


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "localrun", *args], check=False, cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)


def test_cli_run_success_and_failure(tmp_path):
    make_bundle(tmp_path, DIAMOND + "\n" + dedent("""
        failing:
          name: failing
          tasks:
            - task_key: fail
              notebook_task: {notebook_path: ../notebooks/Fail.py}
    """))
    ok = cli(tmp_path, "run", "diamond", "--from-task", "b")
    assert ok.returncode == 0, ok.stderr
    assert "Job diamond (diamond), target dev: succeeded" in ok.stdout
    assert log(tmp_path) == ["b", "d"]

    failed = cli(tmp_path, "run", "failing")
    assert failed.returncode == 1
    assert failed.stderr.strip() == ("Error: Job 'failing' failed at task 'fail': ValueError: boom "
                                     "(notebooks/Fail.py line 4)")

    usage = cli(tmp_path, "run", "diamond", "--var", "no-equals-sign")
    assert usage.returncode == 2 and "expected name=value" in usage.stderr


REGISTER = """
    # A task that registers a version of a model connected to a deployment job, as Train.py does.
    import mlflow
    from sklearn.dummy import DummyClassifier

    from common import registry, runtime

    dbutils.widgets.text("model_name", "")
    dbutils.widgets.text("deployment_job_id", "")
    name = dbutils.widgets.get("model_name")
    runtime.set_experiment("/tests/runner-deployment-jobs")
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(DummyClassifier().fit([[0], [1]], [0, 1]), name="model",
                                        pip_requirements=["scikit-learn"], serialization_format="cloudpickle")
    runtime.connect_deployment_job(name, dbutils.widgets.get("deployment_job_id"))
    dbutils.jobs.taskValues.set("version", registry.register(info.model_uri, name))
"""


def test_a_new_version_of_a_connected_model_starts_its_deployment_job_once_the_job_is_done(tmp_path):
    NOTEBOOKS["Register.py"] = REGISTER
    try:
        make_bundle(tmp_path, """
            train:
              name: train
              tasks:
                - task_key: register
                  notebook_task:
                    notebook_path: ../notebooks/Register.py
                    base_parameters: {model_name: runner.deploy.model, deployment_job_id: "${resources.jobs.deploy.id}"}
                - task_key: after
                  depends_on: [{task_key: register}]
                  notebook_task: {notebook_path: ../notebooks/Log.py, base_parameters: {name: after}}
            deploy:
              name: deploy
              parameters: [{name: model_name, default: ""}, {name: model_version, default: ""}]
              tasks:
                - task_key: deploy
                  notebook_task: {notebook_path: ../notebooks/Log.py, base_parameters: {name: "{{job.parameters.model_version}}"}}
        """)
        first, out = run(tmp_path, "train")
        version = first.tasks["register"].values["version"]
        # After the whole registering job, as a workspace starts it: with the version's model and number.
        assert log(tmp_path) == ["after", version]
        assert [r.parameters for r in first.triggered] == [{"model_name": "runner.deploy.model", "model_version": version}]
        assert f"runner.deploy.model version {version} is new: it starts its deployment job deploy" in out

        # A connection to a job this bundle does not have is named, not ignored.
        bundle = load_bundle(tmp_path)
        bundle.jobs["train"]["tasks"][0]["notebook_task"]["base_parameters"]["deployment_job_id"] = "deploy_old"
        with pytest.raises(BundleError, match=r"runner.deploy.model is connected to deployment job 'deploy_old', "
                                              "which is not a job of this bundle"):
            run_job(bundle, "train", only_task="register", spark_factory=no_spark, out=io.StringIO())
    finally:
        del NOTEBOOKS["Register.py"]
