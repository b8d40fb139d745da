"""Feature tables: a project computes its features as a DataFrame; this writes them, the same way
for every project, so that a rerun on the same rows leaves the table unchanged."""

from __future__ import annotations

from common import table_checks, tables


def write_feature_table(spark, fe, features, feature_table: str, *, primary_keys: list[str],
                        timeseries_column: str, description: str) -> int:
    """Create the feature table from `features` the first time, merge into it on its keys after
    that. Returns the table's row count. Features that no longer fit the table (a column gone, or of
    another type) are refused before anything is written."""
    if tables.table_exists(spark, feature_table):
        require_fit(features, fe.read_table(name=feature_table), feature_table)
        fe.write_table(name=feature_table, df=features, mode="merge")
    else:
        fe.create_table(name=feature_table, primary_keys=primary_keys, timeseries_column=timeseries_column,
                        df=features, description=description)
    return fe.read_table(name=feature_table).count()


def require_fit(features, table, feature_table: str) -> None:
    """The computed features have every column of the feature table, each of its kind of type:
    "Features computed for x.y.z column tenure: expected double, found string"."""
    schema = {f.name: f.dataType.simpleString() for f in table.schema.fields}
    gone = [c for c in schema if c not in features.columns]
    if gone:
        raise table_checks.TableContentError(
            f"Features computed for {feature_table} lack its column(s) {', '.join(gone)}: a feature removed or "
            "renamed in features.py cannot be merged into the rows written before; write the new feature set to "
            "a new feature table (or drop this one) and retrain")
    table_checks.require_types(features, schema, f"Features computed for {feature_table}")
