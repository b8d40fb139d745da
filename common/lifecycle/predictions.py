"""A model's predictions table, in the shape its quality monitor (an inference-log profile) reads:
the scored row's keys and label time, `prediction`, `label` (the outcome, null until the
monitoring job learns it), `model_name`, `model_version` (the monitor's model id) and `scored_at`
(its timestamp). Batch inference writes every column but `label`; the monitoring job writes only
`label`. The baseline table, `<model name>_baseline`, has the same columns: the Champion's training
rows with its predictions, written when a version becomes Champion.
"""

from __future__ import annotations

import uuid

from pyspark.sql import functions as F

from common import table_checks, tables
from common.lifecycle.spec import ModelSpec

PREDICTION, LABEL, MODEL_NAME, MODEL_ID, SCORED_AT = "prediction", "label", "model_name", "model_version", "scored_at"
# Label and prediction share a type, so that the monitor compares like with like: a class number or
# a value, as a double.
VALUE_TYPE = "double"
BASELINE_SUFFIX = "_baseline"


def baseline_table(model_name: str) -> str:
    """The baseline table of a registered model: beside it, in the model's catalog and schema."""
    return f"{model_name}{BASELINE_SUFFIX}"


def columns(spec: ModelSpec) -> list[tuple[str, str]]:
    """(column, Spark SQL type) of a predictions table, in order. Keys are strings and the label
    time a timestamp unless the spec says otherwise (ModelSpec.key_types)."""
    keys = [(k, spec.key_types.get(k, "string")) for k in spec.keys]
    when = (spec.timestamp, spec.key_types.get(spec.timestamp, "timestamp"))
    return [*keys, when, (PREDICTION, VALUE_TYPE), (LABEL, VALUE_TYPE), (MODEL_NAME, "string"),
            (MODEL_ID, "string"), (SCORED_AT, "timestamp")]


def ddl(spec: ModelSpec) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in columns(spec))


def ensure_table(spark, spec: ModelSpec, name: str) -> bool:
    """Create the table, empty, if it is missing; give an older one its `label` column. True when created."""
    if not tables.table_exists(spark, name):
        tables.write_table(spark, spark.createDataFrame([], ddl(spec)), name)
        return True
    existing = tables.read_table(spark, name)
    missing = [c for c, _ in columns(spec) if c not in existing.columns]
    if missing == [LABEL]:
        try:
            spark.sql(f"ALTER TABLE {tables.sql_name(name)} ADD COLUMNS ({LABEL} {VALUE_TYPE})")
        except Exception as exc:  # the local engine (Sail) cannot alter a table; each engine words it its own way
            raise table_checks.TableContentError(
                f"Table {name} predates the column '{LABEL}' that monitoring fills, and this engine cannot add "
                f"it ({type(exc).__name__}): drop the table (batch inference writes it again) or add the column "
                f"{LABEL} {VALUE_TYPE}") from None
    elif missing:
        table_checks.require_columns(existing, [c for c, _ in columns(spec)], f"Predictions table {name}")
    return False


def create_tables(spark, spec: ModelSpec, predictions_table: str, baseline: str) -> list[str]:
    """The predictions and baseline tables a quality monitor needs before it can be created (a
    bundle deploy runs this first, through a job run); returns the names of those it created."""
    for name, what in ((predictions_table, "predictions_table"), (baseline, "baseline_table")):
        if not name:
            raise ValueError(f"The parameter '{what}' is empty: name the table catalog.schema.table")
        tables.split_name(name)
    if predictions_table == baseline:
        raise ValueError(f"predictions_table and baseline_table are both {predictions_table}: they must differ")
    return [name for name in (predictions_table, baseline) if ensure_table(spark, spec, name)]


def record_outcomes(spark, spec: ModelSpec, predictions_table: str, labels_table: str) -> None:
    """Copy the outcomes known in the labels table into the predictions' `label` column, in one
    MERGE: a failure changes no row, and a rerun rewrites none."""
    keys = spec.prediction_keys
    ensure_table(spark, spec, predictions_table)
    # The label time has the type the predictions table gives it, so that the outcomes meet their rows.
    typed = {**dict.fromkeys(keys), spec.timestamp: dict(columns(spec))[spec.timestamp], spec.label: None}
    labels = tables.read_table(spark, labels_table, columns=list(typed))
    table_checks.require_types(labels, {c: t for c, t in typed.items() if t}, f"Table {labels_table}")
    labels = labels.select(*keys, spec.label_values(F.col(spec.label)).cast(VALUE_TYPE).alias(LABEL))
    # A null key meets no prediction and a key twice would give a row two outcomes: both are refused.
    table_checks.require_keys(labels, keys, f"Outcomes in {labels_table}", non_empty=False)
    view = f"outcomes_{uuid.uuid4().hex[:12]}"
    labels.createOrReplaceTempView(view)
    try:
        on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
        spark.sql(f"MERGE INTO {tables.sql_name(predictions_table)} t USING {view} s ON {on} "
                  f"WHEN MATCHED AND NOT (t.{LABEL} <=> s.{LABEL}) THEN UPDATE SET t.{LABEL} = s.{LABEL}")
    finally:
        spark.catalog.dropTempView(view)


def write_baseline(spark, spec: ModelSpec, model_name: str, version: str, reference) -> str:
    """Replace the model's baseline table with its Champion's training rows (a pandas frame with the
    label and the model's prediction, as training logs them): the monitor's drift reference."""
    missing = [c for c in (spec.label, PREDICTION) if c not in reference.columns]
    if missing or reference.empty:
        raise ValueError(f"The training rows of {model_name} version {version} have no rows or lack {missing}: "
                         "retrain it to log them")
    name = baseline_table(model_name)
    rows = spark.createDataFrame(reference[[spec.label, PREDICTION]].astype("float64").rename(
        columns={spec.label: LABEL}))
    typed = {c: t for c, t in columns(spec)}
    values = {PREDICTION: F.col(PREDICTION), LABEL: F.col(LABEL), MODEL_NAME: F.lit(model_name),
              MODEL_ID: F.lit(str(version)), SCORED_AT: F.current_timestamp()}
    baseline = rows.select(*[(values.get(c) if c in values else F.lit(None)).cast(t).alias(c) for c, t in typed.items()])
    tables.write_table(spark, baseline, name)
    return name


def publish_baseline(spark, spec: ModelSpec, model_name: str, version: str) -> str:
    """Where predictions tables have quality monitors (a workspace), write the new Champion's
    baseline table from the training rows its run logged, and return its name; "" elsewhere, where
    the Evidently report reads those rows itself."""
    from common import runtime
    from common.lifecycle import reports

    if not runtime.has_quality_monitors():
        return ""
    reference = reports.load_reference(model_name, str(version))
    if reference is None:
        raise LookupError(f"{model_name} version {version} logged no training rows ({reports.REFERENCE_ARTIFACT}), "
                          "which its quality monitor's baseline needs: retrain it")
    return write_baseline(spark, spec, model_name, version, reference)
