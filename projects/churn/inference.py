"""Batch inference: score customers with the Champion and upsert the predictions table."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import functions as F

from common import registry, tables
from projects.churn.training import ID, LABEL_TIME

PREDICTION_KEYS = [ID, LABEL_TIME]


@dataclass
class InferenceResult:
    model_name: str
    version: str
    rows_scored: int
    table_rows: int


def batch_inference(spark, fe, *, model_name: str, input_table: str, output_table: str) -> InferenceResult:
    """Score every (customer, snapshot) of the input table; features come from the feature table
    the model was trained with. A rerun replaces a row's prediction instead of adding one."""
    champion = registry.version_by_alias(model_name, registry.CHAMPION)
    if champion is None:
        raise LookupError(f"Registered model {model_name} has no {registry.CHAMPION} alias; train and deploy a model first")
    version = str(champion.version)
    rows = tables.read_table(spark, input_table, columns=PREDICTION_KEYS, non_empty=True).select(*PREDICTION_KEYS)
    rows_scored = rows.count()
    scored = fe.score_batch(model_uri=registry.model_uri(model_name, version), df=rows)
    predictions = scored.select(
        *PREDICTION_KEYS,
        F.col("prediction").cast("double").alias("prediction"),
        F.lit(model_name).alias("model_name"),
        F.lit(version).alias("model_version"),
        F.current_timestamp().alias("scored_at"),
    )
    tables.merge_into(spark, predictions, output_table, PREDICTION_KEYS)
    return InferenceResult(model_name, version, rows_scored, tables.read_table(spark, output_table).count())
