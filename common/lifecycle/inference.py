"""Batch inference: the Champion scores every row of a table, and the predictions are upserted."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import functions as F

from common import registry, tables
from common.lifecycle.spec import ModelSpec
from common.lifecycle.training_set import segment_rows


@dataclass
class InferenceResult:
    model_name: str
    version: str
    rows_scored: int
    table_rows: int


def batch_inference(spark, fe, spec: ModelSpec, *, model_name: str, input_table: str,
                    output_table: str) -> InferenceResult:
    """Score every (keys, timestamp) row of the input table (of the model's segment); features come
    from the feature table the model was trained with. A rerun replaces a row's prediction instead
    of adding one."""
    champion = registry.version_by_alias(model_name, registry.CHAMPION)
    if champion is None:
        raise LookupError(f"Registered model {model_name} has no {registry.CHAMPION} alias; train and deploy a model first")
    version = str(champion.version)
    keys = spec.prediction_keys
    rows = segment_rows(spark, spec, input_table, keys)
    rows_scored = rows.count()
    scored = fe.score_batch(model_uri=registry.model_uri(model_name, version), df=rows)
    predictions = scored.select(
        *keys,
        F.col("prediction").cast("double").alias("prediction"),
        F.lit(model_name).alias("model_name"),
        F.lit(version).alias("model_version"),
        F.current_timestamp().alias("scored_at"),
    )
    tables.merge_into(spark, predictions, output_table, keys)
    return InferenceResult(model_name, version, rows_scored, tables.read_table(spark, output_table).count())
