"""The layers hold: import-linter's contracts (pyproject.toml) pass on the repository, and an import
planted against each one breaks that contract, by name, and only the contracts it should."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT

CONTRACTS = {c["id"]: c["name"] for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
             ["contracts"]}
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# (module file, the import planted at its end, the contracts it breaks)
PLANTED = [
    ("common/tables.py", "from localrun.bundle import load_bundle", {"common-stands-alone"}),
    ("common/config.py", "import projects.churn.settings", {"common-stands-alone"}),
    ("projects/churn/features.py", "from localrun.runner import run_job", {"projects-run-anywhere"}),
    # A stand-in imported by a project goes around the seam too.
    ("projects/churn/features.py", "from common.local.feature_store import FeatureTable",
     {"projects-run-anywhere", "stand-ins-through-the-seam"}),
    ("localrun/lifecycle.py", "import projects.churn.features", {"platform-reads-projects-through-the-bundle"}),
    ("common/registry.py", "from common.local import dbutils", {"stand-ins-through-the-seam"}),
    ("common/tables.py", "from common import registry", {"no-cycles"}),  # registry -> runtime -> tables
    ("localrun/runner/order.py", "from localrun.runner import job", {"no-cycles"}),  # job -> order
]


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, check=False)


def _copy(to: Path) -> Path:
    shutil.copy2(ROOT / "pyproject.toml", to / "pyproject.toml")
    for package in ("common", "localrun", "projects"):
        for path in (ROOT / package).rglob("*.py"):
            (to / path.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, to / path.relative_to(ROOT))
    return to


def test_every_contract_has_a_planted_violation():
    assert set().union(*(broken for _, _, broken in PLANTED)) == set(CONTRACTS)


def test_the_repository_keeps_every_contract():
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    for name in CONTRACTS.values():
        assert f"{name} KEPT" in done.stdout


@pytest.mark.parametrize(("module", "line", "broken"), PLANTED, ids=[f"{m}: {line}" for m, line, _ in PLANTED])
def test_a_planted_import_breaks_its_contract_by_name(tmp_path, module, line, broken):
    root = _copy(tmp_path)
    with (root / module).open("a") as handle:
        handle.write(f"\n{line}\n")
    done = _lint_imports(root)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr
    for key, name in CONTRACTS.items():
        assert f"{name} {'BROKEN' if key in broken else 'KEPT'}" in done.stdout, done.stdout[-3000:]
