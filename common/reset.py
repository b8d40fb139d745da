"""Reset one project's dev assets so a demo starts afresh: its registered models, its MLflow
experiments and its tables (feature tables included). The reset_project job (resources/) runs it,
and is declared for the dev target only; this refuses any other target as well."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from common import registry, runtime, tables
from common.projects import discover_projects

RESETTABLE_TARGETS = ("dev",)
_DEV_PREFIX = re.compile(r"^\[[^\]/]*\] ")


@dataclass
class ResetReport:
    models: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def reset_project(spark, project: str, *, catalog: str, experiment_root: str, target: str,
                  schema: str = "", schema_prefix: str = "") -> ResetReport:
    """Delete the models and tables of the project's schema (`catalog.<schema>`, by default
    `<schema_prefix><project>`, as development mode names it) and its experiments under
    `experiment_root` (named `<project>-...`). Running it again deletes nothing more."""
    if target not in RESETTABLE_TARGETS:
        raise ValueError(f"reset_project resets the dev environment only; target {target!r} is not reset")
    known = discover_projects()
    if project not in known:
        raise ValueError(f"Unknown project {project!r}; set the job parameter 'project' to one of: "
                         f"{', '.join(known)}")
    import mlflow

    schema = schema or f"{schema_prefix}{project}"
    runtime.configure_mlflow()
    report = ResetReport(
        models=registry.list_models(catalog, schema),
        experiments=sorted(e.name for e in _experiments(mlflow, experiment_root, project)),
        tables=tables.list_tables(spark, catalog, schema),
    )
    # Models first: their versions point at runs of the experiments.
    for name in report.models:
        registry.delete_model(name)
    runtime.delete_experiments([e.experiment_id for e in _experiments(mlflow, experiment_root, project)])
    for name in report.tables:
        tables.drop_table(spark, name)
    return report


def _experiments(mlflow, experiment_root: str, project: str):
    """The project's experiments in `experiment_root`: named `<project>-...`, after the name prefix
    development mode may have put in front (`[dev <you>] churn-experiment`)."""
    root = experiment_root.rstrip("/") + "/"
    found = mlflow.search_experiments(filter_string=f"name LIKE '{root.replace(chr(39), chr(39) * 2)}%'")
    return [e for e in found if _DEV_PREFIX.sub("", e.name[len(root):]).startswith(f"{project}-")]
