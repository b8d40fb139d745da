"""The point-in-time join: the local feature store's against the same join written by hand in Spark.

    .venv/bin/python benchmarks/run_all.py --only join [--sizes 1000000,5000000]

On the synthetic tables of benchmarks/synthetic.py (each label row must find the newest of its
customer's three feature snapshots at or before its time), each side in a fresh process, its
result written to a Delta folder (so that every row and column is computed; nothing is collected):

- store: `create_training_set(df=labels, feature_lookups=[FeatureLookup(..., timestamp_lookup_key=...)])
  .load_df()`, what training and validation call (common/local/feature_store.py).
- row_number: the textbook join: every feature row at or before the label's time, numbered newest
  first per label row, the first kept.
- max_join: the newest feature time per label row from the keys alone (an aggregate), then the
  feature row at that time (an equi-join).
Each result is checked: one row per label row, and the sum of one feature column equal to the sum
of the snapshots each row must find.
"""

from __future__ import annotations

import sys

from spark_child import child_main, measure, run_sides, spark_session
from synthetic import FEATURE_TIME, FEATURES, ID, LABEL, TIME, names

SIDES = ("store", "row_number", "max_join")
# Timed repeats in one process (the first cold): the two sides the target compares get more, so that
# their warm medians are steady at 1M rows, where a run lasts about a second and the noise of a
# 2-core machine is a tenth of that or more; the textbook join is shown for reference only.
REPEATS = {"store": 5, "max_join": 5, "row_number": 3}


def store_join(spark, table: dict):
    from common import runtime, tables
    from common.lifecycle.training_set import FeatureLookup

    lookup = FeatureLookup(table_name=table["features"], lookup_key=ID, timestamp_lookup_key=TIME)
    labels = tables.read_table(spark, table["labels"])
    return runtime.feature_store_client().create_training_set(df=labels, feature_lookups=[lookup], label=LABEL).load_df()


def row_number_join(spark, table: dict):
    from common.tables import sql_name

    features = ", ".join(f"f.{c}" for c in FEATURES)
    return spark.sql(f"""
        SELECT s.*, {features},
               row_number() OVER (PARTITION BY s.{ID}, s.{TIME} ORDER BY f.{FEATURE_TIME} DESC) AS rn
        FROM {sql_name(table['labels'])} s
        LEFT JOIN {sql_name(table['features'])} f ON f.{ID} = s.{ID} AND f.{FEATURE_TIME} <= s.{TIME}
    """).filter("rn = 1").drop("rn")


def max_join(spark, table: dict):
    from common.tables import sql_name

    labels, features = sql_name(table["labels"]), sql_name(table["features"])
    return spark.sql(f"""
        WITH newest AS (
            SELECT s.{ID}, s.{TIME}, max(f.{FEATURE_TIME}) AS found_at
            FROM {labels} s LEFT JOIN {features} f ON f.{ID} = s.{ID} AND f.{FEATURE_TIME} <= s.{TIME}
            GROUP BY s.{ID}, s.{TIME})
        SELECT s.*, {", ".join(f"f.{c}" for c in FEATURES)}
        FROM {labels} s
        LEFT JOIN newest n ON n.{ID} = s.{ID} AND n.{TIME} = s.{TIME}
        LEFT JOIN {features} f ON f.{ID} = s.{ID} AND f.{FEATURE_TIME} = n.found_at
    """)


JOINS = {"store": store_join, "row_number": row_number_join, "max_join": max_join}


def child(side: str, rows: int, server: str) -> dict:
    from pyspark.sql import functions as F

    from common import tables

    table = names(rows)
    out = str(tables.location(table["labels"]).with_name(f"joined_{side}"))
    with spark_session(server) as (spark, server_pid):
        # Outside the timing: the imports of every side, and a first query on both tables.
        import common.lifecycle.training_set  # noqa: F401
        from common import runtime

        runtime.feature_store_client()
        for name in (table["labels"], table["features"]):
            tables.read_table(spark, name).limit(1).collect()
        outcome = measure(lambda: JOINS[side](spark, table).write.format("delta").mode("overwrite").save(out),
                          server_pid, repeats=REPEATS[side])
        check = spark.read.format("delta").load(out).agg(F.count(F.lit(1)).alias("rows"),
                                                         F.sum(FEATURES[0]).alias("checksum")).first()
    return {**outcome, "result": {"rows": check.rows, "checksum": check.checksum}}


def run(lakehouse, rows: int, server: str, runs: int) -> dict:
    """Every side at one size, `runs` times each, alternating."""
    return run_sides(__file__, "join", SIDES, lakehouse, rows, server, runs)


def main() -> int:
    return child_main(__doc__, SIDES, child)


if __name__ == "__main__":
    sys.exit(main())
