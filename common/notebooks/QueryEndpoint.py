# Databricks notebook source
# MAGIC %md
# MAGIC # Query a serving endpoint
# MAGIC Sends a few rows of a table to a project's serving endpoint, as a client application would, and
# MAGIC shows the predictions beside them. On a workspace through the SDK's `serving_endpoints.query`;
# MAGIC locally from `./mlops serve <endpoint>`. The columns sent are those of the served model's input.

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

dbutils.widgets.text("endpoint", "", "Serving endpoint (e.g. dev-dev_<you>_iris)")
dbutils.widgets.text("input_table", "", "Rows to send (e.g. the project's feature table)")
dbutils.widgets.text("rows", "5", "How many rows")

# COMMAND ----------

from common.lifecycle.serving import query_rows

sent, predictions = query_rows(spark, dbutils.widgets.get("endpoint"), dbutils.widgets.get("input_table"),
                               dbutils.widgets.get("rows"))
sent["prediction"] = predictions
dbutils.jobs.taskValues.set("predictions", list(predictions))
display(sent)
