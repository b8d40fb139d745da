""".ci/changed_projects.py: which projects a change touches, in a small repository of two projects,
through the functions, the command line (standard library only) and a real git diff."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT as REPO

SCRIPT = REPO / ".ci" / "changed_projects.py"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look the module up while building the class
    spec.loader.exec_module(module)
    return module


changed = _load(SCRIPT)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two projects, alpha and beta, beside common/ and the bundle."""
    for path in ("projects/alpha/train.py", "projects/beta/train.py", "projects/beta/tests/test_train.py",
                 "common/runtime.py", "databricks.yml", "README.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("# v1\n")
    (tmp_path / "projects" / "__pycache__").mkdir()
    return tmp_path


def _select(paths: list[str], root: Path):
    return changed.select(paths, changed.discover_projects(root))


def test_projects_are_the_folders_under_projects(repo):
    assert changed.discover_projects(repo) == ["alpha", "beta"]
    assert "churn" in changed.discover_projects(REPO)


def test_a_change_inside_one_project_selects_that_project_only(repo):
    selection = _select(["projects/beta/train.py", "projects/beta/tests/test_train.py"], repo)
    assert selection.projects == ["beta"]
    assert selection.full_suite is False


@pytest.mark.parametrize("path", ["common/runtime.py", "resources/shared-resource.yml", "databricks.yml",
                                  "requirements.txt", "requirements-local.txt", "requirements-jvm.txt",
                                  "pyproject.toml", "conftest.py", "mlops", ".ci/run", ".ci/changed_projects.py"])
def test_a_shared_change_selects_every_project_and_the_full_suite(repo, path):
    selection = _select([path], repo)
    assert selection.projects == ["alpha", "beta"]
    assert selection.full_suite is True
    assert selection.reasons == {path: "shared by every project"}


@pytest.mark.parametrize("paths", [["README.md"], ["docs/ci.md", "docs/img/flow.png"],
                                   ["projects/alpha/README.md"], [".github/workflows/ci.yml"],
                                   [".azure/devops-pipelines/ci-cd.yml"], ["benchmarks/lifecycle_benchmark.py"],
                                   []])
def test_documentation_and_pipeline_changes_select_nothing(repo, paths):
    selection = _select(paths, repo)
    assert selection.projects == []
    assert selection.full_suite is False


def test_a_repository_test_runs_the_full_suite_but_no_project(repo):
    selection = _select(["tests/test_bundle.py"], repo)
    assert (selection.projects, selection.full_suite) == ([], True)


def test_paths_outside_any_known_folder_select_everything(repo):
    # A deleted project, a file directly in projects/, a new top-level file: when in doubt, test all.
    for path in ("projects/gamma/train.py", "projects/shared.yml", ".gitignore", "Makefile"):
        selection = _select([path], repo)
        assert (selection.projects, selection.full_suite) == (["alpha", "beta"], True), path


def test_mixed_changes_add_up(repo):
    selection = _select(["README.md", "./projects/alpha/train.py", "tests/test_x.py"], repo)
    assert (selection.projects, selection.full_suite) == (["alpha"], True)


def _git(root: Path, *args: str) -> str:
    config = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *config, *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def git_repo(repo: Path) -> Path:
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "feature")
    return repo


def _commit(root: Path, *paths: str) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("# v2\n")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "change")


def _run(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    # -I -S: no site-packages, no user paths: the script needs the standard library only.
    return subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), "--root", str(root), *args],
                          check=False, capture_output=True, text=True, env=env)


def test_command_line_diffs_against_the_base_branch(git_repo):
    _commit(git_repo, "projects/alpha/train.py")
    result = _run(git_repo, "--base", "main")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"projects": ["alpha"], "full_suite": False}
    assert "projects/alpha/train.py: project alpha" in result.stderr


def test_command_line_readme_only_selects_nothing(git_repo):
    _commit(git_repo, "README.md")
    result = _run(git_repo, "--base", "main")
    assert json.loads(result.stdout) == {"projects": [], "full_suite": False}


def test_command_line_common_change_selects_every_project(git_repo):
    _commit(git_repo, "common/runtime.py")
    result = _run(git_repo, "--base", "main")
    assert json.loads(result.stdout) == {"projects": ["alpha", "beta"], "full_suite": True}


def test_an_unknown_base_selects_everything_with_a_warning(git_repo):
    result = _run(git_repo, "--base", "no-such-branch")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"projects": ["alpha", "beta"], "full_suite": True}
    assert "warning: cannot diff no-such-branch...HEAD" in result.stderr


def test_github_format_appends_a_matrix_list_to_github_output(repo, tmp_path):
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    result = _run(repo, "--paths", "projects/beta/train.py", "--format", "github",
                  env={"GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert output.read_text() == 'earlier=1\nprojects=["beta"]\nfull_suite=false\n'


def test_azure_format_sets_output_variables(repo):
    result = subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), "--root", str(repo), "--paths", "-",
                             "--format", "azure"], input="common/runtime.py\n", check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "##vso[task.setvariable variable=projects;isoutput=true]alpha beta",
        '##vso[task.setvariable variable=matrix;isoutput=true]{"alpha":{"project":"alpha"},"beta":{"project":"beta"}}',
        "##vso[task.setvariable variable=any_project;isoutput=true]true",
        "##vso[task.setvariable variable=full_suite;isoutput=true]true",
    ]


def test_azure_format_with_nothing_to_test(repo):
    assert changed.azure_output(_select(["README.md"], repo)).splitlines() == [
        "##vso[task.setvariable variable=projects;isoutput=true]",
        "##vso[task.setvariable variable=matrix;isoutput=true]{}",
        "##vso[task.setvariable variable=any_project;isoutput=true]false",
        "##vso[task.setvariable variable=full_suite;isoutput=true]false",
    ]
