"""`mlops validate` on who can change what a target runs, with mistakes planted in a copy of the
repository's own bundle: each is reported once, with its file, line and key."""

import shutil
from pathlib import Path

import pytest

from conftest import ROOT as REPO
from localrun.validate import validate_bundle
from tests.localrun.test_validate import line_of, plant

ARTIFACTS = "projects/churn/resources/ml-artifacts-resource.yml"


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """The bundle files and notebooks of the repository, as they are."""
    monkeypatch.setenv("DATABRICKS_USER", "ci@example.com")
    shutil.copy(REPO / "databricks.yml", tmp_path)
    folders = ["resources", "common/notebooks", *(str(p.relative_to(REPO)) for p in REPO.glob("projects/*/resources")),
               *(str(p.relative_to(REPO)) for p in REPO.glob("projects/*/notebooks"))]
    for folder in folders:
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path  # valid as it is (test_validate.py): each test's output is its planted problem alone


def _lines(root: Path) -> list[str]:
    return validate_bundle(root).lines()


def test_a_production_root_that_every_user_can_write(repo):
    line = plant(repo, "databricks.yml", "    workspace: *service_principal_home\n    run_as: *service_principal\n"
                                         "    permissions: *production_permissions\n    variables:\n      catalog: prod",
                 "    workspace:\n      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}\n"
                 "    run_as: *service_principal\n    permissions: *production_permissions\n"
                 "    variables:\n      catalog: prod")
    out = _lines(repo)
    assert out[-1] == "1 problem (targets validated: dev, test, staging, prod)"
    assert out[0].startswith(f"databricks.yml:{line + 1}: targets.prod.workspace.root_path: the production target "
                             "deploys to /Workspace/Shared/.bundle/mlops-monorepo/prod, which every workspace user "
                             "can write")
    assert out[0].endswith("(target prod)")


def test_a_missing_service_principal(repo, monkeypatch):
    monkeypatch.delenv("BUNDLE_VAR_service_principal")
    out = _lines(repo)
    line = line_of(repo, "databricks.yml", "  service_principal:")
    assert out == [f"databricks.yml:{line}: variables.service_principal: has no value: set the environment variable "
                   "BUNDLE_VAR_service_principal=... (CI does), pass --var service_principal=..., or give it a value "
                   "under the target's variables (targets test, staging, prod)",
                   "1 problem (targets validated: dev, test, staging, prod)"]
    assert validate_bundle(repo, ["dev"]).ok  # dev runs as the developer


@pytest.mark.parametrize(("value", "message"), [
    ("00000000-0000-0000-0000-000000000000", "runs as the placeholder service principal"),
    ("", "run_as names nobody"),
])
def test_a_placeholder_or_empty_service_principal(repo, monkeypatch, value, message):
    monkeypatch.setenv("BUNDLE_VAR_service_principal", value)
    out = _lines(repo)
    assert len(out) == 4 and all(message in line for line in out[:3]), out  # test, staging and prod
    assert out[0].startswith("databricks.yml:")


def test_a_permission_that_overlaps_a_target_level_one(repo):
    line = plant(repo, ARTIFACTS, "      name: ${var.experiment_root}/churn-experiment\n",
                 "      name: ${var.experiment_root}/churn-experiment\n      permissions:\n"
                 "        - group_name: ${var.ml_engineers_group}\n          level: CAN_MANAGE\n")
    top = line_of(repo, "databricks.yml", "      - group_name: ${var.ml_engineers_group}")
    out = _lines(repo)
    assert out == [f"{ARTIFACTS}:{line + 2}: resources.experiments.churn_experiment.permissions[0]: group "
                   f"'ml-engineers' is also given a level by the target's top-level permissions (databricks.yml:{top}); "
                   "the CLI warns and ignores the top-level one here: give the principal its level in one place "
                   "(targets test, staging, prod)",
                   "1 problem (targets validated: dev, test, staging, prod)"]


def test_a_top_level_level_the_cli_refuses(repo):
    line = plant(repo, "databricks.yml", "        level: CAN_VIEW", "        level: CAN_READ")
    out = _lines(repo)  # the three production targets share the permissions (a YAML anchor)
    assert out == [f"databricks.yml:{line}: targets.{t}.permissions[1].level: level 'CAN_READ' is no top-level "
                   f"permission level; the CLI takes CAN_MANAGE, CAN_VIEW, CAN_RUN (target {t})"
                   for t in ("test", "staging", "prod")] + ["3 problems (targets validated: dev, test, staging, prod)"]
