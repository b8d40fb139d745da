"""common/local/dbutils.py: widgets and task values behave as on Databricks."""
import pytest

from common.local import dbutils as dbutils_local
from common.local.dbutils import InputWidgetNotDefined, LocalDbutils, NotebookExit, TaskValueNotFound, TaskValues


def test_job_parameter_wins_over_widget_default():
    dbutils = LocalDbutils({"catalog": "prod"})
    dbutils.widgets.text("catalog", "dev", "Catalog")
    dbutils.widgets.text("rows", "10")
    assert dbutils.widgets.get("catalog") == "prod"
    assert dbutils.widgets.get("rows") == "10"
    assert dbutils.widgets.getAll() == {"catalog": "prod", "rows": "10"}
    dbutils.widgets.remove("rows")
    assert dbutils.widgets.getArgument("rows", "none") == "none"


def test_dropdown_checks_default_and_supplied_value():
    dbutils = LocalDbutils({"mode": "dry_run"})
    dbutils.widgets.dropdown("mode", "enabled", ["disabled", "dry_run", "enabled"])
    assert dbutils.widgets.get("mode") == "dry_run"
    with pytest.raises(ValueError, match=r"Default value 'on' of dropdown widget 'flag' is not one of its "
                                         r"choices: yes, no"):
        dbutils.widgets.dropdown("flag", "on", ["yes", "no"])
    with pytest.raises(ValueError, match=r"Value 'sometimes' of dropdown widget 'mode' is not one of its choices"):
        LocalDbutils({"mode": "sometimes"}).widgets.dropdown("mode", "enabled", ["disabled", "enabled"])
    combo = LocalDbutils({"pick": "other"})
    combo.widgets.combobox("pick", "a", ["a", "b"])  # a combobox accepts any value
    assert combo.widgets.get("pick") == "other"


def test_undefined_widget_names_it_and_the_defined_ones():
    dbutils = LocalDbutils()
    dbutils.widgets.text("catalog", "dev")
    with pytest.raises(InputWidgetNotDefined, match=r"No input widget named 'schema' is defined; defined "
                                                     r"widgets: catalog"):
        dbutils.widgets.get("schema")
    # a parameter passed by the job is readable without defining a widget, as on Databricks
    assert LocalDbutils({"schema": "s"}).widgets.get("schema") == "s"


def test_task_values_outside_a_job_return_debug_value():
    dbutils = LocalDbutils()
    dbutils.jobs.taskValues.set("rows", 3)  # a no-op outside a job run
    assert dbutils.jobs.taskValues.get(taskKey="prep", key="rows", default=1, debugValue=7) == 7
    with pytest.raises(TypeError, match="debugValue"):
        dbutils.jobs.taskValues.get(taskKey="prep", key="rows")


def test_task_values_inside_a_run():
    store = TaskValues(["prep", "train"])
    LocalDbutils(task_key="prep", task_values=store).jobs.taskValues.set("split", (0.8, 0.2))
    train = LocalDbutils(task_key="train", task_values=store)
    assert train.jobs.taskValues.get("prep", "split", debugValue=0) == [0.8, 0.2]  # through JSON
    assert train.jobs.taskValues.get("prep", "missing", default=5) == 5
    with pytest.raises(TaskValueNotFound, match=r"Task 'prep' did not set task value 'missing'; it set: split"):
        train.jobs.taskValues.get("prep", "missing")
    with pytest.raises(TaskValueNotFound, match=r"No task 'prepp' in this job; tasks: prep, train"):
        train.jobs.taskValues.get("prepp", "split")
    with pytest.raises(TypeError, match=r"Task value 'model' must be JSON-serialisable; object is not"):
        train.jobs.taskValues.set("model", object())


def test_notebook_exit_and_current():
    with pytest.raises(NotebookExit) as stop:
        LocalDbutils().notebook.exit("done")
    assert stop.value.value == "done"
    task = LocalDbutils({"a": "1"})
    with dbutils_local.activated(task):
        assert dbutils_local.current() is task
    assert dbutils_local.current() is not task
    assert dbutils_local.current() is dbutils_local.current()  # one instance outside a run
