"""common/local/mlflow_store.py: a new lakehouse's MLflow store is a copy of one migrated store."""

from mlflow import MlflowClient

from common.local.mlflow_store import ensure_store


def test_a_new_store_is_current_and_keeps_its_default_experiment_in_its_lakehouse(tmp_path):
    db = tmp_path / "lake" / "mlflow.db"
    db.parent.mkdir()
    ensure_store(db)
    uri = f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    default = client.get_experiment("0")
    assert default.artifact_location == (db.parent / "mlartifacts" / "0").as_uri()
    experiment = client.create_experiment("new", artifact_location=(tmp_path / "a").as_uri())
    client.create_registered_model("m")  # the registry's tables are there too
    assert client.get_experiment(experiment).name == "new"
    assert not list(db.parent.glob("*.partial"))

    size = db.stat().st_size
    ensure_store(db)  # an existing store is left as it is
    assert db.stat().st_size == size and client.get_registered_model("m").name == "m"
