"""A local implementation of the `FeatureEngineeringClient` surface the projects use.

Feature tables are Delta tables (common.tables) plus a small JSON record of their keys. Training
sets join `FeatureLookup`s onto a spine, point-in-time when a `timestamp_lookup_key` is given: a
feature row stamped after the spine row's timestamp is never used. `log_model` records the lookups
in the model's MLmodel metadata so that `score_batch` can look the same features up again.
On Databricks, common.runtime.feature_store_client() returns the real client instead; only the
seam imports this module.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field

import pandas as pd
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from common import table_checks, tables

FEATURE_SPEC_KEY = "local_feature_spec"


@dataclass
class FeatureTable:
    name: str
    primary_keys: list[str]
    timeseries_column: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def entity_keys(self) -> list[str]:
        return [k for k in self.primary_keys if k != self.timeseries_column]


@dataclass
class _Lookup:
    """A `FeatureLookup` resolved against its table: what to join and what comes out."""

    table: FeatureTable
    lookup_key: list[str]
    features: dict[str, str]  # feature column -> output column
    timestamp_lookup_key: str | None = None
    lookback_seconds: float | None = None
    default_values: dict = field(default_factory=dict)


class LocalTrainingSet:
    def __init__(self, df, lookups: list[_Lookup], label, exclude_columns):
        self._df, self._lookups, self._label, self._exclude = df, lookups, label, exclude_columns

    def load_df(self):
        out = _join_features(self._df, self._lookups)
        return out.drop(*self._exclude) if self._exclude else out

    @property
    def feature_spec(self) -> dict:
        return {
            "lookups": [
                {**asdict(lk), "table": asdict(lk.table)} for lk in self._lookups
            ],
            "label": self._label,
            "exclude_columns": self._exclude,
        }


class LocalFeatureStoreClient:
    def __init__(self, spark):
        self._spark = spark

    # --- feature tables -------------------------------------------------------------------
    def _meta_path(self, name: str):
        # Kept in the table's own folder (Delta ignores files its log does not list), so that
        # dropping the table, with SQL or otherwise, drops its feature-table description too.
        return tables.location(name) / "_feature_table.json"

    def get_table(self, *, name: str) -> FeatureTable:
        path = self._meta_path(name)
        if not self.table_exists(name):  # the description alone, of a table dropped elsewhere, is not one
            raise ValueError(f"Feature table {name} does not exist; create it with create_table first")
        return FeatureTable(**json.loads(path.read_text()))

    def table_exists(self, name: str) -> bool:
        return self._meta_path(name).exists() and tables.table_exists(self._spark, name)

    def create_table(self, *, name, primary_keys, df=None, timeseries_column=None, schema=None, description=None, tags=None, **_):
        keys = [primary_keys] if isinstance(primary_keys, str) else list(primary_keys)
        if self.table_exists(name):
            raise ValueError(f"Feature table {name} already exists")
        if df is None and schema is None:
            raise ValueError(f"create_table({name}) needs df or schema")
        if timeseries_column is not None and timeseries_column not in keys:
            raise ValueError(f"timeseries_column {timeseries_column!r} of {name} must be one of primary_keys {keys}")
        source = df if df is not None else self._spark.createDataFrame([], schema)
        table_checks.require_columns(source, keys, f"Feature table {name}")
        table = FeatureTable(name, keys, timeseries_column, description, dict(tags or {}))
        # The description first, then the rows in one Delta commit: a kill between the two leaves a
        # description with no table, which is no feature table (table_exists) and which the next
        # create_table writes again; never a table that no description declares.
        self._meta_path(name).parent.mkdir(parents=True, exist_ok=True)
        self._meta_path(name).write_text(json.dumps(asdict(table), indent=2))
        if df is not None:
            tables.merge_into(self._spark, df, name, keys)
        else:
            tables.write_table(self._spark, source, name)
        return table

    def write_table(self, *, name, df, mode="merge", **_):
        table = self.get_table(name=name)
        if mode == "merge":
            self._add_new_features(name, df)
            tables.merge_into(self._spark, df, name, table.primary_keys)
        elif mode == "overwrite":
            table_checks.require_columns(df, table.primary_keys, f"Rows for feature table {name}")
            tables.write_table(self._spark, df, name, mode="overwrite")
        else:
            raise ValueError(f"write_table mode {mode!r} for {name} must be 'merge' or 'overwrite'")

    def _add_new_features(self, name: str, df) -> None:
        """Features `df` has and the table has not become columns of the table first, null on its
        other rows, as Databricks' merge adds them: a MERGE alone would leave them out, unsaid."""
        current = tables.read_table(self._spark, name)
        new = [f for f in df.schema.fields if f.name not in current.columns]
        if new:
            added = [F.lit(None).cast(f.dataType).alias(f.name) for f in new]
            tables.write_table(self._spark, current.select("*", *added), name, mode="overwrite")

    def read_table(self, *, name, **_):
        self.get_table(name=name)
        return tables.read_table(self._spark, name)

    def drop_table(self, *, name):
        tables.drop_table(self._spark, name)
        self._meta_path(name).unlink(missing_ok=True)

    # --- training sets and models ---------------------------------------------------------
    def create_training_set(self, *, df, feature_lookups, label, exclude_columns=None, **_):
        labels = [] if label is None else [label] if isinstance(label, str) else list(label)
        table_checks.require_columns(df, labels, "The training DataFrame (label)")
        lookups = [self._resolve(lookup, df) for lookup in feature_lookups]
        return LocalTrainingSet(df, lookups, label, list(exclude_columns or []))

    def _resolve(self, lookup, df) -> _Lookup:
        table = self.get_table(name=lookup.table_name)
        keys = lookup.lookup_key
        keys = [keys] if isinstance(keys, str) else list(keys)
        if len(keys) != len(table.entity_keys):
            raise ValueError(
                f"FeatureLookup on {table.name}: lookup_key {keys} must match its keys {table.entity_keys}"
            )
        table_checks.require_columns(df, keys, f"The DataFrame looked up in {table.name}")
        ts_key = lookup.timestamp_lookup_key
        if ts_key:
            if not table.timeseries_column:
                raise ValueError(f"FeatureLookup on {table.name}: timestamp_lookup_key given but it has no timeseries_column")
            table_checks.require_columns(df, [ts_key], f"The DataFrame looked up in {table.name}")
        available = self.read_table(name=table.name).columns
        names = lookup.feature_names or [c for c in available if c not in table.primary_keys]
        unknown = [n for n in names if n not in available]
        if unknown:
            raise ValueError(f"Feature table {table.name} has no feature {unknown}; its columns: {', '.join(available)}")
        features = {n: output_name(lookup, n) for n in names}
        clash = [o for o in features.values() if o in df.columns]
        if clash:
            raise ValueError(f"Features {clash} from {table.name} clash with columns of the DataFrame; rename them")
        window = lookup.lookback_window
        return _Lookup(table, keys, features, ts_key, window.total_seconds() if window else None, dict(lookup.default_values or {}))

    def log_model(self, *, model, artifact_path, flavor, training_set=None, registered_model_name=None, **kwargs):
        """Log with the flavour and keep the lookups, so score_batch can find the features.

        As with `FeatureEngineeringClient.log_model`, the model is registered after it is logged and
        the returned `ModelInfo` carries no registered version: use `registry.register` for one."""
        import mlflow

        metadata = dict(kwargs.pop("metadata", None) or {})
        if training_set is not None:
            metadata[FEATURE_SPEC_KEY] = json.dumps(training_set.feature_spec)
        info = flavor.log_model(model, name=artifact_path, metadata=metadata, **kwargs)
        if registered_model_name is not None:
            mlflow.register_model(info.model_uri, registered_model_name)
        return info

    def score_batch(self, *, model_uri, df, result_type="double", **_):
        """The DataFrame with its looked-up features and a `prediction` column."""
        import mlflow

        info = mlflow.models.get_model_info(model_uri)
        spec = (info.metadata or {}).get(FEATURE_SPEC_KEY)
        if spec is None:
            raise ValueError(f"Model {model_uri} was not logged with the feature store client's log_model")
        lookups = [
            _Lookup(**{**lk, "table": FeatureTable(**lk["table"])}) for lk in json.loads(spec)["lookups"]
        ]
        for lk in lookups:
            table_checks.require_columns(df, lk.lookup_key + ([lk.timestamp_lookup_key] if lk.timestamp_lookup_key else []),
                                   f"The DataFrame scored by {model_uri}")
        features = _join_features(df, lookups)
        inputs = info.signature.inputs.input_names() if info.signature else [
            out for lk in lookups for out in lk.features.values()
        ]
        # The model is loaded once, here, and travels to the workers with the function. (mlflow's
        # spark_udf would have every task load it into a /tmp cache keyed by URI and process id,
        # which tasks sharing one process race to fill, and which a reused process id can hit stale.)
        # Only the feature columns cross into Python: classic Spark would give string columns
        # returned from Python a collated type that other Delta readers cannot read.
        model = mlflow.pyfunc.load_model(model_uri)

        @F.pandas_udf(result_type)
        def predict(batch: pd.DataFrame) -> pd.Series:
            return pd.Series(model.predict(batch[inputs]), index=batch.index)

        return features.withColumn("prediction", predict(F.struct(*[F.col(c) for c in inputs])))


