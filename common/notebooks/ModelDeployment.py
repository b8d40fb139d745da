# Databricks notebook source
# MAGIC %md
# MAGIC # Model deployment
# MAGIC Moves the `Champion` alias to the validated version. A failed validation moves no alias.

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
dbutils.widgets.text("model_version", "", "Model version (default: the Train task's)")

# COMMAND ----------

from common.lifecycle.deployment import deploy

version = dbutils.widgets.get("model_version") or dbutils.jobs.taskValues.get("train", "model_version")
outcome = deploy(dbutils.widgets.get("model_name"), version)
dbutils.jobs.taskValues.set("model_name", outcome.model_name)
dbutils.jobs.taskValues.set("model_version", outcome.version)
dbutils.jobs.taskValues.set("promoted", outcome.promoted)
dbutils.jobs.taskValues.set("aliases", outcome.aliases)
print(f"{outcome.model_name} version {outcome.version}: {'promoted' if outcome.promoted else 'not promoted'} "
      f"({outcome.reason}); aliases {outcome.aliases}")
