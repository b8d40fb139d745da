"""Batch scoring: the Spark path against the model's own predict on the same rows.

    .venv/bin/python benchmarks/run_all.py --only scoring [--sizes 1000000,5000000]

Each side runs in a fresh process on the synthetic tables of benchmarks/synthetic.py (churn-like
LightGBM, 18 features, every label row scored with its point-in-time features):

- spark: `score_batch` as common/lifecycle/inference.py calls it (the rows' keys read from the
  label table, features looked up point in time, the Champion applied in a pandas UDF), and the
  scored keys and predictions written to a Delta table.
- inference: `batch_inference` itself, what the job runs: the same plus its checks (row count,
  every row found features, unique keys) and the MERGE into a fresh predictions table.
- predict: `predict` of the fitted LGBMClassifier on the same rows, already joined, in memory
  (pandas). Then every prediction the spark side wrote is compared with it.
"""

from __future__ import annotations

import sys

from spark_child import child_main, measure, run_sides, spark_session
from synthetic import FEATURES, ID, LABEL, TIME, expected_rows, generate, names, spec

SIDES = ("spark", "inference", "predict")


def champion_uri(model: str) -> str:
    from common import registry

    return registry.model_uri(model, registry.version_by_alias(model, registry.CHAMPION).version)


def warm_up(spark, fe, uri: str, table: dict) -> None:
    """Score a few rows before the timing: the model's imports (MLflow's sklearn flavour, skops,
    LightGBM) are then paid outside it, in this process and in the server's UDF interpreter, as the
    predict side loads its model before its timing. score_batch's own load of the model is timed."""
    from common import tables

    few = tables.read_table(spark, table["labels"]).select(ID, TIME).limit(100)
    fe.score_batch(model_uri=uri, df=few).select("prediction").collect()


def score_with_spark(rows: int, server: str) -> dict:
    from common import runtime, tables
    from common.lifecycle.training_set import segment_rows

    table = names(rows)
    with spark_session(server) as (spark, server_pid):
        fe, uri = runtime.feature_store_client(), champion_uri(table["model"])
        warm_up(spark, fe, uri, table)

        def score():
            keys = segment_rows(spark, spec(), table["labels"], [ID, TIME])
            scored = fe.score_batch(model_uri=uri, df=keys).select(ID, TIME, "prediction")
            tables.write_table(spark, scored, table["predictions"])

        return measure(score, server_pid)


def run_batch_inference(rows: int, server: str) -> dict:
    from common import runtime, tables
    from common.lifecycle.inference import batch_inference

    table = names(rows)
    output = table["predictions"] + "_job"
    with spark_session(server) as (spark, server_pid):
        fe = runtime.feature_store_client()
        warm_up(spark, fe, champion_uri(table["model"]), table)
        return measure(lambda: batch_inference(spark, fe, spec(), model_name=table["model"], input_table=table["labels"],
                                               output_table=output).rows_scored, server_pid,
                       before=lambda: tables.drop_table(spark, output))  # each run a first run: a new table


def predict_in_pandas(rows: int) -> dict:
    """The model's own predict on the joined rows; then the spark side's predictions checked against it."""
    import mlflow
    import numpy as np
    from deltalake import DeltaTable

    from common import runtime, tables

    table = names(rows)
    expected = expected_rows(*generate(rows))
    runtime.configure_mlflow()
    model = mlflow.sklearn.load_model(champion_uri(table["model"]))
    X = expected[FEATURES]
    outcome = measure(lambda: model.predict(X), None)
    predicted = outcome.pop("result")
    written = DeltaTable(str(tables.location(table["predictions"]))).to_pandas()
    merged = expected[[ID, TIME]].assign(expected=predicted).merge(written, on=[ID, TIME], how="left")
    wrong = int((~np.isclose(merged["prediction"].astype("float64"), merged["expected"].astype("float64"))).sum())
    return {**outcome, "result": {"rows": len(X), "spark_rows": len(written), "spark_predictions_differing": wrong,
                                  "positive_share": round(float(np.mean(predicted)), 4), "label": LABEL}}


def child(side: str, rows: int, server: str) -> dict:
    if side == "spark":
        return score_with_spark(rows, server)
    if side == "inference":
        return run_batch_inference(rows, server)
    return predict_in_pandas(rows)


def run(lakehouse, rows: int, server: str, runs: int) -> dict:
    """Every side at one size, `runs` times each, alternating; the spark side first (predict checks it)."""
    return run_sides(__file__, "scoring", SIDES, lakehouse, rows, server, runs)


def main() -> int:
    return child_main(__doc__, SIDES, child)


if __name__ == "__main__":
    sys.exit(main())
