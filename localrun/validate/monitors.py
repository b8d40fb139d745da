"""Layer 3b, on each target's resolved quality monitors: each watches a predictions table that a
batch inference task writes, in the shape that task writes it (model id, prediction, label and
timestamp columns), with the problem type of the project's model, that model's baseline table and
the table's own schema for its metric tables; and each is created only after a job run that creates
its tables, since a monitor cannot be created on a missing table and a fresh target has none.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from common.lifecycle.spec import PROBLEMS
from localrun.bundle import Bundle
from localrun.bundle.notebooks import notebook_tasks
from localrun.validate.files import Locator, as_dict
from localrun.validate.problems import Problem
from localrun.validate.wording import choices_hint, show_value

# The columns batch inference writes (common/lifecycle/predictions.py), as inference_log names them.
INFERENCE_COLUMNS = {"model_id_col": "model_version", "prediction_col": "prediction", "label_col": "label",
                     "timestamp_col": "scored_at"}
PROBLEM_TYPES = {"binary": "PROBLEM_TYPE_CLASSIFICATION", "multiclass": "PROBLEM_TYPE_CLASSIFICATION",
                 "regression": "PROBLEM_TYPE_REGRESSION"}
BATCH_INFERENCE = "BatchInference.py"
CREATE_TABLES = "CreatePredictionTables.py"
BASELINE_SUFFIX = "_baseline"  # common/lifecycle/predictions.py: a model's baseline table
_TEMPLATE = re.compile(r"\{\{\s*(input|job\.parameters)\.(\w+)\s*\}\}")
_JOB_RUN_PARAMETER = re.compile(r"^\$\{resources\.job_runs\.([\w-]+)\.job_parameters\.(\w+)\}$")


@dataclass(frozen=True)
class Scored:
    """A predictions table as a batch inference task writes it: by which project's model."""

    project: str
    model_name: str


def monitor_problems(bundle: Bundle, locate: Locator) -> list[Problem]:
    written = predictions_tables(bundle)
    problems = []
    for key, monitor in bundle.resources.get("quality_monitors", {}).items():
        path = ("resources", "quality_monitors", key)
        problems += [locate.problem(path + tuple(where), message)
                     for where, message in _problems(bundle, monitor, path, written, locate)]
    return problems


def _problems(bundle: Bundle, monitor: dict, path, written: dict[str, Scored], locate: Locator):
    table = monitor.get("table_name")
    scored = written.get(table)
    if scored is None:
        yield ["table_name"], (f"{show_value(table)} is no predictions table: no batch inference task writes it"
                               + choices_hint("predictions tables", written, str(table)))
    yield from _ordering(bundle, path, locate)
    log = monitor.get("inference_log")
    if not isinstance(log, dict):
        yield ["inference_log"], ("missing inference_log: a predictions table is monitored as an inference log "
                                  f"({', '.join(f'{k}: {v}' for k, v in INFERENCE_COLUMNS.items())})")
    else:
        for name, column in INFERENCE_COLUMNS.items():
            if log.get(name) != column:
                yield ["inference_log", name], (f"{show_value(log.get(name))}: batch inference writes this column as "
                                                f"'{column}'")
        if scored is not None:
            yield from _problem_type(bundle.root, scored.project, log.get("problem_type"))
    if scored is not None:
        expected = scored.model_name + BASELINE_SUFFIX
        baseline = monitor.get("baseline_table_name")
        if not baseline:
            yield [], (f"missing baseline_table_name: drift is measured against the Champion's training rows, "
                       f"{expected}")
        elif baseline != expected:
            yield ["baseline_table_name"], (f"{show_value(baseline)} is not the baseline of {scored.model_name}, "
                                            f"which scores this table: {expected}")
    if isinstance(table, str) and table.count(".") == 2:
        schema = table.rsplit(".", 1)[0]
        if monitor.get("output_schema_name") != schema:
            yield ["output_schema_name"], (f"{show_value(monitor.get('output_schema_name'))}: the metric tables go "
                                           f"beside the table, in {schema}")


