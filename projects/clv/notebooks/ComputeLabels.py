# Databricks notebook source
# MAGIC %md
# MAGIC # Labels
# MAGIC What each customer did in the label window after every cut-off (repurchased, value bucket),
# MAGIC with their country, merged into the labels table (keyed by customer and cut-off).

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
dbutils.widgets.text("labels_table", "dev.clv.customer_labels", "Labels table")
dbutils.widgets.text("cutoffs", "1997-07-01,1997-10-01,1998-01-01,1998-04-01", "Cut-off dates (comma-separated)")
dbutils.widgets.text("horizon_days", "90", "Label window after each cut-off, in days")

# COMMAND ----------

from projects.clv.features import parse_cutoffs
from projects.clv.labels import parse_horizon, write_labels

labels_table = dbutils.widgets.get("labels_table")
rows = write_labels(spark, dbutils.widgets.get("transactions_table"), labels_table,
                    parse_cutoffs(dbutils.widgets.get("cutoffs")), parse_horizon(dbutils.widgets.get("horizon_days")))
dbutils.jobs.taskValues.set("label_rows", rows)
print(f"{labels_table}: {rows} rows")
