"""A features job reduced to its table write, for test_interruptions.py to kill: writes round
`argv[2]`'s rows of the feature table `argv[1]` through the feature store client, as
common.lifecycle.features does, with a Sail server of its own (killed with it)."""

import sys

from common.lifecycle.features import write_feature_table
from common.runtime import feature_store_client, get_spark

ROWS = 200_000


def features(spark, round_: int):
    return spark.range(ROWS).selectExpr("id AS entity_id", "CAST('2024-01-01' AS TIMESTAMP) AS feature_timestamp",
                                        f"CAST(id * {round_} AS DOUBLE) AS value")


if __name__ == "__main__":
    spark = get_spark()
    name, round_ = sys.argv[1], int(sys.argv[2])
    write_feature_table(spark, feature_store_client(), features(spark, round_), name,
                        primary_keys=["entity_id", "feature_timestamp"], timeseries_column="feature_timestamp",
                        description="written by a test that kills it")
    print("written", flush=True)
