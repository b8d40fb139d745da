# Databricks notebook source
# MAGIC %md
# MAGIC # Train
# MAGIC Trains a project's model (its `projects/<project>/model.py`) on a point-in-time training set,
# MAGIC registers it and gives the new version the `Challenger` alias. Shared by every project. The new
# MAGIC version starts the project's deployment job (evaluation, approval, promotion), to which this
# MAGIC task connects the registered model first.

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
dbutils.widgets.text("raw_table", "", "Raw table (labels)")
dbutils.widgets.text("feature_table", "", "Feature table")
dbutils.widgets.text("model_name", "", "Registered model")
dbutils.widgets.text("experiment_name", "", "MLflow experiment")
dbutils.widgets.text("variant", "", "Config variant (for a project of several models: which one)")
dbutils.widgets.text("sample_fraction", "1", "Share of the entities to train on (a stable sample)")
dbutils.widgets.text("deployment_job_id", "", "Deployment job that each new version starts (empty: none)")

# COMMAND ----------

from common.lifecycle.metrics import headline
from common.lifecycle.training import train
from common.lifecycle.training_set import parse_sample_fraction
from common.projects import model_spec, project_module
from common.runtime import feature_store_client

project, variant = dbutils.widgets.get("project"), dbutils.widgets.get("variant")
SPEC = model_spec(project, variant)

result = train(
    spark,
    feature_store_client(),
    SPEC,
    project_module(project, "settings").load_settings(variant),
    raw_table=dbutils.widgets.get("raw_table"),
    feature_table=dbutils.widgets.get("feature_table"),
    model_name=dbutils.widgets.get("model_name"),
    experiment_name=dbutils.widgets.get("experiment_name"),
    sample_fraction=parse_sample_fraction(dbutils.widgets.get("sample_fraction")),
    variant=variant,
    deployment_job_id=dbutils.widgets.get("deployment_job_id"),
)
dbutils.jobs.taskValues.set("model_name", result.model_name)
dbutils.jobs.taskValues.set("model_version", result.version)
metrics = {k: round(v, 4) for k, v in result.metrics.items()}
dbutils.jobs.taskValues.set("holdout_metrics", metrics)
dbutils.jobs.taskValues.set("headline", headline(SPEC, result.metrics, result.baseline))
if result.unlabelled_rows:
    print(f"{result.unlabelled_rows} rows of {dbutils.widgets.get('raw_table')} have no label yet (null) and were "
          "left out of training and of the holdout")
print(f"{result.model_name} version {result.version} is Challenger; holdout metrics {metrics}")
