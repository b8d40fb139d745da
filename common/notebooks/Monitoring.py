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
dbutils.widgets.text("feature_table", "", "Feature table (for the drift report; empty: no report)")
dbutils.widgets.text("experiment_name", "", "MLflow experiment (the report's run)")
dbutils.widgets.text("variant", "", "Config variant (for a project of several models: which one)")

# COMMAND ----------

from common.lifecycle.monitoring import monitor
from common.projects import model_spec, project_module
from common.runtime import feature_store_client

project, variant = dbutils.widgets.get("project"), dbutils.widgets.get("variant")
SPEC = model_spec(project, variant)

result = monitor(
    spark,
    SPEC,
    project_module(project, "settings").load_settings(variant).monitoring,
    predictions_table=dbutils.widgets.get("predictions_table"),
    labels_table=dbutils.widgets.get("labels_table"),
    monitoring_table=dbutils.widgets.get("monitoring_table"),
    fe=feature_store_client(),
    feature_table=dbutils.widgets.get("feature_table"),
    experiment_name=dbutils.widgets.get("experiment_name"),
)
dbutils.jobs.taskValues.set("model_name", result.model_name)
dbutils.jobs.taskValues.set("model_version", result.model_version)
dbutils.jobs.taskValues.set("metrics", result.metrics)
if result.report:
    dbutils.jobs.taskValues.set("drift_share", result.report.drift_share)
    dbutils.jobs.taskValues.set("drifted_columns", ", ".join(result.report.drifted) or "none")
    dbutils.jobs.taskValues.set("report", result.report.uri)
    dbutils.jobs.taskValues.set("report_file", result.report.location)
dbutils.jobs.taskValues.set("retrain", "true" if result.retrain else "false")
print(f"{result.model_name} v{result.model_version} on {result.labelled_rows} labelled rows: {result.metrics}; "
      + (f"retrain: {'; '.join(result.reasons)}" if result.retrain else "within thresholds"))
