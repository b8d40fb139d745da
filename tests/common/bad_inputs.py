"""What the bad-input suites (test_bad_inputs_*.py) share: a snapshot of the tables and models a
failed step could have changed, tiny tables built from a schema or a project's ModelSpec, and the
projects with their specs, found as common/projects.py finds them."""

from __future__ import annotations

from datetime import datetime, timedelta

from mlflow.exceptions import MlflowException

from common import registry, table_checks, tables
from common.lifecycle.spec import ModelSpec
from common.projects import discover_projects, model_spec, project_module

PROJECTS = discover_projects()
START = datetime(1997, 1, 1)  # the placeholder rows' first time (clv's cut-offs fall after it)


def project_spec(project: str) -> ModelSpec:
    """The project's model, or its first model when it has several (model.py's VARIANTS)."""
    model = project_module(project, "model")
    return model_spec(project, model.VARIANTS[0] if hasattr(model, "spec_for") else "")


# --- nothing half-changed ----------------------------------------------------------------------

def delta_version(name: str) -> int | None:
    """The latest commit of a local Delta table (None when there is none)."""
    log = tables.location(name) / "_delta_log"
    commits = [int(p.stem) for p in log.glob("*.json")]
    return max(commits) if commits else None


def model_state(name: str):
    """A registered model's versions and aliases (None when the registry has no such model)."""
    client = registry.client()
    try:
        model = client.get_registered_model(name)
    except MlflowException:
        return None
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))
    return versions, dict(model.aliases)


def snapshot(spark, table_names=(), model_names=()) -> dict:
    """Every table's latest commit (any write makes one), every model's versions and aliases: what a
    failed step must leave as it found it."""
    state = {}
    for name in table_names:
        state[name] = delta_version(name) if tables.table_exists(spark, name) else None
    for name in model_names:
        state[name] = model_state(name)
    return state


# --- tiny tables -------------------------------------------------------------------------------

def placeholder(kind: str, column: str, i: int):
    """A value of a column of the given type for row i: distinct per row, so keys are unique."""
    kind = {"number": "double", "long": "bigint", "integer": "int"}.get(kind, kind)
    if kind == "string":
        return f"{column}_{i}"
    if kind in ("double", "float") or kind.startswith("decimal"):
        return float(i + 1)
    if kind in ("bigint", "int", "smallint", "tinyint"):
        return i + 1
    if kind == "timestamp":
        return START + timedelta(days=i)
    if kind == "date":
        return (START + timedelta(days=i)).date()
    if kind == "boolean":
        return i % 2 == 0
    raise ValueError(f"No placeholder for a column of type {kind}")


def ddl(schema: dict[str, str]) -> str:
    return ", ".join(f"{c} {'double' if k == table_checks.NUMBER else k}" for c, k in schema.items())


def placeholder_rows(spark, schema: dict[str, str], rows: int = 4):
    """`rows` rows of the schema's columns and types, each value distinct."""
    data = [tuple(placeholder(kind, column, i) for column, kind in schema.items()) for i in range(rows)]
    return spark.createDataFrame(data, ddl(schema))


def label_schema(spec: ModelSpec) -> dict[str, str]:
    """The columns training, inference and monitoring read of a raw (label) table, as its types:
    the keys, the label time, the label (a string here) and the segment's columns."""
    keys = {k: spec.key_types.get(k, "string") for k in spec.keys}
    return {**keys, spec.timestamp: spec.key_types.get(spec.timestamp, "timestamp"), spec.label: "string",
            **dict.fromkeys(spec.segment, "string")}


def label_rows(spark, spec: ModelSpec, rows: int = 6):
    """A raw (label) table of the spec's shape whose labels are not known yet (null), every row of
    the model's segment."""
    from pyspark.sql import functions as F

    df = placeholder_rows(spark, label_schema(spec), rows).withColumn(spec.label, F.lit(None).cast("string"))
    for column, value in spec.segment.items():
        df = df.withColumn(column, F.lit(value))
    return df


def feature_table_keys(spec: ModelSpec) -> tuple[list[str], str]:
    """The feature table's primary keys and its timeseries column (the key that is not an entity key)."""
    keys = list(spec.feature_keys) or [*spec.keys, "feature_timestamp"]
    return keys, next(k for k in keys if k not in spec.keys)


def create_feature_table(spark, fe, spec: ModelSpec, name: str, label_table: str) -> None:
    """A feature table with two features for each row of the label table, stamped at its label time."""
    from pyspark.sql import functions as F

    keys, timeseries = feature_table_keys(spec)
    labels = tables.read_table(spark, label_table)
    features = labels.select(*spec.keys, F.col(spec.timestamp).cast("timestamp").alias(timeseries),
                             F.lit(1.0).alias("x1"), F.lit(2.0).alias("x2"))
    fe.create_table(name=name, primary_keys=keys, timeseries_column=timeseries, df=features)