def output_name(lookup, feature: str) -> str:
    """The column a `FeatureLookup` gives `feature` in the training set (its `rename_outputs`).
    FeatureLookup keeps that mapping without a public accessor; Databricks' own training-set code
    reads it through the same method, so this is the one place the local client does too."""
    return lookup._get_output_name(feature)  # noqa: SLF001 - no public accessor (see above)


def _join_features(df, lookups: list[_Lookup]):
    for lk in lookups:
        df = _join_one(df, lk)
    return df


def _join_one(df, lk: _Lookup):
    spark = df.sparkSession
    features = tables.read_table(spark, lk.table.name)
    tag = uuid.uuid4().hex[:8]  # private column names: no clash with the spine's
    ft_keys = {k: f"__k{i}_{tag}" for i, k in enumerate(lk.table.entity_keys)}
    ft_ts = f"__ts_{tag}"
    cols = [F.col(k).alias(v) for k, v in ft_keys.items()]
    cols += [F.col(name).alias(out) for name, out in lk.features.items()]
    if lk.timestamp_lookup_key:
        cols.append(F.col(lk.table.timeseries_column).alias(ft_ts))
    elif lk.table.timeseries_column:
        # No timestamp to look up with: take each key's latest feature row.
        latest = Window.partitionBy(*lk.table.entity_keys).orderBy(F.col(lk.table.timeseries_column).desc())
        features = features.withColumn(f"__rn_{tag}", F.row_number().over(latest)).filter(F.col(f"__rn_{tag}") == 1)
    features = features.select(*cols)

    spine_keys = lk.lookup_key + ([lk.timestamp_lookup_key] if lk.timestamp_lookup_key else [])
    on = [F.col(spine) == F.col(ft_keys[ft]) for spine, ft in zip(lk.lookup_key, lk.table.entity_keys)]
    if not lk.timestamp_lookup_key:
        joined = df.join(features, on=_and(on), how="left")
    else:
        # Point in time: for each spine key and timestamp, the newest feature time at or before it,
        # found from the keys and times alone (an aggregate: several times faster on Sail than
        # numbering every candidate row with a window), then the feature row of that time (an
        # equi-join). A spine row that finds none keeps null features.
        found = f"__found_{tag}"
        on_time = [F.col(ft_ts) <= F.col(lk.timestamp_lookup_key)]
        if lk.lookback_seconds is not None:
            on_time.append(F.col(ft_ts) >= F.col(lk.timestamp_lookup_key)
                           - F.expr(f"INTERVAL {int(lk.lookback_seconds)} SECONDS"))
        newest = (
            df.select(*spine_keys).join(features.select(*ft_keys.values(), ft_ts), on=_and(on + on_time))
            .groupBy(*spine_keys).agg(F.max(ft_ts).alias(found))
        )
        joined = (
            df.join(newest, on=spine_keys, how="left")
            .join(features, on=_and([*on, F.col(ft_ts) == F.col(found)]), how="left")
            .drop(found, ft_ts)
        )
    joined = joined.drop(*ft_keys.values())
    if lk.default_values:
        joined = joined.fillna(lk.default_values)
    return joined


def _and(conditions):
    out = conditions[0]
    for c in conditions[1:]:
        out = out & c
    return out
