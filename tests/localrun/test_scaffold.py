"""./mlops new-project: refusals that create nothing, and a project removed again when the bundle
does not take it (test_scaffold_e2e.py: a generated project passes its tests and runs end to end)."""

import pytest

from conftest import ROOT
from localrun.bundle import BundleError
from localrun.scaffold import new_project
from tests.localrun.test_runner import job_yaml, log_task, make_bundle


@pytest.mark.parametrize(("name", "message"), [
    ("Demand-Forecast", "is not valid: use lower-case letters"),
    ("2fast", "is not valid"),
    ("double__underscore", "is not valid"),
    ("a" * 31, "is 31 characters long; at most 30"),
    ("lambda", "is a Python keyword"),
    ("common", "is reserved (the shared library's package)"),
    ("prod", "is reserved (a bundle target)"),
    ("churn", "projects/churn exists already"),
])
def test_a_bad_or_taken_name_is_refused_and_nothing_is_written(name, message):
    before = sorted(p.name for p in (ROOT / "projects").iterdir())
    with pytest.raises(BundleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        new_project(name, ROOT)
    assert sorted(p.name for p in (ROOT / "projects").iterdir()) == before


def test_a_project_the_bundle_does_not_take_is_removed_again(tmp_path):
    # This bundle does not include projects/*/resources/*.yml, so the new project's jobs are missing.
    root = make_bundle(tmp_path, job_yaml("only", log_task("x")))
    (root / "projects").mkdir()
    with pytest.raises(BundleError, match=r"projects/demo would not validate, so it was not kept:\n.*"
                                          r"project 'demo' has no job tagged stage: features"):
        new_project("demo", root)
    assert list((root / "projects").iterdir()) == []  # neither the project nor its hidden staging folder
