"""Notebooks find `common/`, their project and requirements.txt wherever they run: a Databricks Git
folder (a clone of the repository) and a deployed bundle (the files `databricks bundle deploy`
syncs, which leave out git-ignored files and `sync.exclude`), with the notebook's own folder as
the working directory, as the Databricks runtime sets it."""

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

NOTEBOOKS = sorted(p.relative_to(ROOT) for p in ROOT.glob("**/notebooks/*.py") if ".venv" not in p.parts)
PIP_REQUIREMENTS = re.compile(r"^# MAGIC %pip install .*-r (\S+)", re.MULTILINE)
REPO_IMPORTS = re.compile(r"^(?:from (?:common|projects)\S* import .+|import (?:common|projects)\S*)$", re.MULTILINE)


def _tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return [f for f in listed if (ROOT / f).is_file()]


def _bundle_files() -> list[str]:
    """What bundle sync uploads: the repository less git-ignored files and sync.exclude."""
    excludes = yaml.safe_load((ROOT / "databricks.yml").read_text())["sync"]["exclude"]
    return [f for f in _tracked_files() if not any(fnmatch.fnmatch(f, pattern) for pattern in excludes)]


def _copy(files: list[str], to: Path) -> Path:
    for f in files:
        (to / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, to / f)
    return to


def _cells(notebook: Path) -> list[str]:
    return notebook.read_text().split("# COMMAND ----------")


# Run each notebook's path cell from the notebook's folder in a fresh interpreter that does not
# know this checkout, then its imports of common/ and projects/; report where they came from.
PROBE = textwrap.dedent('''
    import importlib, json, os, sys
    found = {}
    for notebook, path_cell, imports in json.loads(sys.argv[1]):
        os.chdir(os.path.dirname(notebook))
        saved = list(sys.path)
        try:
            exec(path_cell, {})
            exec(imports, {})
            found[notebook] = [sys.modules["common"].__path__[0]] + [
                sys.modules[name].__file__ for name in sorted(sys.modules) if name.startswith("projects.")]
        except Exception as error:
            found[notebook] = [f"{type(error).__name__}: {error}"]
        for name in [n for n in sys.modules if n.split(".")[0] in ("common", "projects")]:
            del sys.modules[name]
        sys.path[:] = saved
    print(json.dumps(found))
''')


@pytest.mark.parametrize("layout", ["git_folder", "deployed_bundle"])
def test_every_notebook_finds_the_repository_code_and_its_requirements(tmp_path, layout):
    files = _tracked_files() if layout == "git_folder" else _bundle_files()
    root = _copy(files, tmp_path / ("repo" if layout == "git_folder" else ".bundle/mlops-monorepo/dev/files"))
    probes = []
    for notebook in NOTEBOOKS:
        copy = root / notebook
        assert copy.exists(), f"{notebook} is not in the {layout}"
        for requirements in PIP_REQUIREMENTS.findall(copy.read_text()):
            assert (copy.parent / requirements).resolve().is_file(), f"{notebook}: %pip -r {requirements} is missing"
        path_cell = next(c for c in _cells(copy) if "sys.path.insert" in c)
        probes.append([str(copy), path_cell, "\n".join(REPO_IMPORTS.findall(copy.read_text()))])

    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(probes)], cwd=tmp_path, capture_output=True,
                          text=True, check=False, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.splitlines()[-1])
    assert sorted(found) == sorted(str(root / n) for n in NOTEBOOKS)
    for notebook, modules in found.items():
        assert modules[0] == str(root / "common"), f"{notebook}: {modules[0]}"
        assert all(m.startswith(str(root)) for m in modules), (notebook, modules)


def test_the_deployed_bundle_leaves_out_what_only_laptops_and_ci_use():
    deployed = _bundle_files()
    assert "common/runtime.py" in deployed and "requirements.txt" in deployed
    assert not [f for f in deployed if f.startswith(("common/schemas/", "benchmarks/", ".lakehouse/", ".venv/"))]
