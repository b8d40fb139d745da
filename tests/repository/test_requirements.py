"""The requirement files stay in step: the laptop's light Spark Connect client and the classic engine's
full pyspark are one Spark version, and what notebooks install on a workspace brings no Spark; and
./mlops installs the one the engine needs."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    return dict(PIN.findall((ROOT / name).read_text()))


def test_the_jvm_engines_pyspark_is_the_version_of_the_laptops_spark_connect_client():
    local, jvm = _pins("requirements-local.txt"), _pins("requirements-jvm.txt")
    assert "pyspark" not in local  # the full pyspark (480 MB) only with the classic engine
    assert jvm == {"pyspark": local["pyspark-client"]}


def test_what_notebooks_install_on_a_workspace_brings_no_spark():
    # The Databricks runtime has its own Spark; a pyspark from %pip would shadow it.
    assert not {"pyspark", "pyspark-client"} & set(_pins("requirements.txt"))


# ./mlops's set-up, run in a copy of the script with a stand-in uv that records what it is asked to
# install (the install itself is what a fresh clone's benchmark measures), so that the choice of
# requirement files is seen: the light client by default, the full pyspark when the classic engine
# is asked for, and kept once .venv has it.
FAKE_UV = '#!/bin/sh\necho "$@" >> "$(dirname "$0")/../uv.log"\n'


def _mlops_repo(tmp_path: Path) -> Path:
    for name in ("mlops", "requirements.txt", "requirements-local.txt", "requirements-jvm.txt"):
        shutil.copy2(ROOT / name, tmp_path / name)
    bin_dir = tmp_path / ".venv/bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'), ("uv", FAKE_UV)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return tmp_path


def _set_up(repo: Path, **env) -> list[str]:
    """What ./mlops asked uv to do on its way to a command (`./mlops test --version`)."""
    log = repo / ".venv/uv.log"
    log.unlink(missing_ok=True)
    clean = {k: v for k, v in os.environ.items() if k not in ("MLOPS_SPARK_ENGINE", "MLOPS_REQUIRE_JVM")}
    done = subprocess.run([str(repo / "mlops"), "test", "--version"], env={**clean, **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return log.read_text().splitlines() if log.exists() else []


def test_mlops_installs_the_light_client_by_default_and_the_full_pyspark_for_the_classic_engine(tmp_path):
    repo = _mlops_repo(tmp_path)
    calls = _set_up(repo)
    assert len(calls) == 1 and calls[0].startswith("pip install")  # its cache alone sufficed (--offline)
    assert "-r " + str(repo / "requirements-local.txt") in calls[0] and "requirements-jvm.txt" not in calls[0]
    assert _set_up(repo) == []  # set up once: the next command installs nothing

    calls = _set_up(repo, MLOPS_SPARK_ENGINE="JVM")  # any case, as common.env reads it
    assert calls[0].startswith("pip uninstall") and calls[0].endswith("pyspark-client")
    assert "-r " + str(repo / "requirements-jvm.txt") in calls[1] and "--excludes" in calls[1]
    assert _set_up(repo, MLOPS_REQUIRE_JVM="1") == []  # the same set: nothing to do

    # Once .venv has the full pyspark, a command without the variable keeps it rather than going back.
    (repo / ".venv/bin/spark-submit").touch()
    assert _set_up(repo) == []
