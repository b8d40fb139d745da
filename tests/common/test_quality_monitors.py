"""What the monitoring job asks of a predictions table's quality monitor on a workspace
(common/quality_monitors.py): the SDK's own QualityMonitorsAPI, with only the REST calls stood in for
by a recorder; and the figures read from metric tables shaped as the monitor writes them."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from databricks.sdk.errors import NotFound
from databricks.sdk.service.catalog import QualityMonitorsAPI

import conftest
from common import quality_monitors

TABLE = "prod.churn.churn_predictions"
BASE = f"/api/2.1/unity-catalog/tables/{TABLE}/monitor"


class Rest:
    """The REST API behind the SDK: answers by (method, path), records every request."""

    def __init__(self, refresh_states=("RUNNING", "SUCCESS"), monitor=True):
        self.states, self.monitor, self.requests = list(refresh_states), monitor, []
        self._cfg = SimpleNamespace(workspace_id=None)

    def do(self, method, path, body=None, headers=None, **_):
        self.requests.append((method, path))
        if path == BASE:
            if not self.monitor:
                raise NotFound(f"Monitor for {TABLE} does not exist")
            return {"table_name": TABLE, "profile_metrics_table_name": f"{TABLE}_profile_metrics",
                    "drift_metrics_table_name": f"{TABLE}_drift_metrics", "status": "MONITOR_STATUS_ACTIVE"}
        if method == "POST":
            return {"refresh_id": 7, "state": "PENDING"}
        return {"refresh_id": 7, "state": self.states.pop(0) if self.states else "SUCCESS", "message": "out of memory"}


def _workspace(rest):
    return SimpleNamespace(quality_monitors=QualityMonitorsAPI(rest))


def test_a_refresh_is_queued_and_polled_until_it_succeeds():
    rest, naps = Rest(), []
    monitor = quality_monitors.refresh(_workspace(rest), TABLE, sleep=naps.append)
    assert monitor.profile_metrics_table_name == f"{TABLE}_profile_metrics"
    assert rest.requests == [("GET", BASE), ("POST", f"{BASE}/refreshes"), ("GET", f"{BASE}/refreshes/7"),
                             ("GET", f"{BASE}/refreshes/7")]  # PENDING, then RUNNING, then SUCCESS
    assert naps == [quality_monitors.POLL_SECONDS] * 2


def test_a_failed_refresh_a_missing_monitor_and_a_slow_refresh_are_named():
    with pytest.raises(RuntimeError, match=rf"Refresh 7 of the quality monitor of {TABLE} ended FAILED: out of memory"):
        quality_monitors.refresh(_workspace(Rest(("FAILED",))), TABLE, sleep=lambda s: None)
    with pytest.raises(LookupError, match=rf"Table {TABLE} has no quality monitor: `databricks bundle deploy`"):
        quality_monitors.refresh(_workspace(Rest(monitor=False)), TABLE)
    clock = iter([0, 10, 7200]).__next__
    with pytest.raises(TimeoutError, match="is still RUNNING after 1:00:00"):
        quality_monitors.refresh(_workspace(Rest(("RUNNING",) * 5)), TABLE, sleep=lambda s: None, clock=clock,
                                 timeout=timedelta(hours=1))


PROFILE = ("window struct<start: timestamp, end: timestamp>, log_type string, column_name string, slice_key string, "
           "model_version string, accuracy_score double, f1_score struct<macro: double, weighted: double>")
DRIFT = ("window struct<start: timestamp, end: timestamp>, drift_type string, column_name string, slice_key string, "
         "model_version string, ks_test struct<statistic: double, pvalue: double>, "
         "chi_squared_test struct<statistic: double, pvalue: double>")


def _window(day):
    return (datetime(2026, 1, day), datetime(2026, 1, day + 1))


@pytest.fixture
def metric_tables(spark, request):
    from common import tables

    name = f"qm.t.{conftest.test_name(request)}"
    tables.write_table(spark, spark.createDataFrame([
        (_window(1), "INPUT", ":table", None, "3", 0.70, (0.6, 0.65)),
        (_window(2), "INPUT", ":table", None, "3", 0.80, (0.7, 0.75)),  # the latest window of version 3
        (_window(2), "BASELINE", ":table", None, "3", 0.90, (0.9, 0.9)),
        (_window(2), "INPUT", "prediction", None, "3", None, None),
        (_window(2), "INPUT", ":table", "segment", "3", 0.10, (0.1, 0.1)),
    ], PROFILE), name + "_profile_metrics")
    tables.write_table(spark, spark.createDataFrame([
        (_window(2), "BASELINE", "prediction", None, "3", (0.4, 0.001), None),
        (_window(2), "BASELINE", "label", None, "3", (0.1, 0.6), None),
        (_window(2), "BASELINE", "customer_id", None, "3", None, (9.0, 0.0)),  # not one of the columns asked for
        (_window(2), "CONSECUTIVE", "label", None, "3", (0.9, 0.0), None),
        (_window(1), "BASELINE", "label", None, "3", (0.9, 0.0), None),
    ], DRIFT), name + "_drift_metrics")
    return SimpleNamespace(table_name=name, baseline_table_name=name + "_baseline",
                           profile_metrics_table_name=tables.sql_name(name + "_profile_metrics"),
                           drift_metrics_table_name=tables.sql_name(name + "_drift_metrics"))


def test_the_latest_window_of_the_version_gives_quality_and_baseline_drift(spark, metric_tables):
    figures = quality_monitors.latest_figures(spark, metric_tables, "model_version", "3", ["prediction", "label"])
    assert figures.quality == {"accuracy": 0.8, "f1_score": 0.75}
    assert figures.drift_share == 0.5
    assert figures.drifted == {"prediction": "ks_test p_value 0.001 (threshold 0.05)"}


def test_a_version_the_monitor_has_no_figures_of_is_named(spark, metric_tables):
    with pytest.raises(LookupError, match="has no figures of model_version 9"):
        quality_monitors.latest_figures(spark, metric_tables, "model_version", "9", ["prediction", "label"])
    with pytest.raises(LookupError, match=r"no baseline drift of model_version 3 .* \(the deployment that made it"):
        quality_monitors.latest_figures(spark, metric_tables, "model_version", "3", ["score"])


def test_locally_there_is_no_monitor_and_evidently_stands_in(spark):
    from common import runtime

    assert runtime.quality_monitor_figures(spark, TABLE, "model_version", "3", ["prediction"]) is None
