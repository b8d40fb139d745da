"""common/lifecycle/reports.py: Evidently's drift and quality report of scored rows against a
version's training rows, its headline figures, and the project settings that choose its drift test."""

import re

import numpy as np
import pandas as pd
import pytest

from common.config import ConfigError
from common.lifecycle import reports
from common.lifecycle.evidently_report import build_report, summarize
from common.lifecycle.metrics import DRIFT_METHODS
from common.lifecycle.settings import ModelSettings, load_model_settings
from common.lifecycle.spec import ModelSpec

SPEC = ModelSpec(keys=("entity_id",), timestamp="observed_at", label="target", problem="binary",
                 make_model=lambda p, seed: None, feature_keys=("entity_id",))


def _rows(seed: int, n: int = 600, shift: float = 0.0) -> pd.DataFrame:
    """Three numeric features, a binary label and a prediction that is right 80 % of the time."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({"tenure": rng.normal(24, 6, n) + shift, "charges": rng.gamma(2.0, 30.0, n),
                         "calls": rng.poisson(3, n).astype(float)})
    rows["target"] = rng.integers(0, 2, n)
    rows["prediction"] = np.where(rng.random(n) < 0.8, rows["target"], 1 - rows["target"])
    return rows


def _summary(reference, current, method="", threshold=0.0):
    return summarize(build_report("binary", "target", reference, current, method, threshold))


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return _rows(seed=1)


def test_unchanged_rows_show_no_drift_and_the_quality_the_labels_give(reference):
    summary = _summary(reference, _rows(seed=2))
    assert summary.drift_share == 0.0 and summary.drifted == {}
    assert 0.75 < summary.quality["accuracy"] < 0.85  # right 80 % of the time


def test_a_shifted_column_is_named_with_its_test_and_score(reference):
    summary = _summary(reference, _rows(seed=2, shift=6.0))
    assert list(summary.drifted) == ["tenure"]
    assert summary.drift_share == pytest.approx(1 / 3, abs=1e-3)
    assert summary.drifted["tenure"].startswith("K-S p_value") and "(threshold 0.05)" in summary.drifted["tenure"]


def test_the_projects_drift_method_and_threshold_decide(reference):
    shifted = _rows(seed=2, shift=6.0)
    psi = _summary(reference, shifted, "psi", 0.1)
    assert list(psi.drifted) == ["tenure"] and psi.drifted["tenure"].startswith("psi ")
    lenient = _summary(reference, shifted, "psi", 50.0)
    assert lenient.drifted == {} and lenient.drift_share == 0.0


def test_the_report_keeps_its_drift_table_and_every_chart_of_evidently(reference, tmp_path):
    from evidently.metrics.column_statistics import ValueDriftCalculation

    draw = ValueDriftCalculation._render  # noqa: SLF001 - the method reports.py patches for a while
    snapshot = build_report("binary", "target", reference, _rows(seed=2, shift=6.0))
    assert ValueDriftCalculation._render is draw  # noqa: SLF001 - Evidently is left as it was found
    page = tmp_path / "report.html"
    snapshot.save_html(str(page))
    html = page.read_text()
    assert "Data Drift Summary" in html or "Drift is detected for" in html
    assert all(column in html for column in ("tenure", "charges", "calls"))


def test_scored_rows_without_a_training_column_are_refused_by_name(reference, monkeypatch):
    monkeypatch.setattr(reports, "load_reference", lambda name, version: reference)
    with pytest.raises(ValueError, match=r"m version 3 lack the columns \['calls'\]"):
        reports.report(SPEC, "m", "3", _rows(seed=2).drop(columns="calls"), "/tests/reports")


def test_every_drift_method_a_project_may_name_is_one_evidently_has():
    from evidently.legacy.calculations.stattests.registry import _registered_stat_tests  # noqa: PLC2701 - no public list

    numeric = {name for name, kinds in _registered_stat_tests.items() if any(k.value == "num" for k in kinds)}
    assert set(DRIFT_METHODS) <= numeric


@pytest.mark.parametrize(("text", "message"), [
    ("monitoring:\n  drift:\n    method: pis\n", "'monitoring.drift.method' 'pis' is no drift method for numeric "
                                                 "columns; did you mean 'psi'?"),
    ("monitoring:\n  drift:\n    threshold: -0.1\n", "'monitoring.drift.threshold' must be a positive score"),
    ("monitoring:\n  drift:\n    methd: psi\n", "unknown key 'monitoring.drift.methd'; did you mean 'monitoring.drift.method'?"),
])
def test_a_bad_drift_setting_names_its_file(tmp_path, text, message):
    from sklearn.linear_model import LogisticRegression

    spec = ModelSpec(keys=("entity_id",), timestamp="observed_at", label="target", problem="binary",
                     make_model=lambda p, seed: LogisticRegression(**p), feature_keys=("entity_id",))
    config = tmp_path / "project.yml"
    config.write_text("training:\n  hyperparameters: {}\nvalidation:\n  thresholds: {}\n" + text)
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        load_model_settings(ModelSettings, spec, config)
    assert str(config) in str(err.value)
