import pytest

from common import tables
from projects.iris.data import SPECIES, ingest_raw_data, load_iris
from projects.iris.features import compute_features
from projects.iris.tests.conftest import SNAPSHOT


def test_the_flowers_have_snake_case_measurements_and_species_names():
    df = load_iris()
    assert list(df.columns) == ["flower_id", "sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    assert df.species.value_counts().to_dict() == {name: 50 for name in SPECIES}
    assert df.flower_id.is_unique


def test_a_rerun_of_the_snapshot_replaces_its_rows(spark, flowers):
    assert ingest_raw_data(spark, flowers["raw"], SNAPSHOT) == 150
    assert tables.read_table(spark, flowers["raw"]).count() == 150


def test_features_derive_the_petal_shape_and_bound_a_zero_width(spark):
    raw = spark.createDataFrame(
        [("F1", SNAPSHOT, 5.0, 3.0, 4.0, 2.0), ("F2", SNAPSHOT, 5.0, 3.0, 1.5, 0.0)],
        "flower_id string, observed_at timestamp, sepal_length double, sepal_width double, "
        "petal_length double, petal_width double")
    rows = {r.flower_id: r for r in compute_features(raw).collect()}
    assert rows["F1"].petal_area == pytest.approx(8.0) and rows["F1"].petal_elongation == pytest.approx(2.0)
    assert rows["F2"].petal_elongation == pytest.approx(15.0)  # width 0 counts as 0.1
    assert rows["F1"].feature_timestamp == SNAPSHOT


def test_the_feature_table_has_one_row_per_flower(spark, fe, flowers):
    df = fe.read_table(name=flowers["features"])
    assert df.count() == 150
    assert df.select("flower_id", "feature_timestamp").distinct().count() == 150
