"""A predictions table's quality monitor on a workspace (Lakehouse Monitoring, an inference-log
profile), through the Databricks SDK and Spark: the monitoring job refreshes it, waits, and reads the
latest window's figures for the model version it checks from the monitor's two metric tables. The
monitor itself is a bundle resource (quality_monitors): this module only refreshes and reads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

# A refresh profiles the whole table on serverless compute: minutes, more on a large table.
REFRESH_TIMEOUT = timedelta(hours=1)
POLL_SECONDS = 30
# A column drifted from the baseline when its test's p-value is below this (Evidently's default too).
P_VALUE = 0.05
# The monitor's quality columns (profile metrics, table-level row) by the names monitoring uses.
# Precision, recall and F1 are structs of averages there; the weighted one is taken.
QUALITY_COLUMNS = {"accuracy_score": "accuracy", "precision": "precision", "recall": "recall",
                   "f1_score": "f1_score", "root_mean_squared_error": "root_mean_squared_error",
                   "mean_absolute_error": "mean_absolute_error", "mean_average_error": "mean_absolute_error"}
TABLE_LEVEL = ":table"


@dataclass
class MonitorFigures:
    drift_share: float
    drifted: dict[str, str] = field(default_factory=dict)  # column -> its test, e.g. "ks_test p-value 0.001"
    quality: dict[str, float] = field(default_factory=dict)
    uri: str = ""  # where the figures are: the drift metrics table


def refresh(workspace, table_name: str, *, timeout: timedelta = REFRESH_TIMEOUT,
            sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
    """Refresh the monitor of `table_name` and wait for it; returns the monitor (its MonitorInfo)."""
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.catalog import MonitorRefreshInfoState as State

    try:
        monitor = workspace.quality_monitors.get(table_name)
    except NotFound:
        raise LookupError(f"Table {table_name} has no quality monitor: `databricks bundle deploy` creates it "
                          "(the project's quality_monitors resource)") from None
    run = workspace.quality_monitors.run_refresh(table_name)
    deadline = clock() + timeout.total_seconds()
    while run.state in (State.PENDING, State.RUNNING):
        if clock() > deadline:
            raise TimeoutError(f"Refresh {run.refresh_id} of the quality monitor of {table_name} is still "
                               f"{run.state.value} after {timeout}")
        sleep(POLL_SECONDS)
        run = workspace.quality_monitors.get_refresh(table_name, run.refresh_id)
    if run.state != State.SUCCESS:
        state = run.state.value if run.state else "in no known state"
        raise RuntimeError(f"Refresh {run.refresh_id} of the quality monitor of {table_name} ended {state}: "
                           f"{run.message or 'no message'}")
    return monitor


def latest_figures(spark, monitor, model_id_col: str, model_version: str, columns: Sequence[str]) -> MonitorFigures:
    """The latest window's quality of `model_version` (profile metrics) and the baseline drift of
    `columns` in that window (drift metrics)."""
    from pyspark.sql import functions as F

    version = F.col(model_id_col) == model_version
    profile = (spark.table(monitor.profile_metrics_table_name)
               .where((F.col("column_name") == TABLE_LEVEL) & (F.col("log_type") == "INPUT")
                      & F.col("slice_key").isNull() & version)
               .orderBy(F.col("window.start").desc()).limit(1).collect())
    if not profile:
        raise LookupError(f"{monitor.profile_metrics_table_name} has no figures of {model_id_col} {model_version}: "
                          f"has it scored rows of {monitor.table_name} since they were written?")
    latest = profile[0].asDict(recursive=True)
    drift = (spark.table(monitor.drift_metrics_table_name)
             .where((F.col("drift_type") == "BASELINE") & F.col("column_name").isin(list(columns))
                    & F.col("slice_key").isNull() & version & (F.col("window.start") == latest["window"]["start"]))
             .collect())
    if not drift:
        raise LookupError(f"{monitor.drift_metrics_table_name} has no baseline drift of {model_id_col} {model_version} "
                          f"in its latest window: does {monitor.baseline_table_name} hold its training rows (the "
                          "deployment that made it Champion writes them)?")
    return MonitorFigures(*_drift([row.asDict(recursive=True) for row in drift]), quality=_quality(latest),
                          uri=monitor.drift_metrics_table_name)


def _quality(row: dict) -> dict[str, float]:
    found = {}
    for column, name in QUALITY_COLUMNS.items():
        value = row.get(column)
        if isinstance(value, dict):
            value = value.get("weighted")
        if value is not None:
            found[name] = round(float(value), 4)
    return found


def _drift(rows: list[dict]) -> tuple[float, dict[str, str]]:
    """The share of the columns whose test (Kolmogorov-Smirnov for numbers, chi-squared for
    categories) rejects the baseline's distribution, and each such column with its test."""
    drifted, tested = {}, 0
    for row in rows:
        test = next((t for t in ("ks_test", "chi_squared_test") if (row.get(t) or {}).get("pvalue") is not None), None)
        if test is None:
            continue
        tested += 1
        p_value = float(row[test]["pvalue"])
        if p_value < P_VALUE:
            drifted[row["column_name"]] = f"{test} p_value {p_value:.3g} (threshold {P_VALUE})"
    return (round(len(drifted) / tested, 4) if tested else 0.0), drifted
