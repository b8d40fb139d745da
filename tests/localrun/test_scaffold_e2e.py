"""./mlops new-project end to end, in a copy of the repository as a user would run it: the generated
project passes its own tests at once. (README's main command runs it end to end with the other
projects: tests/repository/test_lifecycle_e2e.py.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

NAME = "demo_shop"


def repository_copy(folder: Path) -> Path:
    """What git tracks and does not ignore, copied to `folder`: the repository as a fresh clone has it."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        if (ROOT / rel).is_file():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes((ROOT / rel).read_bytes())
    return folder


def python(cwd, *args, **env) -> str:
    done = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.e2e
def test_a_generated_project_passes_its_own_tests(tmp_path):
    repo = repository_copy(tmp_path / "repo")
    created = python(repo, "-m", "localrun", "new-project", NAME)
    assert f"Created projects/{NAME}" in created
    assert (repo / f"projects/{NAME}/tests/test_{NAME}.py").is_file()
    assert "4 passed" in python(repo, "-m", "pytest", f"projects/{NAME}", "-q", "-p", "no:cacheprovider")
