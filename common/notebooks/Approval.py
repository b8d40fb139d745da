# Databricks notebook source
# MAGIC %md
# MAGIC # Approval
# MAGIC Passes the model version on only once a person has approved it, where the target requires it:
# MAGIC the version must carry the tag `approval` = `approved` (the Approve button on the version's
# MAGIC page sets it). Otherwise the job stops here, naming the version and the tag; approve it, then
# MAGIC run the job again from this task. Where no approval is required, it records an automatic one.

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

dbutils.widgets.text("model_name", "", "Registered model")
dbutils.widgets.text("model_version", "", "Model version")
dbutils.widgets.text("approval_required", "true", "Approval required (true or false)")
dbutils.widgets.text("task_name", "approval", "This task's key, the tag an approval sets ({{task.name}})")

# COMMAND ----------

from common.lifecycle.approval import approval_required, check_approval

outcome = check_approval(dbutils.widgets.get("model_name"), dbutils.widgets.get("model_version"),
                         required=approval_required(dbutils.widgets.get("approval_required")),
                         task_key=dbutils.widgets.get("task_name"))
dbutils.jobs.taskValues.set("approved_by", outcome.approved_by)
print(f"{outcome.model_name} version {outcome.version} approved by {outcome.approved_by}")
