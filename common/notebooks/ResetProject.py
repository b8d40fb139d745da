# Databricks notebook source
# MAGIC %md
# MAGIC # Reset a project (dev only)
# MAGIC Deletes the project's registered models, MLflow experiments and tables (feature tables included)
# MAGIC so that a demo starts afresh. Run `databricks bundle deploy -t dev` afterwards to give the
# MAGIC experiment back its bundle permissions.

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

dbutils.widgets.text("project", "", "Project to reset")
dbutils.widgets.text("schema", "", "Schema (default: the prefix and the project's name)")
dbutils.widgets.text("schema_prefix", "", "Schema name prefix (dev_<you>_ in development mode)")
dbutils.widgets.text("catalog", "dev", "Catalog")
dbutils.widgets.text("experiment_root", "", "Experiment folder")
dbutils.widgets.text("target", "dev", "Bundle target")

# COMMAND ----------

from common.reset import reset_project

report = reset_project(
    spark,
    dbutils.widgets.get("project"),
    catalog=dbutils.widgets.get("catalog"),
    experiment_root=dbutils.widgets.get("experiment_root"),
    target=dbutils.widgets.get("target"),
    schema=dbutils.widgets.get("schema"),
    schema_prefix=dbutils.widgets.get("schema_prefix"),
)
for kind in ("models", "experiments", "tables"):
    dbutils.jobs.taskValues.set(f"deleted_{kind}", getattr(report, kind))
print(f"Deleted {len(report.models)} models, {len(report.experiments)} experiments, {len(report.tables)} tables")
