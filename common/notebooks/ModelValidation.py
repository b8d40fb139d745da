# Databricks notebook source
# MAGIC %md
# MAGIC # Model validation
# MAGIC Evaluates the Challenger on held-out rows against the thresholds in the project's
# MAGIC config/project.yml and against the current Champion. Modes: `disabled`, `dry_run`, `enabled`.
# MAGIC The first task of a deployment job: the job parameters name the model version.

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
model_name, version = dbutils.widgets.get("model_name"), dbutils.widgets.get("model_version")

# COMMAND ----------

from common.lifecycle.training import trained_variant
from common.lifecycle.training_set import parse_sample_fraction
from common.lifecycle.validation import validate, verdict_on_error
from common.projects import model_spec, project_module
from common.runtime import feature_store_client

# Whatever stops the version from being judged, a refused parameter included, is its verdict (ERROR).
with verdict_on_error(model_name, version):
    dbutils.widgets.text("project", "", "Project (its folder under projects/)")
    dbutils.widgets.text("raw_table", "", "Raw table (labels)")
    dbutils.widgets.text("feature_table", "", "Feature table")
    dbutils.widgets.text("experiment_name", "", "MLflow experiment")
    dbutils.widgets.dropdown("validation_mode", "enabled", ["disabled", "dry_run", "enabled"], "Run mode")
    dbutils.widgets.text("variant", "", "Config variant (default: the one that trained the version)")
    dbutils.widgets.text("sample_fraction", "1", "Share of the entities trained on (the same stable sample)")

    project = dbutils.widgets.get("project")
    variant = dbutils.widgets.get("variant") or trained_variant(model_name, version)
    outcome = validate(
        spark,
        feature_store_client(),
        model_spec(project, variant),
        project_module(project, "settings").load_settings(variant),
        model_name=model_name,
        version=version,
        raw_table=dbutils.widgets.get("raw_table"),
        feature_table=dbutils.widgets.get("feature_table"),
        experiment_name=dbutils.widgets.get("experiment_name"),
        mode=dbutils.widgets.get("validation_mode"),
        sample_fraction=parse_sample_fraction(dbutils.widgets.get("sample_fraction")),
    )

# COMMAND ----------

dbutils.jobs.taskValues.set("validation_status", outcome.status)
dbutils.jobs.taskValues.set("candidate_metrics", outcome.candidate_metrics)
dbutils.jobs.taskValues.set("champion_version", outcome.champion_version)
dbutils.jobs.taskValues.set("champion_metrics", outcome.champion_metrics)
against = (f"Champion v{outcome.champion_version} {outcome.champion_metrics}" if outcome.champion_metrics
           else f"Champion v{outcome.champion_version} not compared" if outcome.champion_version
           else "no Champion yet, absolute thresholds only")
print(f"Validation {outcome.status} ({outcome.mode}): candidate {outcome.candidate_metrics}; {against}. {outcome.message}")
