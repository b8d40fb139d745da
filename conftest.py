"""One Spark session and one throwaway lakehouse for the whole test session."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
END_TO_END = "tests/repository/test_lifecycle_e2e.py"  # README's main command, run end to end
sys.path.insert(0, str(ROOT))
# A pytest-xdist worker's __main__ has neither __spec__ nor __file__, which Spark Connect's client,
# on its first import (pyspark.sql.connect.utils.check_dependencies), takes for a doctest run: it then looks for a full Spark install, which the
# light client (pyspark-client) does not have, and exits the worker.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "pytest-xdist worker"

# Before anything imports common.runtime: tests never touch the user's own lakehouse.
_LAKEHOUSE = tempfile.mkdtemp(prefix="mlops-test-lakehouse-")
os.environ["MLOPS_LAKEHOUSE"] = _LAKEHOUSE
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.setdefault("RUST_LOG", "error,sail_delta_lake::transaction=off")  # as common.local.spark
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


@pytest.fixture(scope="session")
def fe(spark):
    """The feature store client of the runtime seam (the local one here)."""
    from common.runtime import feature_store_client

    return feature_store_client()


def test_name(request) -> str:
    """The test's name as a Unity Catalog name part: letters, digits and _, at most 40."""
    return "".join(c if c.isalnum() else "_" for c in request.node.name)[:40].lower()


def registered_copy(result, request, schema: str):
    """A training result's model registered again, as version 1 of `<schema>.<test name>` with the
    Challenger alias that training gives: a model of the test's own, to move aliases and record
    verdicts on, with no second training."""
    from dataclasses import replace

    from common import registry

    name = f"{schema}.{test_name(request)}"
    version = registry.register(registry.get_version(result.model_name, result.version).source, name)
    registry.set_alias(name, registry.CHALLENGER, version)
    return replace(result, model_name=name, version=version)


@pytest.fixture
def schema(request) -> str:
    """A catalog.schema of its own for each test, so tables never collide."""
    return f"test.{test_name(request)}"


def pytest_collection_modifyitems(items):
    """Coverage counts what the shared code's own tests (tests/) exercise; a project's tests test the
    project, and run untraced (pytest-cov's no_cover), which also spares them the tracer's cost.
    Longest first, so that two workers (below) end together: the end-to-end tests (README's main
    command before the others), then the projects' tests (one unit per project), then the rest."""
    projects = ROOT / "projects"
    for item in items:
        if item.path.is_relative_to(projects):
            item.add_marker(pytest.mark.no_cover)
    items.sort(key=lambda item: (not item.nodeid.startswith(END_TO_END), item.get_closest_marker("e2e") is None,
                                 not item.path.is_relative_to(projects)))


def pytest_xdist_make_scheduler(config, log):
    """On several workers (./mlops test): an end-to-end file (test_*_e2e.py), whose tests spend minutes
    in processes of their own, is one unit, and a worker busy with one is given nothing else until it
    is done (xdist would queue more behind it); a project's tests are one unit, and so is every other
    test file, so that their session and module fixtures are built once, on one worker. The report
    tests join churn's unit: both make Evidently reports, whose import (about 8 s) one worker then
    pays once."""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # keep the order above, not the units' test counts

    def end_to_end(scope: str) -> bool:
        return scope.endswith("_e2e.py")

    class EndToEndApart(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::")[0]
            if end_to_end(path):
                return path
            if path == "tests/common/test_reports.py":
                return "projects/churn"
            parts = nodeid.split("/")
            return "/".join(parts[:2]) if parts[0] == "projects" else path

        def _reschedule(self, node) -> None:
            busy = any(end_to_end(scope) and not all(done.values())
                       for scope, done in self.assigned_work[node].items())
            if not busy or node.shutting_down or not self.workqueue:
                super()._reschedule(node)
            elif self._pending_of(self.assigned_work[node]) < 2:
                # A worker runs a test only once it holds the next one, so it gets the file of fewest tests.
                files = [s for s in self.workqueue if not end_to_end(s) and not s.startswith("projects/")]
                light = min(files, key=lambda s: len(self.workqueue[s]), default=None)
                if light is not None:
                    self.workqueue.move_to_end(light, last=False)
                self._assign_work_unit(node)

    return EndToEndApart(config, log)


def pytest_sessionfinish(session, exitstatus):
    import shutil

    shutil.rmtree(_LAKEHOUSE, ignore_errors=True)
