"""Synthetic churn-like tables at any size, for the scoring and point-in-time join benchmarks.

    MLOPS_LAKEHOUSE=/tmp/lh .venv/bin/python benchmarks/synthetic.py --rows 1000000   # what the benchmarks run

For `rows` label rows: rows/2 customers, each with three feature snapshots 30 days apart (18 double
features, like churn's) and two labels, one 10 days after its first snapshot and one 10 days after
its third; so the point-in-time answer of every label row is known without a join (`expected`).
The setup writes, in one lakehouse: the feature table (through the local feature store, as the
features job does), the label table (the rows to score and the training spine), and a churn-like
LightGBM model (churn's hyperparameters, trained on a fixed 100k-row sample, so the same trees at
every size) logged with the feature store's lookups, registered, and made Champion.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
FEATURES = [f"f{i:02d}" for i in range(18)]
ID, TIME, FEATURE_TIME, LABEL = "customer_id", "observed_at", "feature_timestamp", "churn"
SNAPSHOTS, LABEL_SNAPSHOTS, DAY = 3, (0, 2), np.timedelta64(1, "D")
TRAINING_ROWS = 100_000


def names(rows: int) -> dict[str, str]:
    """The tables and the model of one size (several sizes can share a lakehouse)."""
    tag = f"{rows // 1000}k"
    return {"features": f"bench.synthetic.features_{tag}", "labels": f"bench.synthetic.labels_{tag}",
            "predictions": f"bench.synthetic.predictions_{tag}", "model": f"bench.synthetic.churn_like_{tag}"}


def generate(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(feature rows, label rows, for each label row the index of the feature row it must find)."""
    customers = max(rows // len(LABEL_SNAPSHOTS), 1)
    rng = np.random.default_rng(seed)
    ids = "C" + pd.Series(np.arange(customers)).astype(str).str.zfill(9)
    start = np.datetime64("2025-01-01T00:00:00", "us") + rng.integers(0, 24 * 3600, customers) * np.timedelta64(1, "s")
    values = rng.normal(size=(customers * SNAPSHOTS, len(FEATURES)))
    features = pd.DataFrame(values, columns=FEATURES)
    features.insert(0, FEATURE_TIME, pd.to_datetime(np.repeat(start, SNAPSHOTS)
                                                    + np.tile(np.arange(SNAPSHOTS) * 30, customers) * DAY, utc=True))
    features.insert(0, ID, np.repeat(ids.to_numpy(), SNAPSHOTS))
    snapshot = np.tile(np.array(LABEL_SNAPSHOTS), customers)
    found = np.repeat(np.arange(customers), len(LABEL_SNAPSHOTS)) * SNAPSHOTS + snapshot
    score = values[found, 0] + 0.5 * values[found, 1] - 0.3 * values[found, 2] * values[found, 3]
    labels = pd.DataFrame({
        ID: np.repeat(ids.to_numpy(), len(LABEL_SNAPSHOTS)),
        TIME: pd.to_datetime(np.repeat(start, len(LABEL_SNAPSHOTS)) + (snapshot * 30 + 10) * DAY, utc=True),
        LABEL: (score + rng.normal(scale=0.8, size=len(found)) > 0.9).astype("int32"),
    })
    return features, labels, found


def expected_rows(features: pd.DataFrame, labels: pd.DataFrame, found: np.ndarray) -> pd.DataFrame:
    """The point-in-time join's answer: each label row with the features of the snapshot it must find."""
    picked = features.iloc[found][FEATURES].reset_index(drop=True)
    return pd.concat([labels.reset_index(drop=True), picked], axis=1)


def spec():
    """The lifecycle's view of the churn-like model: churn's model factory on these columns."""
    from common.lifecycle.spec import ModelSpec
    from projects.churn.model import SPEC as CHURN

    return ModelSpec(keys=(ID,), timestamp=TIME, label=LABEL, problem="binary", make_model=CHURN.make_model,
                     feature_keys=(ID, FEATURE_TIME), pip_requirements=CHURN.pip_requirements,
                     skops_trusted_types=CHURN.skops_trusted_types, library="LightGBM")


def write_delta(df: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    write_deltalake(str(path), pa.Table.from_pandas(df, preserve_index=False), mode="overwrite")


def set_up(rows: int) -> dict:
    """Write the feature table, the label table and the Champion model of one size (MLOPS_LAKEHOUSE)."""
    import mlflow

    from common import registry, runtime, tables
    from common.lifecycle.training_set import FeatureLookup
    from projects.churn.settings import load_settings

    began, table = time.perf_counter(), names(rows)
    features, labels, found = generate(rows)
    checksum = float(features[FEATURES[0]].to_numpy()[found].sum())  # what a right join gives, summed
    staging = tables.location(table["features"]).with_name("staging_" + table["features"].rsplit(".", 1)[1])
    write_delta(features, staging)
    write_delta(labels, tables.location(table["labels"]))
    del features, labels
    spark, fe = runtime.get_spark(), runtime.feature_store_client()
    fe.create_table(name=table["features"], primary_keys=[ID, FEATURE_TIME], timeseries_column=FEATURE_TIME,
                    df=spark.read.format("delta").load(str(staging)), description="synthetic churn-like features")
    tables.register(spark, table["labels"])
    shutil.rmtree(staging)

    sample = expected_rows(*generate(TRAINING_ROWS, seed=1))
    model = spec().make_model(dict(load_settings().training.hyperparameters), 7).fit(sample[FEATURES], sample[LABEL])
    lookups = [FeatureLookup(table_name=table["features"], lookup_key=ID, timestamp_lookup_key=TIME)]
    spine = tables.read_table(spark, table["labels"])
    runtime.set_experiment("/Shared/benchmarks/synthetic")
    with mlflow.start_run(run_name=f"churn-like model, {rows} rows"):
        info = fe.log_model(
            model=model, artifact_path="model", flavor=mlflow.sklearn,
            training_set=fe.create_training_set(df=spine, feature_lookups=lookups, label=LABEL, exclude_columns=[TIME]),
            signature=mlflow.models.infer_signature(sample[FEATURES], model.predict(sample[FEATURES])),
            input_example=sample[FEATURES].head(5), pip_requirements=list(spec().pip_requirements),
            skops_trusted_types=list(spec().skops_trusted_types))
    version = registry.register(info.model_uri, table["model"])
    registry.set_alias(table["model"], registry.CHAMPION, version)
    return {"rows": rows, "feature_rows": fe.read_table(name=table["features"]).count(),
            "expected_checksum": checksum,
            "setup_s": round(time.perf_counter() - began, 1), **table}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, required=True, help="label rows (the rows scored, the join's spine)")
    rows = parser.parse_args().rows
    sys.path.insert(0, str(ROOT))
    print(json.dumps(set_up(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
