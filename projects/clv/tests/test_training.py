import mlflow
import pytest

from common import registry, tables
from common.lifecycle.training import train
from common.lifecycle.training_set import build_training_set
from projects.clv.data import country_of
from projects.clv.model import spec_for
from projects.clv.settings import load_settings


def test_a_model_trains_on_its_countrys_rows_only_and_becomes_challenger(spark, fe, shared, schema):
    spec = spec_for("repurchase_de")
    result = train(spark, fe, spec, load_settings("repurchase_de"), raw_table=shared.labels,
                   feature_table=shared.features, model_name=f"{schema}.clv_repurchase_de",
                   experiment_name=shared.experiment)
    assert registry.aliases_of(result.model_name, result.version) == ["Challenger"]
    params = mlflow.get_run(result.run_id).data.params
    german = tables.read_table(spark, shared.labels).filter("country = 'DE'").count()
    assert params["segment_country"] == "DE"
    assert int(params["training_rows"]) + int(params["holdout_rows"]) == german
    assert result.metrics["roc_auc"] > result.baseline["roc_auc"] == 0.5
    tags = registry.get_version(result.model_name, result.version).tags
    assert tags["label_shares"].startswith("0: ") and tags["class_weight"].startswith("none")
    # The same rows, as validation builds them again: every one a German customer's.
    _, rows = build_training_set(spark, fe, spec, shared.labels, shared.features)
    assert len(rows) == german and {country_of(c) for c in rows["customer_id"]} == {"DE"}
    assert set(rows["repurchased"]) == {0, 1} and "country" not in rows.columns


def test_the_sample_is_a_stable_share_of_the_customers(spark, fe, shared):
    spec = spec_for("value_bucket_fr")
    _, everyone = build_training_set(spark, fe, spec, shared.labels, shared.features)
    _, half = build_training_set(spark, fe, spec, shared.labels, shared.features, sample_fraction=0.5)
    _, again = build_training_set(spark, fe, spec, shared.labels, shared.features, sample_fraction=0.5)
    _, quarter = build_training_set(spark, fe, spec, shared.labels, shared.features, sample_fraction=0.25)
    assert half.equals(again)  # the same rows, in the same order, run to run
    customers = {name: set(df["customer_id"]) for name, df in
                 (("all", everyone), ("half", half), ("quarter", quarter))}
    assert customers["quarter"] < customers["half"] < customers["all"]
    assert 0.4 < len(customers["half"]) / len(customers["all"]) < 0.6
    assert 0.15 < len(customers["quarter"]) / len(customers["all"]) < 0.35
    # A customer is in or out with all their cut-offs.
    assert len(half) == len(everyone[everyone["customer_id"].isin(customers["half"])])
    with pytest.raises(ValueError, match=r"sample_fraction must be in \(0, 1\], not 0"):
        build_training_set(spark, fe, spec, shared.labels, shared.features, sample_fraction=0)
