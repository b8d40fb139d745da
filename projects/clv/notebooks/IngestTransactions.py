# Databricks notebook source
# MAGIC %md
# MAGIC # Ingest transactions
# MAGIC Lands the CDNOW purchase log (or the generated sample) with each customer's country in the
# MAGIC transactions table. Replace this task with your own source.

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

dbutils.widgets.text("transactions_table", "dev.clv.transactions", "Transactions table")
dbutils.widgets.dropdown("source", "cdnow", ["cdnow", "sample"], "Source")

# COMMAND ----------

from projects.clv.data import ingest_transactions

transactions_table = dbutils.widgets.get("transactions_table")
rows = ingest_transactions(spark, transactions_table, dbutils.widgets.get("source"))
dbutils.jobs.taskValues.set("transactions", rows)
print(f"{rows} transactions landed in {transactions_table}")
