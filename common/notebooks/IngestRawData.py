# Databricks notebook source
# MAGIC %md
# MAGIC # Ingest raw data
# MAGIC Lands one snapshot of a project's raw data in its raw table (its `projects/<project>/data.py`,
# MAGIC `ingest_raw_data`). Replace that function with your own source.

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
dbutils.widgets.text("source", "", "Source (see the project's data.SOURCES)")
dbutils.widgets.text("observed_at", "2026-01-31", "Snapshot date (YYYY-MM-DD)")

# COMMAND ----------

from datetime import datetime

from common.projects import project_module

raw_table = dbutils.widgets.get("raw_table")
ingest_raw_data = project_module(dbutils.widgets.get("project"), "data").ingest_raw_data
rows = ingest_raw_data(spark, raw_table, dbutils.widgets.get("source"),
                       datetime.fromisoformat(dbutils.widgets.get("observed_at")))
dbutils.jobs.taskValues.set("raw_rows", rows)
print(f"{rows} rows landed in {raw_table}")
