"""End to end: README's main command, `mlops lifecycle`, on Sail, in a process of its own, for every
project (and one the scaffold adds); the MLflow UI over what it left, in headless Chromium; then
iris's again in a new process (a rerun on the tables and registry the first left: MERGEs, a second
version, an audited promotion). test_lifecycle_jvm_e2e.py runs iris on classic Spark, the second engine.

What it leaves behind is read back without Spark (the `deltalake` package and the MLflow client),
so the assertions do not share the code under test.
"""

import os
import re
import subprocess
import sys

import pytest
from deltalake import DeltaTable
from mlflow import MlflowClient

from common.local.identity import local_user
from conftest import ROOT
from localrun.bundle import load_bundle
from localrun.scaffold import new_project
from localrun.ui import running as ui_running
from tests.localrun.test_scaffold_e2e import NAME, repository_copy

# What the dev target names the schema and the model: development mode prefixes them per user.
_DEV = load_bundle(ROOT, "dev").resources
SCHEMA = f"dev.{_DEV['schemas']['churn']['name']}"
MODEL = f"{SCHEMA}.{_DEV['registered_models']['churn_model']['name']}"
TELCO_ROWS = 7043
IRIS = f"dev.{_DEV['schemas']['iris']['name']}"
IRIS_MODEL = f"{IRIS}.{_DEV['registered_models']['iris_model']['name']}"
FLOWERS = 150
# Debian's Chromium and its driver, or the browser and driver these name (.ci/run sets them to Chrome
# on the CI images that have it).
CHROMIUM = os.environ.get("MLOPS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MLOPS_CHROMEDRIVER", "/usr/bin/chromedriver")


