"""localrun/bundle/ on real bundle folders: includes, targets, variables, ${...} references."""
from pathlib import Path
from textwrap import dedent

import pytest

from localrun.bundle import BundleError, load_bundle

NOTEBOOK = "# Databricks notebook source\nprint('hi')\n"

ROOT_YML = """
bundle:
  name: demo
include:
  - resources/*.yml
  - projects/*/resources/*.yml
variables:
  catalog:
    description: Catalog of the target.
    default: dev
  experiment_root:
    default: ${workspace.root_path}/experiments
targets:
  dev:
    mode: development
    default: true
  test:
    variables:
      catalog: test
    resources:
      jobs:
        train:
          tasks:
            - task_key: train
              notebook_task:
                base_parameters:
                  rows: "100"
  staging:
    variables:
      catalog: {default: staging}
  prod:
    variables:
      catalog: prod
"""

TRAINING_YML = """
resources:
  jobs:
    train:
      name: ${bundle.target}-churn-train
      tasks:
        - task_key: features
          notebook_task:
            notebook_path: ../notebooks/Features.py
            base_parameters:
              catalog: ${var.catalog}
        - task_key: train
          depends_on: [{task_key: features}]
          notebook_task:
            notebook_path: ../notebooks/Train.py
            base_parameters:
              catalog: ${var.catalog}
              experiment: ${var.experiment_root}/churn
              rows: "10"
  registered_models:
    churn_model:
      name: churn
      catalog_name: ${var.catalog}
      schema_name: churn
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    return root


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DATABRICKS_USER", "jane.doe@example.com")
    monkeypatch.delenv("BUNDLE_VAR_catalog", raising=False)
    return write(tmp_path, {
        "databricks.yml": ROOT_YML,
        "resources/shared-resource.yml": """
            resources:
              experiments:
                shared_experiment:
                  name: ${var.experiment_root}/shared
        """,
        "projects/churn/resources/training-resource.yml": TRAINING_YML,
        "projects/churn/notebooks/Features.py": NOTEBOOK,
        "projects/churn/notebooks/Train.py": NOTEBOOK,
    })


def test_includes_are_merged_and_remember_their_file(repo):
    bundle = load_bundle(repo)
    assert bundle.name == "demo" and bundle.target == "dev"
    assert bundle.targets == ["dev", "test", "staging", "prod"]
    assert set(bundle.jobs) == {"train"}
    assert set(bundle.resources) == {"jobs", "registered_models", "experiments"}
    assert bundle.source_of("jobs", "train") == repo / "projects/churn/resources/training-resource.yml"
    assert bundle.source_of("experiments", "shared_experiment") == repo / "resources/shared-resource.yml"
    assert bundle.resources["registered_models"]["churn_model"]["catalog_name"] == "dev"


def test_workspace_and_user_references(repo):
    bundle = load_bundle(repo)
    root_path = "/Workspace/Users/jane.doe@example.com/.bundle/demo/dev"
    assert bundle.workspace["root_path"] == root_path
    assert bundle.workspace["file_path"] == root_path + "/files"
    assert bundle.variables["experiment_root"] == root_path + "/experiments"
    params = bundle.job("train")["tasks"][1]["notebook_task"]["base_parameters"]
    assert params["experiment"] == root_path + "/experiments/churn"


def test_target_overrides_variables_and_task_parameters(repo):
    bundle = load_bundle(repo, target="test")
    assert bundle.variables["catalog"] == "test"
    features, train = bundle.job("train")["tasks"]
    # tasks merge by task_key: the override changes one parameter and keeps everything else
    assert train["notebook_task"]["base_parameters"] == {
        "catalog": "test", "experiment": "/Workspace/Users/jane.doe@example.com/.bundle/demo/test/experiments/churn",
        "rows": "100"}
    assert train["notebook_task"]["notebook_path"] == "../notebooks/Train.py"
    assert train["depends_on"] == [{"task_key": "features"}]
    assert features["notebook_task"]["base_parameters"] == {"catalog": "test"}
    assert load_bundle(repo, target="staging").variables["catalog"] == "staging"  # {default: v} form


def test_variable_precedence(repo, monkeypatch):
    assert load_bundle(repo, target="dev").variables["catalog"] == "dev"  # default
    assert load_bundle(repo, target="prod").variables["catalog"] == "prod"  # target
    monkeypatch.setenv("BUNDLE_VAR_catalog", "from_env")
    assert load_bundle(repo, target="prod").variables["catalog"] == "from_env"  # env > target
    bundle = load_bundle(repo, target="prod", variables={"catalog": "from_flag"})  # --var > env
    assert bundle.variables["catalog"] == "from_flag"
    assert bundle.job("train")["tasks"][0]["notebook_task"]["base_parameters"]["catalog"] == "from_flag"


def test_nested_references_keep_types_and_cycles_are_errors(tmp_path):
    write(tmp_path, {"databricks.yml": """
        bundle: {name: typed}
        variables:
          rows: {default: 5}
          also_rows: {default: "${var.rows}"}
          schema: {default: "${var.prefix}_${var.rows}"}
          prefix: {default: "${bundle.target}"}
        targets: {dev: {default: true}}
        resources:
          jobs:
            j:
              name: j
              max_concurrent_runs: ${var.also_rows}
              description: rows=${var.also_rows} in ${var.schema}
    """})
    bundle = load_bundle(tmp_path)
    job = bundle.job("j")
    assert job["max_concurrent_runs"] == 5 and isinstance(job["max_concurrent_runs"], int)
    assert job["description"] == "rows=5 in dev_5"

    text = (tmp_path / "databricks.yml").read_text().replace('"${bundle.target}"', '"${var.schema}"')
    (tmp_path / "databricks.yml").write_text(text)
    with pytest.raises(BundleError, match=r"Reference cycle .*\$\{var.schema\}.*\$\{var.prefix\}"):
        load_bundle(tmp_path)


def test_resource_references(repo):
    write(repo, {"projects/churn/resources/retrain-resource.yml": """
        resources:
          jobs:
            retrain:
              name: retrain of ${resources.jobs.train.name}
              tasks:
                - task_key: call
                  run_job_task:
                    job_id: ${resources.jobs.train.id}
    """})
    bundle = load_bundle(repo)
    retrain = bundle.job("retrain")
    assert retrain["tasks"][0]["run_job_task"]["job_id"] == "train"
    assert retrain["name"] == "[dev jane_doe] retrain of [dev jane_doe] dev-churn-train"


def test_development_mode_prefixes_job_names(repo):
    assert load_bundle(repo, target="dev").job("train")["name"] == "[dev jane_doe] dev-churn-train"
    assert load_bundle(repo, target="prod").job("train")["name"] == "prod-churn-train"


def test_unknown_target_lists_targets(repo):
    with pytest.raises(BundleError) as error:
        load_bundle(repo, target="qa")
    assert str(error.value) == "Unknown target 'qa' in databricks.yml; targets: dev, prod, staging, test"


def test_undeclared_variable_lists_declared_ones(repo):
    with pytest.raises(BundleError, match=r"Unknown variable 'catalgo' given with --var; declared variables: "
                                          r"catalog, experiment_root"):
        load_bundle(repo, variables={"catalgo": "x"})


def test_unknown_variable_reference_names_file_and_key(repo):
    path = repo / "projects/churn/resources/training-resource.yml"
    path.write_text(path.read_text().replace("catalog: ${var.catalog}", "catalog: ${var.catalgo}", 1))
    with pytest.raises(BundleError) as error:
        load_bundle(repo)
    assert str(error.value) == (
        "Unknown variable 'catalgo' in ${var.catalgo} at "
        "resources.jobs.train.tasks[0].notebook_task.base_parameters.catalog "
        "(projects/churn/resources/training-resource.yml); declared variables: catalog, experiment_root")


def test_variable_without_value_is_an_error(repo):
    text = (repo / "databricks.yml").read_text().replace("    default: dev\n", "")
    (repo / "databricks.yml").write_text(text)
    assert load_bundle(repo, target="prod").variables["catalog"] == "prod"
    with pytest.raises(BundleError, match=r"Variable 'catalog' \(databricks.yml\) has no value for target dev: set "
                                          r"the environment variable BUNDLE_VAR_catalog=.*--var catalog=.*"
                                          r"under targets.dev.variables"):
        load_bundle(repo, target="dev")


def test_duplicate_resource_key_names_both_files(repo):
    write(repo, {"projects/churn/resources/copy-resource.yml": TRAINING_YML.replace("churn_model", "other")})
    with pytest.raises(BundleError) as error:
        load_bundle(repo)
    assert str(error.value) == (
        "Resource key 'train' is defined twice: resources.jobs.train in "
        "projects/churn/resources/copy-resource.yml and resources.jobs.train in "
        "projects/churn/resources/training-resource.yml")


def test_duplicate_yaml_key_is_an_error(repo):
    write(repo, {"resources/shared-resource.yml": "resources:\n  jobs: {}\n  jobs: {}\n"})
    with pytest.raises(BundleError, match=r"Invalid YAML in resources/shared-resource.yml line 3: duplicate key"):
        load_bundle(repo)


def test_notebook_path_is_relative_to_the_declaring_file(repo):
    bundle = load_bundle(repo)
    assert bundle.notebook_path("train", "train") == repo / "projects/churn/notebooks/Train.py"
    assert bundle.notebook_path("train", bundle.job("train")["tasks"][0]) == \
        repo / "projects/churn/notebooks/Features.py"
    deployed = bundle.to_dict()["resources"]["jobs"]["train"]["tasks"][1]["notebook_task"]["notebook_path"]
    assert deployed == "/Workspace/Users/jane.doe@example.com/.bundle/demo/dev/files/projects/churn/notebooks/Train"


def test_missing_notebook_names_job_task_path_and_file(repo):
    (repo / "projects/churn/notebooks/Train.py").unlink()
    with pytest.raises(BundleError) as error:
        load_bundle(repo)
    assert str(error.value) == (
        "Notebook not found for job 'train', task 'train': notebook_path '../notebooks/Train.py' in "
        "projects/churn/resources/training-resource.yml points to projects/churn/notebooks/Train.py, "
        "which does not exist")


def test_file_that_is_not_a_notebook_is_an_error(repo):
    (repo / "projects/churn/notebooks/Train.py").write_text("print('plain script')\n")
    with pytest.raises(BundleError, match=r"Train.py .* is not a Databricks notebook: its first line must be "
                                          r"'# Databricks notebook source'"):
        load_bundle(repo)


def test_unknown_job_lists_jobs(repo):
    with pytest.raises(BundleError, match=r"^Unknown job 'nope' for target dev; jobs: train$"):
        load_bundle(repo).job("nope")
