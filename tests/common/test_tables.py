import pytest

from common import tables
from common.table_checks import TableContentError
from common.tables import TableNotFoundError


def _rows(spark, rows):
    return spark.createDataFrame(rows, "id long, v string")


@pytest.mark.parametrize("bad", ["t", "s.t", "a.b.c.d", "a.b-c.t", "a..t", ""])
def test_only_three_level_names_are_tables(bad):
    with pytest.raises(ValueError, match="not a three-level name"):
        tables.split_name(bad)


def test_a_table_is_a_delta_folder_under_the_lakehouse(spark, schema, lakehouse):
    name = f"{schema}.items"
    tables.write_table(spark, _rows(spark, [(1, "a")]), name)
    catalog, sch, table = name.split(".")
    assert tables.location(name) == lakehouse / "tables" / catalog / sch / table
    assert (tables.location(name) / "_delta_log").is_dir()
    assert [r.v for r in tables.read_table(spark, name).collect()] == ["a"]
    assert spark.sql(f"SELECT count(*) AS n FROM {tables.sql_name(name)}").first().n == 1


def test_merge_upserts_by_key_and_a_rerun_adds_nothing(spark, schema):
    name = f"{schema}.items"
    tables.merge_into(spark, _rows(spark, [(1, "a"), (2, "b")]), name, ["id"])
    tables.merge_into(spark, _rows(spark, [(2, "B"), (3, "c")]), name, ["id"])
    tables.merge_into(spark, _rows(spark, [(2, "B"), (3, "c")]), name, ["id"])
    assert sorted((r.id, r.v) for r in tables.read_table(spark, name).collect()) == [(1, "a"), (2, "B"), (3, "c")]


def test_merging_some_columns_appends_to_an_empty_table_then_leaves_the_others_alone(spark, schema):
    from deltalake import DeltaTable

    name = f"{schema}.items"
    tables.write_table(spark, spark.createDataFrame([], "id long, v string, note string"), name)
    tables.merge_into(spark, _rows(spark, [(1, "a"), (2, "b")]), name, ["id"], only_columns=True)
    assert sorted(tuple(r) for r in tables.read_table(spark, name).collect()) == [(1, "a", None), (2, "b", None)]
    history = [entry["operation"] for entry in DeltaTable(str(tables.location(name))).history()]
    assert history[0] == "WRITE" and "MERGE" not in history  # an append into the empty table, not a MERGE
    tables.write_table(spark, spark.createDataFrame([(1, "a", "kept"), (2, "b", None)], "id long, v string, note string"),
                       name)
    tables.merge_into(spark, _rows(spark, [(1, "A"), (3, "c")]), name, ["id"], only_columns=True)
    assert sorted(tuple(r) for r in tables.read_table(spark, name).collect()) == [
        (1, "A", "kept"), (2, "b", None), (3, "c", None)]


def test_tables_are_registered_again_in_a_new_catalog(spark, schema):
    name = f"{schema}.items"
    tables.write_table(spark, _rows(spark, [(1, "a")]), name)
    spark.sql(f"DROP TABLE {tables.sql_name(name)}")  # as if the session were new: the catalog forgot it
    assert name in tables.register_all(spark)
    assert tables.read_table(spark, name).count() == 1


def test_missing_table_column_and_rows_are_named(spark, schema):
    with pytest.raises(TableNotFoundError, match=rf"Table {schema}.nope does not exist \(no Delta table at "):
        tables.read_table(spark, f"{schema}.nope")
    name = f"{schema}.items"
    tables.write_table(spark, _rows(spark, []), name)
    with pytest.raises(TableContentError, match=rf"Table {name} has no column 'label'; its columns: id, v"):
        tables.read_table(spark, name, columns=["id", "label"])
    with pytest.raises(TableContentError, match=rf"Table {name} has no rows"):
        tables.read_table(spark, name, non_empty=True)


def test_duplicate_keys_are_refused_before_anything_is_written(spark, schema):
    name = f"{schema}.items"
    with pytest.raises(TableContentError, match=r"more than one row for key \{'id': 1\}"):
        tables.merge_into(spark, _rows(spark, [(1, "a"), (1, "b")]), name, ["id"])
    assert not tables.table_exists(spark, name)


def test_write_modes_and_drop(spark, schema):
    name = f"{schema}.items"
    tables.write_table(spark, _rows(spark, [(1, "a")]), name)
    tables.write_table(spark, _rows(spark, [(2, "b")]), name, mode="append")
    assert tables.read_table(spark, name).count() == 2
    with pytest.raises(ValueError, match="must be 'overwrite' or 'append'"):
        tables.write_table(spark, _rows(spark, []), name, mode="merge")
    tables.drop_table(spark, name)
    assert not tables.table_exists(spark, name)


def _concurrently(*writes) -> list[Exception]:
    """Run the writes at once, each in a thread of its own on the shared session; their errors."""
    import threading

    errors = []

    def run(write):
        try:
            write()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(write,)) for write in writes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _writer(spark, name: str, value: str, mode: str, first_id: int = 0):
    rows = spark.range(first_id, first_id + 3000).selectExpr("id", f"'{value}' AS v")
    if mode == "merge":
        return lambda: tables.merge_into(spark, rows, name, ["id"])
    return lambda: tables.write_table(spark, rows, name, mode=mode)


def test_concurrent_writes_to_one_table_all_land_one_after_the_other(spark, schema):
    """Two jobs writing one table at once: the commit that loses is made again on the winner's
    version, so both land, and every row comes whole from one of them."""
    from deltalake import DeltaTable

    name = f"{schema}.items"
    tables.write_table(spark, _rows(spark, [(1, "first")]), name)
    errors = _concurrently(*(_writer(spark, name, v, "merge") for v in ("a", "b", "c")),
                           _writer(spark, name, "d", "append", first_id=3000))
    assert errors == []
    df = tables.read_table(spark, name)
    assert df.count() == 6000  # 3000 merged keys, id 1 among them, and 3000 appended rows
    assert df.filter("id >= 3000 AND v = 'd'").count() == 3000
    assert df.filter("id < 3000").select("v").distinct().count() == 1  # all of one merge, the last
    assert len(DeltaTable(str(tables.location(name))).history()) == 5  # one commit per write


def test_a_writer_that_keeps_losing_to_others_names_the_table_and_commits_nothing(spark, schema, monkeypatch):
    name = f"{schema}.items"
    tables.write_table(spark, _rows(spark, [(1, "first")]), name)
    monkeypatch.setattr(tables, "COMMIT_ATTEMPTS", 1)
    for _ in range(5):  # writers started together nearly always collide at once; try again if not
        errors = _concurrently(*(_writer(spark, name, v, "merge") for v in ("a", "b", "c")))
        if errors:
            break
    assert errors and all(isinstance(e, tables.TableConflictError) for e in errors), errors
    assert f"Table {name} was changed by another job" in str(errors[0])
    assert "nothing of this write was committed" in str(errors[0])
    values = {r.v for r in tables.read_table(spark, name).collect()}
    assert len(values) == 1 and values < {"a", "b", "c"}  # the winner's rows, none of the losers'
