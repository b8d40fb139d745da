"""Feature tables: a project computes its features as a DataFrame; this writes them, the same way
for every project, so that a rerun on the same rows leaves the table unchanged."""

from __future__ import annotations

from common import tables


def write_feature_table(spark, fe, features, feature_table: str, *, primary_keys: list[str],
                        timeseries_column: str, description: str) -> int:
    """Create the feature table from `features` the first time, merge into it on its keys after
    that. Returns the table's row count."""
    if tables.table_exists(spark, feature_table):
        fe.write_table(name=feature_table, df=features, mode="merge")
    else:
        fe.create_table(name=feature_table, primary_keys=primary_keys, timeseries_column=timeseries_column,
                        df=features, description=description)
    return fe.read_table(name=feature_table).count()
