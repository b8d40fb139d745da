# Databricks notebook source
# MAGIC %md
# MAGIC # Ingest the flowers
# MAGIC Lands one snapshot of the iris measurements in the raw table. Replace this task with your own source.

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

dbutils.widgets.text("raw_table", "dev.iris.flowers", "Raw table")
dbutils.widgets.text("observed_at", "2026-01-31", "Snapshot date (YYYY-MM-DD)")

# COMMAND ----------

from datetime import datetime

from projects.iris.data import ingest_raw_data

rows = ingest_raw_data(spark, dbutils.widgets.get("raw_table"), datetime.fromisoformat(dbutils.widgets.get("observed_at")))
dbutils.jobs.taskValues.set("raw_rows", rows)
print(f"{rows} flowers landed in {dbutils.widgets.get('raw_table')}")
