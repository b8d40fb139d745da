# Databricks notebook source
# MAGIC %md
# MAGIC # Model deployment
# MAGIC Moves the `Champion` alias to the validated, approved version, recording who, when, why and
# MAGIC which version it replaced. A failed validation moves no alias. The last task of a deployment job.
# MAGIC On a workspace the new Champion's training rows become its quality monitor's baseline table.

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

dbutils.widgets.text("model_name", "", "Registered model")
dbutils.widgets.text("model_version", "", "Model version")
dbutils.widgets.text("serving_endpoint", "", "Serving endpoint of the Champion (empty: not served)")
dbutils.widgets.text("project", "", "Project (its folder under projects/; empty: no monitor baseline)")

# COMMAND ----------

from common.lifecycle.deployment import deploy
from common.lifecycle.training import trained_variant
from common.projects import model_spec, project_module

model_name, model_version, project = (dbutils.widgets.get(k) for k in ("model_name", "model_version", "project"))
spec = None
if project:  # the project's spec first: a misnamed project fails here, before any alias moves
    project_module(project, "model")
    spec = model_spec(project, trained_variant(model_name, model_version))
outcome = deploy(model_name, model_version, serving_endpoint=dbutils.widgets.get("serving_endpoint"))
dbutils.jobs.taskValues.set("model_name", outcome.model_name)
dbutils.jobs.taskValues.set("model_version", outcome.version)
dbutils.jobs.taskValues.set("promoted", outcome.promoted)
dbutils.jobs.taskValues.set("aliases", outcome.aliases)
print(f"{outcome.model_name} version {outcome.version}: {'promoted' if outcome.promoted else 'not promoted'} "
      f"({outcome.reason}); aliases {outcome.aliases}")
if outcome.endpoint:
    dbutils.jobs.taskValues.set("serving_endpoint", outcome.endpoint)
    print(f"Serving endpoint {outcome.endpoint}: {outcome.endpoint_change}, serves version {outcome.version}")

if outcome.promoted and spec:
    from common.lifecycle.predictions import publish_baseline

    baseline = publish_baseline(spark, spec, outcome.model_name, outcome.version)
    if baseline:
        print(f"Baseline of its quality monitor: {baseline}")
