"""Benchmark: the local lifecycle against a Spark-free floor doing the same work.

    .venv/bin/python benchmarks/lifecycle_benchmark.py [--runs 3] [--rerun] [--bytecode cache|inherit]

Lifecycle: `python -m localrun lifecycle churn` in a subprocess, each run in a fresh lakehouse (what a new
user sees); --rerun adds a warm rerun on the same lakehouse. Floor: this file run with --floor-child
in its own subprocess, doing the same steps in pandas + deltalake + MLflow with no Spark. Wall times
include process start on both sides. Results go to benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PYCACHE = RESULTS / "pycache"
TARGET_RATIO = 3.0
TASK_LINE = re.compile(r"^\s*(?:✓|ok) (\S+) ([\d.]+) s", re.MULTILINE)
DONE_LINE = re.compile(r"=== Lifecycle done in ([\d.]+) s")
SPARK_IMPORTS = "import pyspark + FeatureLookup"  # a floor step, reported on its own
# The names the dev target gives the churn project (databricks.yml, projects/churn/resources/).
RAW, FEATURES, PREDICTIONS = "dev.churn.telco_customers", "dev.churn.customer_features", "dev.churn.churn_predictions"
MODEL, EXPERIMENT, OBSERVED_AT = "dev.churn.churn_model", "/Shared/benchmark-floor/churn-experiment", "2026-01-31"


# --- the floor: the same work with no Spark (runs in its own process, see --floor-child) ------------------

def pandas_features(raw):
    """FLOOR ONLY: projects/churn/features.py (compute_features) re-implemented in pandas, same columns
    and order. Differs only on nulls in the string columns compared, which the telco data does not have."""
    import pandas as pd

    def yes(c):  # 1.0 for 'Yes' or 1, else 0.0
        return raw[c].astype(str).isin(["Yes", "1"]).astype("float64")

    def number(c):
        return pd.to_numeric(raw[c], errors="coerce").fillna(0.0).astype("float64")

    from projects.churn.features import SERVICE_COLUMNS

    monthly, total, tenure = number("monthly_charges"), number("total_charges"), number("tenure")
    return pd.DataFrame({
        "customer_id": raw["customer_id"], "feature_timestamp": raw["observed_at"],
        # demographic_features
        "female": yes("female"), "senior_citizen": yes("senior_citizen"),
        "has_partner": yes("partner"), "has_dependents": yes("dependents"),
        # account_features
        "tenure_months": tenure,
        "contract_months": raw["contract"].map({"Two year": 24.0, "One year": 12.0}).fillna(1.0),
        "paperless_billing": yes("paperless_billing"),
        "pays_by_electronic_check": (raw["payment_method"] == "Electronic check").astype("float64"),
        "pays_automatically": raw["payment_method"].str.contains("automatic", regex=False, na=False).astype("float64"),
        # service_features
        "service_count": sum(yes(c) for c in SERVICE_COLUMNS) + yes("multiple_lines"),
        "has_fiber": (raw["internet_service"] == "Fiber optic").astype("float64"),
        "has_internet": (raw["internet_service"] != "No").astype("float64"),
        "has_tech_support": yes("tech_support"), "has_online_security": yes("online_security"),
        # billing_features
        "monthly_charges": monthly, "total_charges": total,
        "average_monthly_charge": (total / tenure.where(tenure > 0)).where(tenure > 0, monthly),
    })


def floor() -> dict:
    """Every lifecycle step in pandas; returns each step's seconds. Needs MLOPS_LAKEHOUSE set."""
    steps: dict[str, float] = {}

    @contextmanager
    def step(name):
        began = time.perf_counter()
        yield
        steps[name] = round(time.perf_counter() - began, 3)

    with step("import libraries"):
        import mlflow
        import pandas as pd
        import pyarrow as pa
        from deltalake import DeltaTable, write_deltalake
    with step(SPARK_IMPORTS):  # not the floor's own need: common/lifecycle/ imports them at the top
        import databricks.ml_features.entities.feature_lookup  # noqa: F401
        import pyspark.sql.functions  # noqa: F401
    with step("import project modules"):
        from common import registry, runtime, tables
        from common.lifecycle.deployment import deploy
        from common.lifecycle.metrics import holdout_metrics, log_plots
        from common.lifecycle.training_set import feature_columns, split_holdout
        from common.lifecycle.validation import (
            PASSED,
            ValidationOutcome,
            evaluate_model,
            record_verdict,
            reported_metrics,
            thresholds_for,
        )
        from projects.churn.data import RAW_COLUMNS, load_telco
        from projects.churn.features import KEYS, LABEL
        from projects.churn.model import ID, LABEL_TIME, SPEC
        from projects.churn.settings import load_settings

    def write(df, name):
        assert not df.duplicated([c for c in df.columns if c in (ID, LABEL_TIME, *KEYS)]).any(), name
        write_deltalake(tables.location(name), pa.Table.from_pandas(df, preserve_index=False), mode="overwrite")

    def read(name, columns=None):
        return DeltaTable(tables.location(name)).to_pandas(columns=columns)

    def point_in_time(spine, features):  # newest feature row at or before each spine row's timestamp
        out = pd.merge_asof(spine.sort_values(LABEL_TIME), features.sort_values("feature_timestamp"),
                            left_on=LABEL_TIME, right_on="feature_timestamp", by=ID, direction="backward")
        return out.drop(columns=["feature_timestamp"])

    with step("ingest raw data"):
        pdf = load_telco()
        pdf.insert(1, "observed_at", pd.Timestamp(OBSERVED_AT))
        write(pdf[RAW_COLUMNS], RAW)
    with step("compute features"):
        write(pandas_features(read(RAW, RAW_COLUMNS)), FEATURES)
    with step("training set"):
        raw = read(RAW, [ID, LABEL_TIME, LABEL])
        spine = raw.assign(**{LABEL: raw[LABEL].astype(str).isin(["Yes", "1"]).astype("int32")})
        pdf = point_in_time(spine, read(FEATURES)).drop(columns=[LABEL_TIME]).sort_values(ID, ignore_index=True)
    with step("split + fit lightgbm"):
        settings = load_settings()
        train_rows, holdout = split_holdout(SPEC, pdf, settings.holdout_fraction)
        features = feature_columns(SPEC, pdf)
        X, y = train_rows[features], train_rows[LABEL]
        params = dict(settings.training.hyperparameters)
        model = SPEC.make_model(params, settings.seed).fit(X, y)
    with step("mlflow store + experiment"):
        runtime.set_experiment(EXPERIMENT)  # sqlite store in the lakehouse, as the lifecycle
    with step("log + register model"):
        with mlflow.start_run(run_name="train"):
            mlflow.log_params({**params, "seed": settings.seed, "training_rows": len(X), "holdout_rows": len(holdout)})
            metrics = holdout_metrics(SPEC, model, holdout[features], holdout[LABEL])
            mlflow.log_metrics(metrics)
            log_plots(SPEC, model, holdout[features], holdout[LABEL])
            info = mlflow.sklearn.log_model(
                model, name="model", registered_model_name=MODEL,
                signature=mlflow.models.infer_signature(X, model.predict(X)), input_example=X.head(5),
                pip_requirements=list(SPEC.pip_requirements), skops_trusted_types=list(SPEC.skops_trusted_types),
            )
        version = str(info.registered_model_version)
        registry.set_alias(MODEL, registry.CHALLENGER, version)
    with step("evaluate + validate"):
        outcome = ValidationOutcome(MODEL, str(registry.get_version(MODEL, version).version), "dry_run", PASSED)
        assert registry.version_by_alias(MODEL, registry.CHAMPION) is None  # fresh store: no Champion yet
        runtime.set_experiment(EXPERIMENT)
        with mlflow.start_run(run_name=f"validate {MODEL} v{version}") as run:
            candidate = evaluate_model(SPEC, registry.model_uri(MODEL, version), holdout[features + [LABEL]], "candidate")
            outcome.candidate_metrics = reported_metrics(SPEC, candidate.metrics, settings)
            mlflow.validate_evaluation_results(thresholds_for(settings, False), candidate, None)  # raises if failed
            mlflow.set_tags({"validation_status": outcome.status, "model_version": version})
        record_verdict(outcome, run.info.run_id)
    with step("deploy (Champion alias)"):
        assert deploy(MODEL, version).promoted
    with step("batch inference"):
        champion = registry.version_by_alias(MODEL, registry.CHAMPION)
        scored_model = mlflow.pyfunc.load_model(registry.model_uri(MODEL, champion.version))
        rows = point_in_time(read(RAW, [ID, LABEL_TIME]), read(FEATURES))
        inputs = scored_model.metadata.get_input_schema().input_names()
        predictions = rows[[ID, LABEL_TIME]].assign(
            prediction=pd.Series(scored_model.predict(rows[inputs]), index=rows.index).astype("float64"),
            model_name=MODEL, model_version=str(champion.version), scored_at=pd.Timestamp.now(tz="UTC"),
        )
        write(predictions, PREDICTIONS)
        assert len(read(PREDICTIONS)) == len(rows)
    return {"steps": steps, "holdout_metrics": {k: round(v, 4) for k, v in metrics.items()}, "rows": len(rows)}


