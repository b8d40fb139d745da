"""Batch inference: the Champion scores every row of a table, and the predictions are upserted."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import functions as F

from common import registry, tables
from common.lifecycle import predictions
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
    of adding one, and keeps its known outcome (common/lifecycle/predictions.py)."""
    champion = registry.version_by_alias(model_name, registry.CHAMPION)
    if champion is None:
        raise LookupError(f"Registered model {model_name} has no {registry.CHAMPION} alias; train and deploy a model first")
    version = str(champion.version)
    keys = spec.prediction_keys
    rows = segment_rows(spark, spec, input_table, keys)
    rows_scored = rows.count()
    scored = fe.score_batch(model_uri=registry.model_uri(model_name, version), df=rows)
    typed = dict(predictions.columns(spec))
    written = scored.select(
        *[F.col(k).cast(typed[k]).alias(k) for k in keys],
        F.col("prediction").cast(predictions.VALUE_TYPE).alias(predictions.PREDICTION),
        F.lit(model_name).alias(predictions.MODEL_NAME),
        F.lit(version).alias(predictions.MODEL_ID),
        F.current_timestamp().alias(predictions.SCORED_AT),
    )
    if tables.table_exists(spark, output_table):
        # Every column but the outcome, which the monitoring job fills: a rerun keeps what it learnt.
        predictions.ensure_table(spark, spec, output_table)
        tables.merge_into(spark, written, output_table, keys, only_columns=True)
    else:  # a first run writes the table whole (a MERGE into an empty one costs seconds on 50k rows)
        outcome = F.lit(None).cast(predictions.VALUE_TYPE).alias(predictions.LABEL)
        tables.write_table(spark, written.select(*[outcome if c == predictions.LABEL else F.col(c)
                                                   for c, _ in predictions.columns(spec)]), output_table)
    return InferenceResult(model_name, version, rows_scored, tables.read_table(spark, output_table).count())
