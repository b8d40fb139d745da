"""One Spark session and one throwaway lakehouse for the whole test session."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
END_TO_END = "tests/repository/test_lifecycle_e2e.py"
sys.path.insert(0, str(ROOT))

# Before anything imports common.runtime: tests never touch the user's own lakehouse.
_LAKEHOUSE = tempfile.mkdtemp(prefix="mlops-test-lakehouse-")
os.environ["MLOPS_LAKEHOUSE"] = _LAKEHOUSE
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.setdefault("RUST_LOG", "error")
# What CI gives the test, staging and prod targets (they have no default on purpose); tests of a
# missing value take it away.
TEST_SERVICE_PRINCIPAL = "11111111-2222-3333-4444-555555555555"
os.environ["BUNDLE_VAR_service_principal"] = TEST_SERVICE_PRINCIPAL


@pytest.fixture(scope="session")
def spark():
    from common.runtime import get_spark

    return get_spark()


@pytest.fixture(scope="session")
def lakehouse() -> Path:
    return Path(_LAKEHOUSE)


@pytest.fixture
def schema(request) -> str:
    """A catalog.schema of its own for each test, so tables never collide."""
    name = "".join(c if c.isalnum() else "_" for c in request.node.name)[:40].lower()
    return f"test.{name}"


def pytest_collection_modifyitems(items):
    """Coverage counts what the shared code's own tests (tests/) exercise; a project's tests test the
    project, and run untraced (pytest-cov's no_cover), which also spares them the tracer's cost.
    The end-to-end tests go first, so that on two workers one starts on them at once (below)."""
    projects = ROOT / "projects"
    for item in items:
        if item.path.is_relative_to(projects):
            item.add_marker(pytest.mark.no_cover)
    items.sort(key=lambda item: not item.nodeid.startswith(END_TO_END))  # stable: the end-to-end tests first


def pytest_xdist_make_scheduler(config, log):
    """On several workers (./mlops test): the end-to-end tests, which spend their time in processes of
    their own, are one unit for one worker; a project's tests are one unit (its session fixtures are
    built once); every other test is a unit of its own for whichever worker is free. (xdist's
    `loadgroup` would do the first by marker, but not under pytest 9.)"""
    from xdist.scheduler import LoadScopeScheduling

    class EndToEndApart(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(END_TO_END):
                return END_TO_END
            parts = nodeid.split("/")
            return "/".join(parts[:2]) if parts[0] == "projects" else nodeid

    return EndToEndApart(config, log)


def pytest_sessionfinish(session, exitstatus):
    import shutil

    shutil.rmtree(_LAKEHOUSE, ignore_errors=True)
