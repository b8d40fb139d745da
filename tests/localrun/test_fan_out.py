"""A job that runs another job once per item of a for_each_task (one per model, say): the items
may hold ${...} references, each run gets its item's fields as job parameters, the runs are parts
of the fanning-out job rather than lifecycle steps, and the lifecycle's table has a row per model."""

import io

from localrun.bundle import load_bundle
from localrun.lifecycle import run_lifecycle
from tests.localrun.test_runner import HEADER, make_bundle

JOBS = """
train_one:
  name: train_one
  tags: {project: p, stage: training}
  parameters: [{name: variant, default: a}, {name: model_name, default: none}]
  tasks:
    - task_key: train
      notebook_task: {notebook_path: ../notebooks/Report.py}
train_all:
  name: train_all
  tags: {project: p, stage: training}
  tasks:
    - task_key: each
      for_each_task:
        inputs: '[{"variant": "a", "model_name": "${bundle.target}.m_a"}, {"variant": "b", "model_name": "${bundle.target}.m_b"}]'
        task:
          task_key: one
          run_job_task:
            job_id: ${resources.jobs.train_one.id}
            job_parameters: {variant: "{{input.variant}}", model_name: "{{input.model_name}}"}
"""

REPORT = HEADER + """
dbutils.widgets.text("variant", "")
dbutils.widgets.text("model_name", "")
dbutils.jobs.taskValues.set("model_name", dbutils.widgets.get("model_name"))
dbutils.jobs.taskValues.set("model_version", "1")
dbutils.jobs.taskValues.set("headline", "auc-of-" + dbutils.widgets.get("variant"))
"""


def test_a_fan_out_runs_the_job_per_item_and_the_table_has_a_row_per_model(tmp_path):
    root = make_bundle(tmp_path, JOBS)
    (root / "notebooks" / "Report.py").write_text(REPORT)
    out = io.StringIO()
    runs = run_lifecycle(load_bundle(root), out=out)
    assert [run.job_key for run in runs["p"]] == ["train_all"]  # train_one runs as a part of it
    iterations = runs["p"][0].tasks["each"].children
    assert [it.children[0].parameters for it in iterations] == [{"variant": "a", "model_name": "dev.m_a"},
                                                               {"variant": "b", "model_name": "dev.m_b"}]
    rows = [line.split() for line in out.getvalue().splitlines()[-2:]]
    assert rows == [["p", "dev.m_a", "1", "-", "auc-of-a", "-", "-"], ["p", "dev.m_b", "1", "-", "auc-of-b", "-", "-"]]
