# Databricks notebook source
# MAGIC %md
# MAGIC # Feature engineering
# MAGIC Computes customer features from the raw table and merges them into the feature table.

# COMMAND ----------

# MAGIC %pip install --quiet -r ../../../requirements.txt

# COMMAND ----------

# MAGIC %restart_python

# COMMAND ----------

# Make the repository root importable (common/, projects/) in a Git folder, a deployed bundle and locally.
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.getcwd(), "..", "..", "..")))

# COMMAND ----------

dbutils.widgets.text("raw_table", "dev.churn.telco_customers", "Raw table")
dbutils.widgets.text("feature_table", "dev.churn.customer_features", "Feature table")

# COMMAND ----------

from common.runtime import feature_store_client
from projects.churn.features import write_features

feature_table = dbutils.widgets.get("feature_table")
rows = write_features(spark, feature_store_client(), dbutils.widgets.get("raw_table"), feature_table)
dbutils.jobs.taskValues.set("feature_table", feature_table)
dbutils.jobs.taskValues.set("feature_rows", rows)
print(f"{feature_table}: {rows} rows")
