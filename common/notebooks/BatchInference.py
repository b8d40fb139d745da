# Databricks notebook source
# MAGIC %md
# MAGIC # Batch inference
# MAGIC Scores a table's rows with a project's Champion (features looked up from the feature table)
# MAGIC and upserts the predictions table.

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
dbutils.widgets.text("input_table", "", "Rows to score")
dbutils.widgets.text("output_table", "", "Predictions table")
dbutils.widgets.text("model_name", "", "Registered model")
dbutils.widgets.text("variant", "", "Config variant (for a project of several models: which one)")

# COMMAND ----------

from common.lifecycle.inference import batch_inference
from common.projects import model_spec
from common.runtime import feature_store_client

SPEC = model_spec(dbutils.widgets.get("project"), dbutils.widgets.get("variant"))

result = batch_inference(
    spark,
    feature_store_client(),
    SPEC,
    model_name=dbutils.widgets.get("model_name"),
    input_table=dbutils.widgets.get("input_table"),
    output_table=dbutils.widgets.get("output_table"),
)
dbutils.jobs.taskValues.set("model_name", result.model_name)
dbutils.jobs.taskValues.set("model_version", result.version)
dbutils.jobs.taskValues.set("rows_scored", result.rows_scored)
dbutils.jobs.taskValues.set("predictions_rows", result.table_rows)
print(f"Scored {result.rows_scored} rows with {result.model_name} v{result.version}; "
      f"{dbutils.widgets.get('output_table')} holds {result.table_rows} rows")
