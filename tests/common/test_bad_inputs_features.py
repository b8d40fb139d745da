"""Bad raw data at the features stage, for every project: its features.py declares the columns it
reads with their types and the raw table's key (SOURCE_SCHEMA, SOURCE_KEYS), and each mistake in the
raw table is one message naming the table and the column, given before a feature is computed; the
feature table keeps its last commit and its rows.

Each project's raw table here is a few placeholder rows made from that declaration, so a new project
is covered the day it is added.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from datetime import date

import pytest
from pyspark.sql import functions as F

from common import tables
from common.lifecycle.features import write_feature_table
from common.projects import project_module
from tests.common.bad_inputs import PROJECTS, placeholder_rows, snapshot

# Values for the parameters of a write_features beyond its tables, by name (clv's cut-offs fall after
# the placeholder rows' dates). A new parameter needs an entry here; the test says so.
ARGUMENTS = {"cutoffs": [date(1997, 7, 1)]}


@dataclass
class Source:
    project: str
    schema: dict[str, str]
    keys: list[str]
    raw: str  # a good raw table of placeholder rows
    features: str  # the feature table made from it

    def write(self, spark, fe, raw_table: str):
        """The project's write_features from `raw_table` into the feature table."""
        write_features = project_module(self.project, "features").write_features
        names = list(inspect.signature(write_features).parameters)[4:]
        missing = [n for n in names if n not in ARGUMENTS]
        assert not missing, f"add an example value of {missing} to ARGUMENTS in {__file__}"
        return write_features(spark, fe, raw_table, self.features, *(ARGUMENTS[n] for n in names))

    def column(self, kinds: tuple[str, ...]) -> str:
        """The first column that is no key, of one of `kinds`."""
        return next(c for c, k in self.schema.items() if c not in self.keys and k in kinds)


@pytest.fixture(scope="module", params=PROJECTS)
def source(request, spark, fe) -> Source:
    features = project_module(request.param, "features")
    namespace = f"test.bad_features_{request.param}"
    found = Source(request.param, dict(features.SOURCE_SCHEMA), list(features.SOURCE_KEYS), f"{namespace}.raw",
                   f"{namespace}.features")
    tables.write_table(spark, placeholder_rows(spark, found.schema), found.raw)
    assert found.write(spark, fe, found.raw) > 0  # the good rows make features
    return found


def _refused(spark, fe, source: Source, raw_df, name: str, match: str) -> None:
    """Land `raw_df` as a raw table, and check that the features stage refuses it with `match` and
    leaves the feature table as it was."""
    bad = f"{source.raw}_{name}"
    if raw_df is not None:
        tables.write_table(spark, raw_df, bad)
    before = snapshot(spark, [source.features])
    with pytest.raises((LookupError, ValueError), match=match):
        source.write(spark, fe, bad)
    assert snapshot(spark, [source.features]) == before


def test_a_missing_raw_table(spark, fe, source):
    _refused(spark, fe, source, None, "missing", rf"^Table {source.raw}_missing does not exist")


def test_a_missing_column(spark, fe, source):
    column = source.column(("string", "double", "bigint", "int", "date", "timestamp"))
    df = tables.read_table(spark, source.raw).drop(column)
    _refused(spark, fe, source, df, "dropped", rf"^Table {source.raw}_dropped has no column '{column}'; its columns: ")


def test_a_renamed_column_is_named_with_its_likely_new_name(spark, fe, source):
    """Before, a renamed column of a raw table could surface as a raw Spark error."""
    column = source.column(("string", "double", "bigint", "int", "date", "timestamp"))
    df = tables.read_table(spark, source.raw).withColumnRenamed(column, f"{column}_new")
    _refused(spark, fe, source, df, "renamed",
             rf"^Table {source.raw}_renamed has no column '{column}'; .*\(was '{column}' renamed '{column}_new'\?\)$")


def test_a_number_column_of_strings(spark, fe, source):
    column = source.column(("double", "bigint", "int", "long"))
    df = tables.read_table(spark, source.raw).withColumn(column, F.lit("n/a"))
    _refused(spark, fe, source, df, "retyped",
             rf"^Table {source.raw}_retyped column {column}: expected {source.schema[column]}, found string$")


def test_a_time_column_of_strings(spark, fe, source):
    """Before, a timestamp as text reached the feature table's MERGE as a Delta cast error."""
    column = next(c for c, k in source.schema.items() if k in ("timestamp", "date"))
    df = tables.read_table(spark, source.raw).withColumn(column, F.col(column).cast("string"))
    _refused(spark, fe, source, df, "text_time",
             rf"^Table {source.raw}_text_time column {column}: expected {source.schema[column]}, found string$")


def test_an_empty_raw_table(spark, fe, source):
    _refused(spark, fe, source, tables.read_table(spark, source.raw).limit(0), "empty",
             rf"^Table {source.raw}_empty has no rows$")


def test_a_duplicate_key(spark, fe, source):
    raw = tables.read_table(spark, source.raw)
    _refused(spark, fe, source, raw.unionByName(raw.limit(1)), "duplicate",
             rf"^Table {source.raw}_duplicate has more than one row for key .* \({', '.join(source.keys)} must be "
             r"unique\)$")


def test_a_null_key(spark, fe, source):
    """Before, a row with a null key vanished from the features without a word."""
    key = source.keys[0]
    raw = tables.read_table(spark, source.raw)
    first = raw.limit(1).collect()[0][key]
    df = raw.withColumn(key, F.when(F.col(key) == F.lit(first), None).otherwise(F.col(key)))
    _refused(spark, fe, source, df, "null_key",
             rf"^Table {source.raw}_null_key column {key}: 1 of 4 rows have no value \(null\), and it is a key$")


def test_features_that_no_longer_fit_the_feature_table(spark, fe, source):
    """A feature of another type, or one gone, is refused before the MERGE, naming the column."""
    table = fe.read_table(name=source.features)
    key_columns = set(fe.get_table(name=source.features).primary_keys)
    feature = next(c for c in table.columns if c not in key_columns)
    before = snapshot(spark, [source.features])
    common = {"primary_keys": list(key_columns), "timeseries_column": "", "description": ""}
    with pytest.raises(ValueError, match=rf"^Features computed for {source.features} column {feature}: expected "
                                         r"\w+, found string$"):
        write_feature_table(spark, fe, table.withColumn(feature, F.lit("x")), source.features, **common)
    with pytest.raises(ValueError, match=rf"^Features computed for {source.features} lack its column\(s\) "
                                         rf"{re.escape(feature)}: "):
        write_feature_table(spark, fe, table.drop(feature), source.features, **common)
    assert snapshot(spark, [source.features]) == before