# --- the parent: subprocesses, timings, table -------------------------------------------------------------

def child_env(lakehouse: Path, bytecode: str) -> dict:
    env = {**os.environ, "MLOPS_LAKEHOUSE": str(lakehouse), "PYTHONIOENCODING": "utf-8"}
    env.pop("MLFLOW_TRACKING_URI", None)
    if bytecode == "cache":  # .pyc kept in a benchmark-owned folder: what an installed environment has
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def timed(cmd: list[str], env: dict) -> tuple[float, str]:
    began = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8")
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{tail}")
    return wall, proc.stdout


def run_lifecycle(lakehouse: Path, bytecode: str) -> dict:
    wall, out = timed([sys.executable, "-m", "localrun", "lifecycle", "churn"], child_env(lakehouse, bytecode))
    done = DONE_LINE.search(out)
    in_process = float(done.group(1)) if done else None
    tasks = {key: float(seconds) for key, seconds in TASK_LINE.findall(out)}
    return {"wall": round(wall, 2), "lifecycle_reported": in_process, "tasks": tasks,
            "outside_jobs": round(wall - in_process, 2) if in_process else None}


def run_floor(lakehouse: Path, bytecode: str) -> dict:
    wall, out = timed([sys.executable, str(Path(__file__).resolve()), "--floor-child"], child_env(lakehouse, bytecode))
    result = json.loads(out.strip().splitlines()[-1])
    return {"wall": round(wall, 2), **result,
            "outside_steps": round(wall - sum(result["steps"].values()), 2)}


