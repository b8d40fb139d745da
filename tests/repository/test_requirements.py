"""The requirement files stay in step: the laptop's light Spark Connect client and the classic engine's
full pyspark are one Spark version, and what notebooks install on a workspace brings no Spark."""

import re
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
