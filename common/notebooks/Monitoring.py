# Databricks notebook source
# MAGIC %md
# MAGIC # Monitoring
# MAGIC Compares a project's Champion's predictions with the outcomes known so far and records the metrics.
# MAGIC Sets the task value `retrain` ("true"/"false") that the job's condition task reads.

# COMMAND ----------

# MAGIC %pip install --quiet -r ../../requirements.txt

# COMMAND ----------

# MAGIC %restart_python

# COMMAND ----------

# Make the repository root importable (common/, projects/) in a Git folder, a deployed bundle and locally.
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.getcwd(), "..", "..")))

# COMMAND ----------

dbutils.widgets.text("project", "", "Project (its folder under projects/)")
dbutils.widgets.text("predictions_table", "", "Predictions table")
dbutils.widgets.text("labels_table", "", "Outcomes (labels) table")
dbutils.widgets.text("monitoring_table", "", "Monitoring history table")
dbutils.widgets.text("variant", "", "Config variant")

# COMMAND ----------

from common.lifecycle.monitoring import monitor
from common.projects import project_module

project = dbutils.widgets.get("project")
SPEC = project_module(project, "model").SPEC

result = monitor(
    spark,
    SPEC,
    project_module(project, "settings").load_settings(dbutils.widgets.get("variant")).monitoring,
    predictions_table=dbutils.widgets.get("predictions_table"),
    labels_table=dbutils.widgets.get("labels_table"),
    monitoring_table=dbutils.widgets.get("monitoring_table"),
)
dbutils.jobs.taskValues.set("model_version", result.model_version)
dbutils.jobs.taskValues.set("metrics", result.metrics)
dbutils.jobs.taskValues.set("retrain", "true" if result.retrain else "false")
print(f"{result.model_name} v{result.model_version} on {result.labelled_rows} labelled rows: {result.metrics}; "
      + (f"retrain: {'; '.join(result.reasons)}" if result.retrain else "within thresholds"))
