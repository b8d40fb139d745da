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


def write(spark, fe, name: str, round_: int) -> None:
    """Round `round_`'s rows into the feature table `name`, created on the first round."""
    write_feature_table(spark, fe, features(spark, round_), name, primary_keys=["entity_id", "feature_timestamp"],
                        timeseries_column="feature_timestamp", description="rows of numbered rounds")


if __name__ == "__main__":
    write(get_spark(), feature_store_client(), sys.argv[1], int(sys.argv[2]))
    print("written", flush=True)
