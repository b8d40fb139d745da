"""./mlops package: the Champion as a Docker build context, written by MLflow's generator from the local
registry; every refusal names the model and leaves no folder; and the release pipelines' script reads
what the command prints (.ci/package_champions.py)."""

import importlib.util
import logging

import mlflow
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

from common import registry, runtime
from conftest import ROOT
from localrun import cli
from localrun.packaging import MODEL_DIR, NoChampion, PackagingError, UnknownModel, image_name, package

_spec = importlib.util.spec_from_file_location("package_champions", ROOT / ".ci" / "package_champions.py")
package_champions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(package_champions)

SCHEMA = "test.packaging"
SKLEARN = f"scikit-learn=={sklearn.__version__}"


@pytest.fixture(scope="module")
def models(lakehouse, tmp_path_factory):
    """`<SCHEMA>.served`: three versions, the Champion on version 2 (not the latest), version 3 also
    requiring LightGBM, of no pinned version; `<SCHEMA>.untried`: one version and no Champion;
    `<SCHEMA>.bare`: a Champion with no python_function flavour. A tiny model, pickled (the sklearn
    flavour's default, skops, takes seconds to import)."""
    runtime.set_experiment("/tests/packaging")
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)  # the pickle format's warning
    uris = {}
    bare = tmp_path_factory.mktemp("bare")
    (bare / "MLmodel").write_text("flavors:\n  custom: {}\n")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(bare), "bare")
        for key, requirements in (("sklearn", [SKLEARN]), ("lightgbm", [SKLEARN, "lightgbm"])):
            uris[key] = mlflow.sklearn.log_model(model, name=key, pip_requirements=requirements,
                                                 serialization_format="cloudpickle").model_uri
    served, untried = f"{SCHEMA}.served", f"{SCHEMA}.untried"
    for key in ("sklearn", "sklearn", "lightgbm"):
        registry.register(uris[key], served)
    registry.set_alias(served, registry.CHAMPION, "2")
    registry.register(uris["sklearn"], untried)
    registry.register(f"runs:/{run.info.run_id}/bare", f"{SCHEMA}.bare")
    registry.set_alias(f"{SCHEMA}.bare", registry.CHAMPION, "1")
    return served, untried


def test_the_champions_context_holds_mlflows_dockerfile_the_model_and_its_pinned_requirements(models, tmp_path):
    served, _ = models
    result = package(served, tmp_path / "context")
    assert (result.version, result.alias, result.image, result.tag) == ("2", "Champion", "test-packaging-served", "v2")
    assert result.folder == (tmp_path / "context").resolve() and result.notes == []
    assert result.build_command == f"docker build -t test-packaging-served:v2 {result.folder}"

    dockerfile = (result.folder / "Dockerfile").read_text()
    assert dockerfile.startswith("# Build an image that can serve mlflow models.\nFROM python:3.")
    assert f"COPY {MODEL_DIR} /opt/ml/model\n" in dockerfile and f"RUN pip install mlflow=={mlflow.__version__}" in dockerfile
    assert "libgomp1" not in dockerfile
    model_dir = result.folder / MODEL_DIR
    assert {"MLmodel", "model.pkl", "requirements.txt", "python_env.yaml"} <= {p.name for p in model_dir.iterdir()}
    assert SKLEARN in (model_dir / "requirements.txt").read_text().splitlines()
    # The version copied is the Champion's, not the latest: the registry's own record says so.
    assert "model_version: '2'" in (model_dir / "registered_model_meta").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["context"]  # no staging folder left beside it


def test_default_folder_is_in_the_lakehouse_and_a_repackage_replaces_it(models, lakehouse):
    served, _ = models
    result = package(served)
    assert result.folder == lakehouse.resolve() / "docker" / "served-v2"
    (result.folder / MODEL_DIR / "stale.txt").write_text("from an earlier run")
    assert package(served).folder == result.folder
    assert not (result.folder / MODEL_DIR / "stale.txt").exists()


def test_another_alias_and_lightgbm_gets_its_system_library_and_an_unpinned_requirement_is_named(models, tmp_path):
    served, _ = models
    registry.set_alias(served, "Candidate", "3")
    result = package(served, tmp_path / "lgbm", alias="Candidate")
    assert (result.version, result.tag) == ("3", "v3")
    assert result.notes == ["requirements not pinned, the image takes their latest release: lightgbm"]
    dockerfile = (result.folder / "Dockerfile").read_text()
    # MLflow installs libgomp1 for the lightgbm flavour only; LightGBM logged through sklearn needs it too.
    deps = dockerfile.index("C._install_pyfunc_deps(")
    assert deps < dockerfile.index("RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 ")


@pytest.mark.parametrize("which, error, message", [
    ("untried", NoChampion, "Registered model test.packaging.untried has no Champion alias: there is no "
                            "version to package yet"),
    ("missing", UnknownModel, "Registered model test.packaging.missing does not exist in the registry sqlite:///"),
    ("short", ValueError, "Registered model name 'served' is not a Unity Catalog name catalog.schema.model"),
    ("bare", PackagingError, "test.packaging.bare version 1 has no python_function flavour"),  # found half-way
], ids=["no-champion", "unknown-model", "bad-name", "not-servable"])
def test_a_refusal_names_the_model_and_leaves_no_folder(models, tmp_path, which, error, message):
    name = {"untried": models[1], "missing": f"{SCHEMA}.missing", "short": "served", "bare": f"{SCHEMA}.bare"}[which]
    with pytest.raises(error) as caught:
        package(name, tmp_path / "out" / "context")
    assert str(caught.value).startswith(message)
    assert list(tmp_path.iterdir()) == []
    if which == "untried":  # the phrase the release pipelines skip a model on
        assert package_champions.NO_CHAMPION in str(caught.value)


def test_a_folder_of_other_files_is_refused_and_kept(models, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=rf"Output folder {tmp_path} is not empty and holds no earlier Docker context"):
        package(models[0], tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_command_prints_folder_version_and_build_command_and_refuses_in_one_line(models, tmp_path, capsys):
    served, untried = models
    registry.set_alias(served, "Candidate", "3")
    assert cli.main(["package", served, "--alias", "Candidate", "--output", str(tmp_path / "ctx")]) == 0
    out = capsys.readouterr().out
    folder = (tmp_path / "ctx").resolve()
    assert out.startswith(f"Packaged {served} version 3 (Candidate) into {folder}\n"
                          "Note: requirements not pinned, the image takes their latest release: lightgbm\n")
    # What the release pipelines run, read from this output.
    assert package_champions.build_command(out) == ["docker", "build", "-t", "test-packaging-served:v3", str(folder)]

    assert cli.main(["package", untried, "--output", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err == f"Error: Registered model {untried} has no Champion alias: there is no version to package yet\n"
    assert not (tmp_path / "none").exists()


def test_image_names_keep_the_catalog_apart():
    assert image_name("prod.churn.churn_model") == "prod-churn-churn-model"
    assert image_name("Dev.dev_Jane.m__1") == "dev-dev-jane-m-1"


def test_the_registry_uri_may_differ_from_the_tracking_uri(monkeypatch):
    # CI reads the workspace's Unity Catalog registry from outside it.
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///elsewhere.db")
    runtime.configure_mlflow()
    assert mlflow.get_registry_uri() == "sqlite:///elsewhere.db"
    assert mlflow.get_tracking_uri() == runtime.mlflow_tracking_uri()
    monkeypatch.delenv("MLFLOW_REGISTRY_URI")
    runtime.configure_mlflow()
    assert mlflow.get_registry_uri() == runtime.mlflow_tracking_uri()