def _start_mlops(engine: str, lakehouse, *args: str, cwd=ROOT) -> subprocess.Popen:
    env = {**os.environ, "MLOPS_LAKEHOUSE": str(lakehouse), "MLOPS_SPARK_ENGINE": engine}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.Popen([sys.executable, "-m", "localrun", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _output(process: subprocess.Popen) -> str:
    stdout, stderr = process.communicate(timeout=1200)
    assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    return stdout


def _mlops(engine: str, lakehouse, *args: str, cwd=ROOT) -> str:
    return _output(_start_mlops(engine, lakehouse, *args, cwd=cwd))


def _table(lakehouse, name):
    return DeltaTable(str(lakehouse / "tables" / name.replace(".", "/"))).to_pandas()


def _registry(lakehouse) -> MlflowClient:
    store = f"sqlite:///{lakehouse / 'mlflow.db'}"
    return MlflowClient(tracking_uri=store, registry_uri=store)


def _models_table(output: str) -> dict[str, list[str]]:
    """The lifecycle's closing table: model name -> its row's cells (project first)."""
    table = output[output.index("project  "):].splitlines()[2:]
    return {line.split()[1]: line.split() for line in table if line.strip()}


def _every_model_registered(output: str, lakehouse) -> None:
    """Each registered model the bundle declares was trained, promoted and used for scoring."""
    rows = _models_table(output)
    registry = _registry(lakehouse)
    project_of = {schema["name"]: project for project, schema in _DEV["schemas"].items()}
    for model in _DEV["registered_models"].values():
        project, name = project_of[model["schema_name"]], f"dev.{model['schema_name']}.{model['name']}"
        assert name in rows, (name, list(rows))
        assert rows[name][0] == project and "Challenger," in rows[name] and int(rows[name][-2]) > 0
        assert str(registry.get_model_version_by_alias(name, "Champion").version) == "1"
        # Monitoring's report on its scored rows: unchanged data, so no retraining for drift.
        assert 0 <= float(rows[name][-1]) <= 0.5, (name, rows[name])
        report = output[output.index("Drift and quality reports"):].split(f"  {name}: ", 1)[1].split()[0]
        assert report.startswith("file://") and os.path.getsize(report.removeprefix("file://")) > 100_000, report


def _check_first_run(output: str, lakehouse) -> None:
    for line in (f"compute_features.feature_rows: {TELCO_ROWS}", "train.model_version: 1",
                 "model_validation.validation_status: PASSED", "model_deployment.aliases: ['Challenger', 'Champion']",
                 f"batch_inference.rows_scored: {TELCO_ROWS}", "check_metrics.retrain: false"):
        assert line in output, output[-3000:]

    features = _table(lakehouse, f"{SCHEMA}.customer_features")
    assert len(features) == TELCO_ROWS
    assert not features.duplicated(["customer_id", "feature_timestamp"]).any()
    predictions = _table(lakehouse, f"{SCHEMA}.churn_predictions")
    assert len(predictions) == TELCO_ROWS
    assert set(predictions.model_version) == {"1"} and set(predictions.model_name) == {MODEL}

    champion = _registry(lakehouse).get_model_version_by_alias(MODEL, "Champion")
    assert str(champion.version) == "1"
    assert champion.tags["validation_status"] == "PASSED"
    assert float(champion.tags["validation_roc_auc"]) > 0.75

    history = _table(lakehouse, f"{SCHEMA}.monitoring_metrics")
    assert len(history) == 1 and history.drift_share[0] == 0.0 and len(history.drifted_columns[0]) == 0
    run = _registry(lakehouse).get_run(history.report[0].split("/")[1])
    assert run.data.tags["model_name"] == MODEL and run.data.metrics["drift_share"] == 0.0


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """README's main command in a copy of the repository with a scaffolded project: its output and lakehouse."""
    folder = tmp_path_factory.mktemp("lifecycle")
    repo, lakehouse = repository_copy(folder / "repo"), folder / "lakehouse"
    new_project(NAME, repo)
    return _mlops("sail", lakehouse, "lifecycle", cwd=repo), lakehouse, repo


class _Reruns:
    """iris's lifecycle twice more, at once, each in a new process, on the tables and registry the
    first run left; started by `start` (the browser test starts them once it has read the registry,
    and goes on meanwhile) or by `finish`, which returns what they printed and their exit codes."""

    def __init__(self, lakehouse, repo):
        self.lakehouse, self.repo, self.processes, self.before = lakehouse, repo, [], None

    def start(self) -> None:
        if not self.processes:
            self.before = _iris_state(self.lakehouse)  # the iris tables' keys and versions before them
            self.processes = [_start_mlops("sail", self.lakehouse, "lifecycle", "iris", cwd=self.repo)
                              for _ in range(2)]

    def finish(self) -> list[tuple[tuple[str, str], int]]:
        self.start()
        return [(p.communicate(timeout=1200), p.returncode) for p in self.processes]


@pytest.fixture(scope="module")
def iris_reruns(first_run):
    _, lakehouse, repo = first_run
    reruns = _Reruns(lakehouse, repo)
    yield reruns
    for process in reruns.processes:
        if process.poll() is None:
            process.kill()


@pytest.mark.e2e
def test_lifecycle_runs_every_job_of_every_project(first_run):
    output, lakehouse, _ = first_run
    _check_first_run(output, lakehouse)
    _every_model_registered(output, lakehouse)
    prefix = _DEV["schemas"]["churn"]["name"].removesuffix("churn")  # dev_<you>_
    generated = _models_table(output)[f"dev.{prefix}{NAME}.{prefix}{NAME}_model"]
    assert generated[0] == NAME and generated[3:5] == ["Challenger,", "Champion"] and generated[-2] == "500"


@pytest.mark.e2e
def test_one_task_of_a_job_reads_the_values_the_lifecycle_recorded(first_run):
    """README's `--task`, on a task that reads a value of a task it does not run: the lifecycle's run
    of the monitoring job recorded it (a condition task alone, so no Spark session starts)."""
    _, lakehouse, repo = first_run
    output = _mlops("sail", lakehouse, "run", "churn_monitoring", "--task", "needs_retraining", cwd=repo)
    assert '  check_metrics.retrain = "false" (recorded by run ' in output, output
    assert re.search(r"needs_retraining [\d.]+ s \(outcome false\)", output), output


def _browser():
    """The browser and its driver, when there; .ci/run finds or installs them and sets MLOPS_REQUIRE_BROWSER=1,
    making their absence a failure."""
    ready = all(os.path.exists(p) for p in (CHROMIUM, CHROMEDRIVER)) or os.environ.get("MLOPS_REQUIRE_BROWSER") == "1"
    reason = (f"the browser test needs {CHROMIUM} and {CHROMEDRIVER} (Debian: chromium, chromium-driver; or name a "
              "Chrome and its driver in MLOPS_CHROMIUM and MLOPS_CHROMEDRIVER)")
    return pytest.mark.skipif(not ready, reason=reason)


@pytest.mark.e2e
@_browser()
def test_the_mlflow_ui_shows_every_champion_and_a_drift_report_in_a_real_browser(first_run, iris_reruns, tmp_path):
    """./mlops ui's server over the lifecycle's store, looked at in headless Chromium: the registered
    models page, then iris's monitoring run with its Evidently report. The screenshots stay in this
    test's folder."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _, lakehouse, _ = first_run
    names = sorted(f"dev.{m['schema_name']}.{m['name']}" for m in _DEV["registered_models"].values())
    registry = _registry(lakehouse)
    # Version 1's report: the first run's, complete (iris's reruns make others meanwhile).
    report_run, = registry.search_runs([e.experiment_id for e in registry.search_experiments()],
                                       f"tags.model_name = '{IRIS_MODEL}' and tags.model_version = '1' "
                                       "and attributes.run_name LIKE 'monitor %'")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1600,1000", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)

    def text_once(wanted):
        """A wait condition: the page's text, once `wanted(text)` holds."""
        return lambda b: (lambda text: text if wanted(text) else None)(b.find_element(By.TAG_NAME, "body").text)

    def close_panels(b):
        for close in reversed(b.find_elements(By.CSS_SELECTOR, "button[aria-label='Close']")):
            close.click()  # the UI's what's-new dialog, then its assistant panel: not what the pictures are of

    with ui_running(lakehouse) as url:
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            browser.get(f"{url}/#/models")
            page = WebDriverWait(browser, 90).until(text_once(lambda text: all(n in text for n in names)))
            close_panels(browser)
            browser.save_screenshot(str(tmp_path / "registered-models.png"))
            lines = page.splitlines()
            for name in names:  # each model's row (its lines up to the next model's name) names its Champion
                start = lines.index(name) + 1
                row = lines[start:next((i for i in range(start, len(lines)) if lines[i].startswith("dev.")), None)]
                assert "@ Champion" in row, (name, row)
            iris_reruns.start()  # they change iris's versions: from here on, the browser sees version 1's report only

            # The report, as the run's artifact page shows it (in a frame of its own).
            browser.get(f"{url}/#/experiments/{report_run.info.experiment_id}/runs/{report_run.info.run_id}"
                        "/artifacts/reports/monitoring_report.html")
            frame = WebDriverWait(browser, 90).until(lambda b: b.find_elements(By.TAG_NAME, "iframe"))[0]
            close_panels(browser)
            browser.switch_to.frame(frame)
            report = WebDriverWait(browser, 60).until(text_once(lambda text: "Data Drift Summary" in text))
            browser.switch_to.default_content()
            browser.save_screenshot(str(tmp_path / "drift-report.png"))
        finally:
            browser.quit()
    # Its drift table: a row per feature of iris with its test, none drifted.
    assert "Drift is detected for 0.0% of columns (0 out of 6)." in report
    for feature in ("sepal_length", "sepal_width", "petal_length", "petal_width", "petal_area", "petal_elongation"):
        assert f"{feature} num" in report and "K-S p_value" in report, feature
    for picture in ("registered-models.png", "drift-report.png"):
        assert (tmp_path / picture).stat().st_size > 10_000


def _iris_state(lakehouse) -> tuple[dict, int]:
    """Each iris table's keys (the monitoring history aside: one row per check, by design) and how
    many versions its model has."""
    keys = {}
    for folder in sorted((lakehouse / "tables" / IRIS.replace(".", "/")).iterdir()):
        frame = _table(lakehouse, f"{IRIS}.{folder.name}")
        if folder.name != "monitoring_metrics":
            keys[folder.name] = sorted(map(tuple, frame[[c for c in ("flower_id", "observed_at") if c in frame]].values))
    return keys, len(_registry(lakehouse).search_model_versions(f"name = '{IRIS_MODEL}'"))


@pytest.mark.e2e
def test_two_reruns_at_once_duplicate_nothing_and_each_promotion_is_judged_against_the_champion_it_replaces(
        first_run, iris_reruns):
    """Two runs at once of iris (the quickest), each retraining and promoting: every table keeps its
    keys, there are two new versions, and no promotion replaces a Champion it was not compared with
    (a run whose Champion changed under it stops at deployment and says so)."""
    _, lakehouse, _ = first_run
    runs = iris_reruns.finish()
    keys_before, versions_before = iris_reruns.before
    promoted = 0
    for ((stdout, stderr), code) in runs:
        if code == 0:
            assert "model_validation.validation_status: PASSED" in stdout and "model_deployment.promoted: True" in stdout
            promoted += 1
        else:  # the other run promoted its version after this one was validated
            assert "but the Champion is now version" in stdout + stderr, (stdout + stderr)[-3000:]
    assert promoted >= 1
    keys_after, versions_after = _iris_state(lakehouse)
    assert keys_after == keys_before and len(keys_before["flowers"]) == FLOWERS
    assert set(keys_before) >= {"flowers", "flower_features", "iris_predictions"}
    assert versions_after == versions_before + 2
    features = DeltaTable(str(lakehouse / "tables" / IRIS.replace(".", "/") / "flower_features"))
    assert features.history()[0]["operation"] == "MERGE"
    registry = _registry(lakehouse)
    champion = registry.get_model_version_by_alias(IRIS_MODEL, "Champion")
    assert str(champion.version) in ("2", "3")
    # Every promotion is recorded on both versions, and each replaced the Champion it was judged against.
    chain, version = [], str(champion.version)
    while version != "1":
        tags = registry.get_model_version(IRIS_MODEL, version).tags
        assert tags["champion_action"] == "promotion" and tags["champion_by"] == local_user()
        assert tags["champion_replaced"] == tags["validation_compared_with"], tags
        assert registry.get_model_version(IRIS_MODEL, tags["champion_replaced"]).tags["replaced_by"] == version
        chain.append(version)
        version = tags["champion_replaced"]
    assert len(chain) == promoted
    predictions = _table(lakehouse, f"{IRIS}.iris_predictions")
    assert len(set(predictions.model_version)) == 1 and set(predictions.model_version) <= {"2", "3"}  # rescored
    assert len(_table(lakehouse, f"{IRIS}.monitoring_metrics")) == 1 + promoted  # one check per whole run