def _ordering(bundle: Bundle, path, locate: Locator):
    """table_name and baseline_table_name come from a job run whose job creates the tables."""
    raw = locate.file(path)
    written = as_dict(raw.get(path) if raw else None)
    runs = bundle.resources.get("job_runs", {})
    for name, parameter in (("table_name", "predictions_table"), ("baseline_table_name", "baseline_table")):
        value = written.get(name)
        if value is None and name == "baseline_table_name":
            continue  # reported as missing above
        match = _JOB_RUN_PARAMETER.match(str(value))
        run = match and runs.get(match.group(1))
        if not match or match.group(2) != parameter or not run:
            yield [name], (f"must be ${{resources.job_runs.<key>.job_parameters.{parameter}}}, the job run that "
                           f"creates the table: a monitor cannot be created on a missing table, and a fresh target "
                           f"has none until that run ({CREATE_TABLES}) has made it")
        elif not _creates_tables(bundle.jobs.get(str(run.get("job_id")), {})):
            yield [name], (f"job run '{match.group(1)}' runs job '{run.get('job_id')}', which has no {CREATE_TABLES} "
                           "task to create the table before the monitor")


def _creates_tables(job: dict) -> bool:
    return any(str(task["notebook_task"].get("notebook_path", "")).endswith(CREATE_TABLES)
               for _, task in notebook_tasks(job, ()))


def _problem_type(root: Path, project: str, problem_type):
    problems = model_problems(root, project)
    allowed = {PROBLEM_TYPES[p] for p in problems}
    if allowed and problem_type not in allowed:
        yield ["inference_log", "problem_type"], (
            f"{show_value(problem_type)} does not fit project {project}'s model ({', '.join(sorted(problems))} in "
            f"projects/{project}/model.py): {' or '.join(sorted(allowed))}")


@cache
def model_problems(root: Path, project: str) -> frozenset[str]:
    """The problem types that projects/<project>/model.py names, read from its source: importing it
    would load the model libraries (seconds, for a check that takes milliseconds)."""
    try:
        tree = ast.parse((root / "projects" / project / "model.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return frozenset()
    return frozenset(node.value for node in ast.walk(tree)
                     if isinstance(node, ast.Constant) and node.value in PROBLEMS)


def predictions_tables(bundle: Bundle) -> dict[str, Scored]:
    """Every table a batch inference task writes, its for_each items and job parameters expanded."""
    found = {}
    for job_key, job in bundle.jobs.items():
        defaults = {p.get("name"): p.get("default", "") for p in job.get("parameters") or [] if isinstance(p, dict)}
        for task_path, task in notebook_tasks(job, ("resources", "jobs", job_key)):
            spec = task["notebook_task"]
            if not str(spec.get("notebook_path", "")).endswith(BATCH_INFERENCE):
                continue
            params = as_dict(spec.get("base_parameters"))
            items = _inputs(job, task_path) if "for_each_task" in task_path else [{}]
            for item in items:
                table = _expand(str(params.get("output_table", "")), item, defaults)
                found[table] = Scored(str(params.get("project", "")), _expand(str(params.get("model_name", "")),
                                                                              item, defaults))
    return found


def _inputs(job: dict, task_path) -> list[dict]:
    """The items of the for_each_task around an inner task (its inputs, a JSON list as written)."""
    task = job["tasks"][task_path[4]]
    try:
        items = json.loads(task["for_each_task"].get("inputs") or "[]")
    except (TypeError, ValueError):
        return []
    return [i for i in items if isinstance(i, dict)]


def _expand(value: str, item: dict, defaults: dict) -> str:
    return _TEMPLATE.sub(lambda m: str((item if m.group(1) == "input" else defaults).get(m.group(2), m.group(0))),
                         value)