def median(runs: list[dict]) -> float | None:
    return round(statistics.median(r["wall"] for r in runs), 2) if runs else None


def median_parts(runs: list[dict], key: str) -> dict[str, float]:
    names = list(runs[0][key]) if runs else []
    return {n: round(statistics.median(r[key].get(n, 0.0) for r in runs), 2) for n in names}


def benchmark(args) -> dict:
    lifecycle, reruns, floors, warmup, failures = [], [], [], [], []
    for i in range(args.warmup + args.runs):  # alternate, so machine noise hits both sides alike
        is_warmup = i < args.warmup
        label = "warm-up" if is_warmup else f"run {i - args.warmup + 1}/{args.runs}"
        with tempfile.TemporaryDirectory(prefix="lifecycle-bench-") as tmp:
            fresh = run_lifecycle(Path(tmp) / "lakehouse", args.bytecode)
            print(f"{label}: lifecycle {fresh['wall']:.1f} s (jobs {fresh['lifecycle_reported']} s)", flush=True)
            if args.rerun and not is_warmup:
                try:
                    again = run_lifecycle(Path(tmp) / "lakehouse", args.bytecode)
                except RuntimeError as error:  # recorded, not fatal: the fresh runs are the comparison
                    failures.append({"run": label, "what": "lifecycle rerun", "error": str(error)})
                    print(f"{label}: lifecycle rerun FAILED: {str(error).splitlines()[-1]}", flush=True)
                else:
                    reruns.append(again)
                    print(f"{label}: lifecycle rerun {again['wall']:.1f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="floor-bench-") as tmp:
            low = run_floor(Path(tmp) / "lakehouse", args.bytecode)
            print(f"{label}: floor {low['wall']:.1f} s", flush=True)
        if is_warmup:
            warmup += [fresh, low]
        else:
            lifecycle.append(fresh)
            floors.append(low)
    summary = {"lifecycle_median_s": median(lifecycle), "floor_median_s": median(floors),
               "rerun_median_s": median(reruns), "target_ratio": TARGET_RATIO}
    summary["ratio"] = round(summary["lifecycle_median_s"] / summary["floor_median_s"], 2)
    # The floor imports common/lifecycle/, which drags in pyspark and the feature store's FeatureLookup.
    spark_imports = statistics.median(r["steps"][SPARK_IMPORTS] for r in floors)
    summary["ratio_without_floor_spark_imports"] = round(
        summary["lifecycle_median_s"] / (summary["floor_median_s"] - spark_imports), 2)
    summary["within_target"] = summary["ratio"] <= TARGET_RATIO
    return {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_after": os.getloadavg()},
        "settings": {"runs": args.runs, "warmup": args.warmup, "rerun": args.rerun, "bytecode": args.bytecode,
                     "PYTHONDONTWRITEBYTECODE_in_env": os.environ.get("PYTHONDONTWRITEBYTECODE")},
        "summary": summary,
        "median_tasks_s": median_parts(lifecycle, "tasks"), "median_floor_steps_s": median_parts(floors, "steps"),
        "lifecycle_runs": lifecycle, "rerun_runs": reruns, "floor_runs": floors, "warmup_runs": warmup,
        "failures": failures,
    }


def report(result: dict) -> str:
    s, w = result["summary"], 42

    def row(name, value, note=""):
        return f"  {name:<{w}}{value:>8.2f}{note}"

    lines = [f"\n  {'median wall time, s':<{w}}", row("lifecycle (fresh lakehouse)", s["lifecycle_median_s"])]
    if s["rerun_median_s"] is not None:
        lines.append(row("lifecycle (rerun, same lakehouse)", s["rerun_median_s"]))
    lines += [row("floor (pandas + deltalake, no Spark)", s["floor_median_s"]),
              row("ratio lifecycle / floor", s["ratio"],
                  f"   target <= {s['target_ratio']:.0f}x: {'met' if s['within_target'] else 'NOT met'}"),
              row("ratio, floor without its Spark imports", s["ratio_without_floor_spark_imports"]),
              "\nlifecycle tasks (median s, as the runner prints them):"]
    lines += [row(k, v) for k, v in result["median_tasks_s"].items()]
    lines.append(row("outside the jobs (start, bundle, exit)",
                     statistics.median(r["outside_jobs"] or 0 for r in result["lifecycle_runs"])))
    lines.append("floor steps (median s):")
    lines += [row(k, v) for k, v in result["median_floor_steps_s"].items()]
    lines.append(row("outside the steps (start, exit)",
                     statistics.median(r["outside_steps"] for r in result["floor_runs"])))
    lines.append(f"floor holdout metrics: {result['floor_runs'][0]['holdout_metrics']}")
    if result["failures"]:
        lines.append(f"FAILED runs (details in the JSON): {', '.join(f['run'] + ' ' + f['what'] for f in result['failures'])}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side (default 3)")
    parser.add_argument("--rerun", action="store_true", help="also time a warm rerun on each run's lakehouse")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first, filling caches (default 1)")
    parser.add_argument("--bytecode", choices=("cache", "inherit"), default="cache",
                        help="cache: children keep .pyc under benchmarks/results/pycache, as an installed "
                             "environment does (default); inherit: the environment exactly as it is")
    parser.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_child:
        sys.path.insert(0, str(ROOT))  # run as a script: make common/ and projects/ importable
        print(json.dumps(floor()))
        return 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    result = benchmark(args)
    print(report(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"lifecycle-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
