"""What a DataFrame must be before a job uses or writes it: its columns, their kinds of type, its
keys (present, unique) and its rows; each check fails with one message naming the table or the
rows and the column, and what was expected and found, before anything is read further or written."""

from __future__ import annotations

from collections.abc import Mapping

from common.suggest import closest


class TableContentError(ValueError):
    """A table exists but cannot be used: a missing column, no rows, duplicate keys."""


def require_columns(df, columns, what: str) -> None:
    if not columns:  # nothing to check: no schema to ask the engine for
        return
    present = df.columns
    missing = [c for c in columns if c not in present]
    if missing:
        # A renamed column: the name most like the missing one, among those no one asked for.
        spare = [c for c in present if c not in columns]
        renamed = [(c, closest(c, spare)) for c in missing]
        hint = "; ".join(f"was {old!r} renamed {new!r}?" for old, new in renamed if new)
        raise TableContentError(
            f"{what} has no column {', '.join(repr(c) for c in missing)}; its columns: {', '.join(present)}"
            + (f" ({hint})" if hint else "")
        )


# How a type is spelt in a schema (DDL) and how Spark names it (DataType.simpleString).
_TYPE_ALIASES = {"long": "bigint", "integer": "int", "short": "smallint", "byte": "tinyint", "bool": "boolean",
                 "real": "float", "timestamp_ltz": "timestamp"}
_NUMBERS = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")
NUMBER = "number"  # in a schema: any numeric type


def _type_kind(type_name: str) -> str:
    """A number of any width is a number, a timestamp with or without time zone a timestamp."""
    name = _TYPE_ALIASES.get(type_name.lower(), type_name.lower())
    if name == NUMBER or name.split("(")[0] in _NUMBERS:
        return NUMBER
    return "timestamp" if name == "timestamp_ntz" else name


def require_types(df, expected: Mapping[str, str], what: str) -> None:
    """Every column of `expected` is there with a type of the kind expected (any number where a number
    is expected, e.g. int where double is written), else one message for them all, such as
    "Table x.y.z column tenure: expected double, found string", before anything reads a row."""
    require_columns(df, list(expected), what)
    found = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    wrong = [f"{what} column {column}: expected {'a number' if kind == NUMBER else kind}, found {found[column]}"
             for column, kind in expected.items() if _type_kind(kind) != _type_kind(found[column])]
    if wrong:
        raise TableContentError("; ".join(wrong))


def require_keys(df, keys, what: str, *, non_empty: bool = True) -> None:
    """No key column is null and no two rows share a key (and, with `non_empty`, there are rows):
    a row with a null key matches nothing and a duplicate is counted twice, both without a word."""
    from pyspark.sql import functions as F

    counts = df.agg(F.count(F.lit(1)).alias("rows"),
                    *[F.sum(F.col(k).isNull().cast("int")).alias(f"null_{i}") for i, k in enumerate(keys)]).first()
    if non_empty and not counts["rows"]:
        raise TableContentError(f"{what} has no rows")
    nulls = [(k, counts[f"null_{i}"]) for i, k in enumerate(keys) if counts[f"null_{i}"]]
    if nulls:
        raise TableContentError("; ".join(f"{what} column {k}: {n} of {counts['rows']} rows have no value (null), "
                                          "and it is a key" for k, n in nulls))
    require_unique(df, list(keys), what)


def require_rows(df, what: str) -> None:
    if df.isEmpty():
        raise TableContentError(f"{what} has no rows")


def require_unique(df, keys: list[str], what: str) -> None:
    duplicate = df.groupBy(*keys).count().filter("count > 1").limit(1).collect()
    if duplicate:
        key = {k: duplicate[0][k] for k in keys}
        raise TableContentError(f"{what} has more than one row for key {key} ({', '.join(keys)} must be unique)")
