"""Tables by their three-level names, `catalog.schema.table`, on every engine.

On Databricks (and any remote Spark Connect server such as Databricks Connect) the name goes to
the catalog as it is. Locally each table is a Delta folder under
``<lakehouse>/tables/<catalog>/<schema>/<table>`` and is registered again in every new session,
so a table written by one job is found by the next. Classic Spark has no third name level, so
there ``catalog.schema`` becomes the database ``catalog__schema``.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from common import env
from common.table_checks import (
    require_columns,
    require_keys,
    require_rows,
    require_types,
    require_unique,
)

_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TableNotFoundError(LookupError):
    pass


class TableConflictError(RuntimeError):
    """Another job kept committing to the table while this one wrote it."""


# What Delta says when another writer committed first (Delta Lake's Concurrent*Exception and
# ProtocolChangedException on Spark and Databricks; delta-rs' messages on Sail). Nothing of the
# losing write is committed, and every write here is a whole MERGE, overwrite or append, so trying
# it again on the new version is what a rerun would do.
_CONFLICT = re.compile(r"Concurrent\w*Exception|ProtocolChangedException|Failed to commit transaction|"
                       r"Metadata changed since last commit|DELTA_CONCURRENT")
COMMIT_ATTEMPTS = 5


def split_name(name: str) -> tuple[str, str, str]:
    parts = name.split(".") if isinstance(name, str) else []
    if len(parts) != 3 or not all(_PART.match(p) for p in parts):
        raise ValueError(f"Table name {name!r} is not a three-level name catalog.schema.table (letters, digits, _)")
    return parts[0], parts[1], parts[2]


def location(name: str) -> Path:
    """The Delta folder of a local table."""
    return env.lakehouse_dir().joinpath("tables", *split_name(name))


def sql_name(name: str) -> str:
    """How the engine in use spells the table in SQL and in `spark.table`."""
    catalog, schema, table = split_name(name)
    if env.uses_local_tables() and env.spark_engine() == "jvm":
        return f"`{catalog}__{schema}`.`{table}`"
    return f"`{catalog}`.`{schema}`.`{table}`"


def _database(name: str) -> str:
    return sql_name(name).rsplit(".", 1)[0]


def table_exists(spark, name: str) -> bool:
    if env.uses_local_tables():
        return _committed(location(name) / "_delta_log")
    return spark.catalog.tableExists(name)


def _committed(log_dir: Path) -> bool:
    """A Delta log with a first commit, not only its folder: a write killed before it committed
    left no table."""
    return any(log_dir.glob("*.json"))


def register(spark, name: str) -> None:
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {_database(name)}")
    spark.sql(f"CREATE TABLE IF NOT EXISTS {sql_name(name)} USING DELTA LOCATION '{location(name)}'")


def register_all(spark) -> list[str]:
    """Register every Delta folder of the lakehouse in a new session."""
    if not env.uses_local_tables():
        return []
    names = []
    for log_dir in sorted((env.lakehouse_dir() / "tables").glob("*/*/*/_delta_log")):
        if not _committed(log_dir):
            continue
        table_dir = log_dir.parent
        name = f"{table_dir.parent.parent.name}.{table_dir.parent.name}.{table_dir.name}"
        register(spark, name)
        names.append(name)
    return names


def read_table(spark, name: str, *, columns: list[str] | tuple[str, ...] | Mapping[str, str] = (),
               non_empty: bool = False, keys: list[str] | tuple[str, ...] = ()):
    """Read a table, failing with one clear message if it, or one of `columns`, is missing. Given
    `columns` as a mapping of column to type, each must have that kind of type (require_types);
    given `keys`, no key may be null and no two rows may share one."""
    if not table_exists(spark, name):
        where = f" (no Delta table at {location(name)})" if env.uses_local_tables() else ""
        raise TableNotFoundError(f"Table {name} does not exist{where}")
    df = spark.table(sql_name(name))
    what = f"Table {name}"
    if isinstance(columns, Mapping):
        require_types(df, columns, what)
    else:
        require_columns(df, columns, what)
    if keys:
        require_keys(df, keys, what, non_empty=non_empty)
    elif non_empty:
        require_rows(df, what)
    return df


def write_table(spark, df, name: str, mode: str = "overwrite") -> None:
    """Write a DataFrame as a Delta table (overwrite or append), creating it if needed, in one commit."""
    if mode not in ("overwrite", "append"):
        raise ValueError(f"write mode {mode!r} for {name} must be 'overwrite' or 'append'")
    _committing(name, lambda: _write(spark, df, name, mode))


def _committing(name: str, write: Callable[[], None]) -> None:
    """Run `write`, again when another writer committed to `name` first (up to COMMIT_ATTEMPTS
    times, after a short random wait), and say so by the table's name when it keeps losing."""
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        try:
            return write()
        except Exception as error:
            if not _CONFLICT.search(str(error)):
                raise
            if attempt == COMMIT_ATTEMPTS:
                raise TableConflictError(
                    f"Table {name} was changed by another job while this one wrote it ({attempt} attempts; "
                    f"{str(error).strip().splitlines()[0][:200]}); nothing of this write was committed: run the "
                    "job again once the other one is done") from None
            time.sleep(random.uniform(0.1, 0.5) * attempt)


