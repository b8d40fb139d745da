"""Batch inference: the Champion scores every row of a table, and the predictions are upserted."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import functions as F

from common import registry, table_checks, tables
from common.lifecycle import predictions
from common.lifecycle.spec import ModelSpec
from common.lifecycle.training import FEATURE_TABLE_TAG
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
        registry.require_model(model_name)
        raise LookupError(f"Registered model {model_name} has no {registry.CHAMPION} alias; train and deploy a model first")
    version = str(champion.version)
    keys = spec.prediction_keys
    rows = segment_rows(spark, spec, input_table, keys)
    _require_trained_features(spark, champion, keys)
    rows_scored = rows.count()
    scored = fe.score_batch(model_uri=registry.model_uri(model_name, version), df=rows)
    _require_features(scored, rows.columns, rows_scored, model_name, version, input_table)
    typed = dict(predictions.columns(spec))
    written = scored.select(
        *[F.col(k).cast(typed[k]).alias(k) for k in keys],
        F.col("prediction").cast(predictions.VALUE_TYPE).alias(predictions.PREDICTION),
        F.lit(model_name).alias(predictions.MODEL_NAME),
        F.lit(version).alias(predictions.MODEL_ID),
        F.current_timestamp().alias(predictions.SCORED_AT),
    )
    # Every column but the outcome, which the monitoring job fills: a rerun keeps what it learnt.
    predictions.ensure_table(spark, spec, output_table)
    tables.merge_into(spark, written, output_table, keys, only_columns=True)
    return InferenceResult(model_name, version, rows_scored, tables.read_table(spark, output_table).count())


def _require_trained_features(spark, champion, keys: list[str]) -> None:
    """The feature table the version was trained on (its tag) still has every feature the model takes
    (its signature), so that a feature dropped or renamed since is named here, before any row is scored."""
    import mlflow

    feature_table = champion.tags.get(FEATURE_TABLE_TAG)
    if not feature_table:  # a version trained before versions recorded it
        return
    uri = registry.model_uri(champion.name, champion.version)
    signature = mlflow.models.get_model_info(uri).signature
    if signature is None:
        return
    needed = [c for c in signature.inputs.input_names() if c not in keys]
    table_checks.require_columns(tables.read_table(spark, feature_table), needed,
                           f"Feature table {feature_table}, which {champion.name} version {champion.version} "
                           "was trained on,")


def _require_features(scored, input_columns: list[str], rows: int, model_name: str, version: str,
                      input_table: str) -> None:
    """Every row must have found its features: a row with none (an empty or stale feature table)
    would be scored on nulls, and its prediction would replace a good one."""
    features = [c for c in scored.columns if c not in input_columns and c != "prediction"]
    if not features:
        return
    found_any = reduce(operator.or_, [F.col(c).isNotNull() for c in features])
    missing = scored.filter(~found_any).count()  # reads feature columns only: the model does not run for it
    if missing:
        raise table_checks.TableContentError(
            f"{missing} of {rows} rows of {input_table} found no features for {model_name} version {version} "
            f"(none of {', '.join(features[:5])}{', ...' if len(features) > 5 else ''}): is its feature table empty "
            "or behind the input? Run the feature engineering job first; no prediction was written")

