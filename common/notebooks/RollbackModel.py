# Databricks notebook source
# MAGIC %md
# MAGIC # Roll back a model's Champion
# MAGIC Makes the version the current Champion replaced the Champion again, and records who, when, which
# MAGIC version replaced which, and why as tags on both versions. Refused, with nothing changed, when the
# MAGIC model has no Champion or its Champion replaced none.

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

dbutils.widgets.text("model_name", "", "Registered model (catalog.schema.model)")
dbutils.widgets.text("reason", "", "Why (recorded on both versions)")

# COMMAND ----------

from common.lifecycle.deployment import rollback

outcome = rollback(dbutils.widgets.get("model_name"), reason=dbutils.widgets.get("reason"))
dbutils.jobs.taskValues.set("model_name", outcome.model_name)
dbutils.jobs.taskValues.set("restored_version", outcome.restored)
dbutils.jobs.taskValues.set("rolled_back_version", outcome.rolled_back)
print(f"{outcome.model_name}: Champion is version {outcome.restored} again, instead of {outcome.rolled_back} "
      f"({outcome.reason})")
if outcome.endpoint:
    dbutils.jobs.taskValues.set("serving_endpoint", outcome.endpoint)
    print(f"Serving endpoint {outcome.endpoint} serves version {outcome.restored} again")
