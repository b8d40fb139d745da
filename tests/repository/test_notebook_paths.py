"""Notebooks find `common/`, their project and requirements.txt wherever they run: a Databricks Git
folder (a clone of the repository) and a deployed bundle (the files `databricks bundle deploy`
syncs, which leave out git-ignored files and `sync.exclude`), with the notebook's own folder as
the working directory, as the Databricks runtime sets it. The deployed files hold no laptop
platform code (localrun/, common/local/), and every module a workspace imports loads without it."""

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


def _modules(root: Path) -> list[str]:
    """Every module of common/ and the projects that a workspace imports: not the laptop stand-ins
    (common/local/), not tests, not notebooks."""
    names = []
    for path in sorted([*root.glob("common/**/*.py"), *root.glob("projects/**/*.py")]):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[:2] == ("common", "local") or "tests" in parts or "notebooks" in parts:
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


# In one fresh interpreter that does not know this checkout, for each layout: run each notebook's
# path cell from the notebook's folder, then its imports of common/ and projects/, and report where
# they came from; then import every module a workspace imports. Report any module of the laptop
# platform (localrun, common.local) that got imported along the way. (One interpreter for both
# layouts: the libraries load once; the repository's own modules are forgotten between runs.)
PROBE = textwrap.dedent('''
    import importlib, json, os, sys
    results = {}

    def forget():
        for name in [n for n in sys.modules if n.split(".")[0] in ("common", "projects", "localrun")]:
            del sys.modules[name]

    def platform():
        return {n for n in sys.modules if n.split(".")[0] == "localrun" or n.startswith("common.local")}

    for layout, spec in json.loads(sys.argv[1]).items():
        found, modules, loaded = {}, {}, set()
        for notebook, path_cell, imports in spec["notebooks"]:
            os.chdir(os.path.dirname(notebook))
            saved = list(sys.path)
            try:
                exec(path_cell, {})
                exec(imports, {})
                found[notebook] = [sys.modules["common"].__path__[0]] + [
                    sys.modules[name].__file__ for name in sorted(sys.modules) if name.startswith("projects.")]
            except Exception as error:
                found[notebook] = [f"{type(error).__name__}: {error}"]
            loaded |= platform()
            forget()
            sys.path[:] = saved
        saved = list(sys.path)
        sys.path.insert(0, spec["root"])
        for name in spec["modules"]:
            try:
                modules[name] = importlib.import_module(name).__file__
            except Exception as error:
                modules[name] = f"{type(error).__name__}: {error}"
        loaded |= platform()
        forget()
        sys.path[:] = saved
        results[layout] = {"root": spec["root"], "notebooks": found, "modules": modules, "platform": sorted(loaded)}
    print(json.dumps(results))
''')
LAYOUTS = {"git_folder": "repo", "deployed_bundle": ".bundle/mlops-monorepo/dev/files"}


def _notebook_probes(root: Path, layout: str) -> list[list[str]]:
    """Each notebook's (path, sys.path cell, imports of the repository), once its %pip file is found."""
    probes = []
    for notebook in NOTEBOOKS:
        copy = root / notebook
        assert copy.exists(), f"{notebook} is not in the {layout}"
        for requirements in PIP_REQUIREMENTS.findall(copy.read_text()):
            assert (copy.parent / requirements).resolve().is_file(), f"{notebook}: %pip -r {requirements} is missing"
        path_cell = next(c for c in _cells(copy) if "sys.path.insert" in c)
        probes.append([str(copy), path_cell, "\n".join(REPO_IMPORTS.findall(copy.read_text()))])
    return probes


def _pycache_prefix() -> dict[str, str]:
    return {"PYTHONPYCACHEPREFIX": sys.pycache_prefix} if sys.pycache_prefix else {}


@pytest.fixture(scope="module")
def probed(tmp_path_factory) -> dict:
    """Both layouts copied and probed in one interpreter: layout -> what the probe found."""
    base = tmp_path_factory.mktemp("layouts")
    specs = {}
    for layout, folder in LAYOUTS.items():
        root = _copy(_tracked_files() if layout == "git_folder" else _bundle_files(), base / folder)
        specs[layout] = {"notebooks": _notebook_probes(root, layout), "root": str(root), "modules": _modules(root)}
    # The bytecode cache ./mlops keeps in .venv says nothing of where the repository is.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(base), **_pycache_prefix()}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(specs)], cwd=base, capture_output=True,
                          text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_notebook_finds_the_repository_code_and_its_requirements(probed, layout):
    result = probed[layout]
    root, found = result["root"], result["notebooks"]
    assert sorted(found) == sorted(f"{root}/{n}" for n in NOTEBOOKS)
    for notebook, modules in found.items():
        assert modules[0] == f"{root}/common", f"{notebook}: {modules[0]}"
        assert all(m.startswith(root) for m in modules), (notebook, modules)
    assert {"common.runtime", "common.tables", "common.lifecycle.training", "projects.churn.model"} <= set(result["modules"])
    for name, file in result["modules"].items():
        assert file.startswith(root), f"{name} does not import from the {layout}: {file}"
    assert result["platform"] == [], "the laptop platform was imported on the workspace's path"


def test_the_deployed_bundle_holds_no_laptop_platform_code():
    deployed = _bundle_files()
    assert "common/runtime.py" in deployed and "requirements.txt" in deployed
    assert "common/lifecycle/training.py" in deployed and "common/notebooks/Train.py" in deployed
    assert "tools/databricks_cli_check.py" not in deployed
    laptop_only = ("localrun/", "common/local/", "tests/", "benchmarks/", ".ci/", ".github/", ".azure/",
                   ".lakehouse/", ".venv/")
    assert not [f for f in deployed if f.startswith(laptop_only) or "/tests/" in f]
    assert not {"mlops", "conftest.py", "requirements-local.txt", "requirements-jvm.txt"} & set(deployed)
    # The seam names common.local too, but imports it only off a workspace (see the probe above).
    platform_import = re.compile(r"^\s*(?:from|import) localrun\b", re.MULTILINE)
    assert not [f for f in deployed if f.endswith(".py") and platform_import.search((ROOT / f).read_text())]
