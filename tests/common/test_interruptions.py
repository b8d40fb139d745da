"""A features job killed at several points of its table write (tests/common/feature_writer.py, in a
process of its own with its own Spark server, killed as a whole): the table is left readable at
its previous version or complete at the next, never half-written or undeclared, and the next run
succeeds. Each kill lands when the lakehouse shows the point was reached, so it may land a little
later; what is asserted holds wherever it lands."""

import os
import signal
import subprocess
import sys
import time

import pytest

from common import tables
from conftest import ROOT
from tests.common.feature_writer import ROWS
from tests.common.feature_writer import write as _write

pytestmark = pytest.mark.e2e  # in processes of their own, like the end-to-end tests


def _data_files(folder) -> int:
    return sum(1 for f in os.scandir(folder) if f.name.endswith(".parquet")) if folder.is_dir() else 0


def _commits(folder) -> int:
    log = folder / "_delta_log"
    return sum(1 for f in os.scandir(log) if f.name.endswith(".json")) if log.is_dir() else 0


POINTS = {
    "description written": lambda folder, files, commits: (folder / "_feature_table.json").exists(),
    "first data file": lambda folder, files, commits: _data_files(folder) > files,
    "committed": lambda folder, files, commits: _commits(folder) > commits,
}


def _kill_at(point: str, name: str, round_: int) -> None:
    """Run the writer and kill it, with its Spark server, as soon as `point` is reached."""
    folder = tables.location(name)
    files, commits = _data_files(folder), _commits(folder)
    child = subprocess.Popen([sys.executable, str(ROOT / "tests/common/feature_writer.py"), name, str(round_)],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not POINTS[point](folder, files, commits):
        assert child.poll() is None, f"the writer ended before {point}: {child.stdout.read()[-2000:]}"
        assert time.monotonic() < deadline, f"{point} not reached"
        time.sleep(0.002)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def _rounds(spark, name: str) -> set[int]:
    """Which writes the table's rows come from (value = id x round): one, if no write was torn."""
    tables.register(spark, name)
    rows = tables.read_table(spark, name).filter("entity_id > 0").selectExpr("CAST(value / entity_id AS INT) AS r")
    return {row.r for row in rows.distinct().collect()}


@pytest.mark.parametrize("point", list(POINTS))
def test_a_new_feature_table_killed_before_its_commit_is_no_table_and_the_next_run_creates_it(spark, fe, point):
    name = f"dev.interrupted.new_features_{point.split()[0]}"
    _kill_at(point, name, 1)
    if tables.table_exists(spark, name):  # the kill landed after the commit: the whole table
        assert fe.table_exists(name) and _rounds(spark, name) == {1}
    else:  # a description with no table is no feature table, and blocks nothing
        assert not fe.table_exists(name)
    _write(spark, fe, name, 1)
    assert fe.get_table(name=name).primary_keys == ["entity_id", "feature_timestamp"]
    assert tables.read_table(spark, name).count() == ROWS and _rounds(spark, name) == {1}


@pytest.mark.parametrize("point", ["first data file", "committed"])
def test_a_merge_killed_midway_leaves_one_whole_version_and_the_next_run_completes_it(spark, fe, point):
    name = f"dev.interrupted.features_{point.split()[0]}"
    _write(spark, fe, name, 1)
    _kill_at(point, name, 2)
    assert fe.table_exists(name)
    assert tables.read_table(spark, name).count() == ROWS
    assert _rounds(spark, name) in ({1}, {2})  # the previous version, or the next one whole
    _write(spark, fe, name, 2)
    assert tables.read_table(spark, name).count() == ROWS and _rounds(spark, name) == {2}
