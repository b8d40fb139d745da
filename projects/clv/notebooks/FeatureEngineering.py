# Databricks notebook source
# MAGIC %md
# MAGIC # Feature engineering
# MAGIC Computes each customer's features at every cut-off, from purchases strictly before it, and
# MAGIC merges them into the feature table (keyed by customer and cut-off).

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
dbutils.widgets.text("feature_table", "dev.clv.customer_features", "Feature table")
dbutils.widgets.text("cutoffs", "1997-07-01,1997-10-01,1998-01-01,1998-04-01", "Cut-off dates (comma-separated)")

# COMMAND ----------

from common.runtime import feature_store_client
from projects.clv.features import parse_cutoffs, write_features

feature_table = dbutils.widgets.get("feature_table")
rows = write_features(spark, feature_store_client(), dbutils.widgets.get("transactions_table"), feature_table,
                      parse_cutoffs(dbutils.widgets.get("cutoffs")))
dbutils.jobs.taskValues.set("feature_rows", rows)
print(f"{feature_table}: {rows} rows")
