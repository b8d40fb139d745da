# Databricks notebook source
# MAGIC %md
# MAGIC # Create prediction tables
# MAGIC Creates a model's predictions table and its monitor's baseline table, empty, where they are missing:
# MAGIC a quality monitor can only be created on tables that exist. A bundle deploy runs this through the
# MAGIC project's job run (resources.job_runs) before it creates the monitor; batch inference and the
# MAGIC deployment job fill the tables later.

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
dbutils.widgets.text("variant", "", "Config variant (for a project of several models: which one)")
dbutils.widgets.text("predictions_table", "", "Predictions table")
dbutils.widgets.text("baseline_table", "", "Baseline table of the predictions table's quality monitor")

# COMMAND ----------

from common.lifecycle.predictions import create_tables
from common.projects import model_spec

predictions_table, baseline_table = dbutils.widgets.get("predictions_table"), dbutils.widgets.get("baseline_table")
created = create_tables(spark, model_spec(dbutils.widgets.get("project"), dbutils.widgets.get("variant")),
                        predictions_table, baseline_table)
dbutils.jobs.taskValues.set("created", created)
print(f"Created {', '.join(created)}" if created else f"{predictions_table} and {baseline_table} exist already")