def _write(spark, df, name: str, mode: str) -> None:
    if not env.uses_local_tables():
        df.write.format("delta").mode(mode).option("overwriteSchema", mode == "overwrite").saveAsTable(name)
        return
    writer = _nullable(df).write.format("delta").mode(mode)
    if mode == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    writer.save(str(location(name)))
    register(spark, name)


def _nullable(df):
    """`df` with every column nullable (values unchanged), by a union with no rows of nullable
    columns; Sail's writer would drop a nullability set by a select. Sail's MERGE INTO a table slows
    down about twofold for each NOT NULL column the table has (16 columns: 14 s, 20: minutes), and a
    computed column is NOT NULL whenever Spark can prove it."""
    from pyspark.sql.types import StructField, StructType

    # Always: the nullability df.schema reports is not always what the writer will see.
    nullable = StructType([StructField(f.name, f.dataType, True) for f in df.schema.fields])
    return df.unionByName(df.sparkSession.createDataFrame([], nullable))


def merge_into(spark, df, name: str, keys: list[str], *, only_columns: bool = False) -> None:
    """Upsert rows by `keys`: a rerun with the same rows changes nothing and adds no row. With
    `only_columns`, only the columns of `df` are written: the table's other columns keep their
    values on a matched row and are null on a new one (the table must exist). One commit; a write
    that another job's commit got ahead of is merged again onto what that job wrote."""
    require_columns(df, keys, f"Rows for {name}")
    require_unique(df, keys, f"Rows for {name}")
    _committing(name, lambda: _merge(spark, df, name, keys, only_columns))


def _merge(spark, df, name: str, keys: list[str], only_columns: bool) -> None:
    if not table_exists(spark, name):
        if only_columns:
            raise TableNotFoundError(f"Table {name} does not exist; create it before merging some of its columns")
        _write(spark, df, name, "overwrite")
        return
    if only_columns:
        target = read_table(spark, name)
        if not target.limit(1).collect():  # an empty table (just created): appending is one commit, seconds faster
            from pyspark.sql import functions as F

            padded = df.select(*[F.col(f.name) if f.name in df.columns else
                                 F.lit(None).cast(f.dataType).alias(f.name) for f in target.schema.fields])
            _write(spark, padded, name, "append")
            return
    on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
    if only_columns:
        names = [f"`{c}`" for c in df.columns]
        update = "UPDATE SET " + ", ".join(f"t.{c} = s.{c}" for c in names)
        insert = f"INSERT ({', '.join(names)}) VALUES ({', '.join('s.' + c for c in names)})"
    else:
        update, insert = "UPDATE SET *", "INSERT *"
    view = f"merge_source_{uuid.uuid4().hex[:12]}"
    df.createOrReplaceTempView(view)
    try:
        spark.sql(f"MERGE INTO {sql_name(name)} t USING {view} s ON {on} "
                  f"WHEN MATCHED THEN {update} WHEN NOT MATCHED THEN {insert}")
    finally:
        spark.catalog.dropTempView(view)


def list_tables(spark, catalog: str, schema: str) -> list[str]:
    """The three-level names of the tables in `catalog.schema` (none when the schema is not there)."""
    split_name(f"{catalog}.{schema}.t")  # the same naming rule as tables
    if env.uses_local_tables():
        folder = env.lakehouse_dir() / "tables" / catalog / schema
        return sorted(f"{catalog}.{schema}.{log.parent.name}" for log in folder.glob("*/_delta_log") if _committed(log))
    if not spark.catalog.databaseExists(f"{catalog}.{schema}"):
        return []
    rows = spark.sql(f"SHOW TABLES IN `{catalog}`.`{schema}`").collect()
    return sorted(f"{catalog}.{schema}.{row.tableName}" for row in rows if not row.isTemporary)


def drop_table(spark, name: str) -> None:
    """Remove a table and, locally, its Delta folder."""
    spark.sql(f"DROP TABLE IF EXISTS {sql_name(name)}")
    if env.uses_local_tables():
        import shutil

        folder = location(name)
        shutil.rmtree(folder, ignore_errors=True)
        for parent in (folder.parent, folder.parent.parent):  # the schema, then the catalog, once empty
            if parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
