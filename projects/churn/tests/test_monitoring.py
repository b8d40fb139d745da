import pytest
from pyspark.sql import functions as F

from common import registry, tables
from common.lifecycle.inference import batch_inference
from common.lifecycle.monitoring import check_limits, monitor, quality_metrics
from common.lifecycle.settings import Monitoring
from projects.churn.model import SPEC


def test_quality_metrics_from_predictions_and_outcomes(spark):
    pairs = spark.createDataFrame(
        [(1.0, 1), (1.0, 1), (1.0, 0), (0.0, 1), (0.0, 0), (0.0, 0), (0.0, 0), (0.0, 0)], "prediction double, churn int")
    m = quality_metrics(SPEC, pairs)
    assert m["accuracy"] == 6 / 8
    assert m["precision"] == 2 / 3 and m["recall"] == 2 / 3
    assert m["f1_score"] == pytest.approx(2 / 3)
    assert (m["predicted_churn_rate"], m["observed_churn_rate"]) == (3 / 8, 3 / 8)


def test_each_missed_threshold_is_a_reason_to_retrain():
    metrics = {"accuracy": 0.6, "f1_score": 0.5, "predicted_churn_rate": 0.1, "observed_churn_rate": 0.3}
    limits = Monitoring(minimum={"accuracy": 0.7, "f1_score": 0.4}, maximum={"churn_rate_gap": 0.1})
    assert check_limits(SPEC, metrics, limits) == ["accuracy 0.600 < 0.7", "churn_rate_gap 0.200 > 0.1"]
    assert check_limits(SPEC, metrics, Monitoring(minimum={"accuracy": 0.5}, maximum={"churn_rate_gap": 0.3})) == []


def test_monitor_the_champion_and_keep_a_history(spark, fe, shared, trained, schema):
    registry.set_alias(trained.model_name, "Champion", trained.version)
    predictions, history = f"{schema}.predictions", f"{schema}.monitoring"
    batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=shared.raw, output_table=predictions)
    first = monitor(spark, SPEC, Monitoring(minimum={"accuracy": 0.0, "f1_score": 0.0}, maximum={"churn_rate_gap": 1.0}),
                    predictions_table=predictions, labels_table=shared.raw, monitoring_table=history)
    assert (first.model_name, first.model_version, first.labelled_rows) == (trained.model_name, trained.version, 600)
    # The outcomes are in the predictions table now, for its quality monitor; scoring again keeps them.
    batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=shared.raw, output_table=predictions)
    assert tables.read_table(spark, predictions).where("label IS NOT NULL").count() == 600
    assert not first.retrain and 0.5 < first.metrics["accuracy"] <= 1
    strict = monitor(spark, SPEC, Monitoring(minimum={"accuracy": 0.999}), predictions_table=predictions,
                     labels_table=shared.raw, monitoring_table=history)
    assert strict.retrain and strict.reasons[0].startswith("accuracy")
    rows = tables.read_table(spark, history).orderBy("checked_at").collect()
    assert [r.retrain for r in rows] == [False, True]
    assert rows[0].accuracy == first.metrics["accuracy"]


def test_nothing_to_monitor_is_named(spark, shared, schema):
    with pytest.raises(LookupError, match=rf"Table {schema}.predictions does not exist"):
        monitor(spark, SPEC, Monitoring(), predictions_table=f"{schema}.predictions", labels_table=shared.raw,
                monitoring_table=f"{schema}.monitoring")
    unrelated = spark.createDataFrame([("X1", "1")], "customer_id string, model_version string").selectExpr(
        "customer_id", "timestamp'2020-01-01 00:00:00' AS observed_at", "1.0 AS prediction",
        "CAST(NULL AS double) AS label", "'m' AS model_name", "model_version", "current_timestamp() AS scored_at")
    tables.write_table(spark, unrelated, f"{schema}.predictions")
    with pytest.raises(ValueError, match="has a known outcome .* nothing to monitor yet"):
        monitor(spark, SPEC, Monitoring(), predictions_table=f"{schema}.predictions", labels_table=shared.raw,
                monitoring_table=f"{schema}.monitoring")
    assert not tables.table_exists(spark, f"{schema}.monitoring")


def test_on_a_workspace_the_quality_monitor_s_drifted_columns_join_the_report_s(spark, fe, shared, trained, schema,
                                                                              monkeypatch):
    from common import runtime
    from common.quality_monitors import MonitorFigures

    registry.set_alias(trained.model_name, "Champion", trained.version)
    predictions = f"{schema}.predictions"
    batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=shared.raw, output_table=predictions)
    asked = []

    def monitor_figures(spark, table, model_id_col, version, columns):  # what the workspace's monitor would give
        asked.append((table, model_id_col, version, columns))
        return MonitorFigures(0.5, {"prediction": "ks_test p-value 0.001"}, {"accuracy": 0.8}, f"{schema}.drift")

    monkeypatch.setattr(runtime, "quality_monitor_figures", monitor_figures)
    result = monitor(spark, SPEC, Monitoring(maximum={"drift_share": 0.5}), predictions_table=predictions,
                     labels_table=shared.raw, monitoring_table=f"{schema}.monitoring", fe=fe,
                     feature_table=shared.features, experiment_name=shared.experiment)
    assert asked == [(predictions, "model_version", trained.version, ["prediction", "label"])]
    # The report's own share of drifted features (none) decides; the monitor's test is recorded beside it.
    assert result.report.drifted == {"prediction (quality monitor)": "ks_test p-value 0.001"}
    assert result.report.drift_share == 0.0 and result.report.uri.startswith("runs:/") and not result.retrain
    row = tables.read_table(spark, f"{schema}.monitoring").first()
    assert row.drifted_columns == result.report.drifted and row.report == result.report.uri


def test_an_outcome_not_known_yet_is_not_counted_as_labelled(spark, fe, shared, trained, schema):
    registry.set_alias(trained.model_name, "Champion", trained.version)
    predictions, labels = f"{schema}.predictions", f"{schema}.labels"
    batch_inference(spark, fe, SPEC, model_name=trained.model_name, input_table=shared.raw, output_table=predictions)
    raw = tables.read_table(spark, shared.raw)
    unknown = raw.limit(100).select("customer_id")
    tables.write_table(spark, raw.join(unknown.withColumn("unknown", F.lit(True)), "customer_id", "left").withColumn(
        "churn", F.when(F.col("unknown"), F.lit(None).cast("string")).otherwise(F.col("churn"))).drop("unknown"), labels)
    result = monitor(spark, SPEC, Monitoring(), predictions_table=predictions, labels_table=labels,
                     monitoring_table=f"{schema}.monitoring")
    assert result.labelled_rows == 500
