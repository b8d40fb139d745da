# Databricks notebook source
# MAGIC %md
# MAGIC # Feature engineering
# MAGIC Computes a project's features from its raw table (its `projects/<project>/features.py`,
# MAGIC `write_features`) and merges them into the feature table. Shared by the projects of one raw table.

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
dbutils.widgets.text("raw_table", "", "Raw table")
dbutils.widgets.text("feature_table", "", "Feature table")

# COMMAND ----------

from common.projects import project_module
from common.runtime import feature_store_client

feature_table = dbutils.widgets.get("feature_table")
write_features = project_module(dbutils.widgets.get("project"), "features").write_features
rows = write_features(spark, feature_store_client(), dbutils.widgets.get("raw_table"), feature_table)
dbutils.jobs.taskValues.set("feature_table", feature_table)
dbutils.jobs.taskValues.set("feature_rows", rows)
print(f"{feature_table}: {rows} rows")
