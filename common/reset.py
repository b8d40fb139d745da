"""Reset one project's dev assets so a demo starts afresh: its registered models, its MLflow
experiments and its tables (feature tables included). The reset_project job (resources/) runs it,
and is declared for the dev target only; this refuses any other target as well."""

from __future__ import annotations

from dataclasses import dataclass, field

from common import registry, runtime, tables

RESETTABLE_TARGETS = ("dev",)


@dataclass
class ResetReport:
    models: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def projects() -> list[str]:
    return sorted(p.name for p in (runtime.REPO_ROOT / "projects").iterdir() if (p / "resources").is_dir())


def reset_project(spark, project: str, *, catalog: str, experiment_root: str, target: str) -> ResetReport:
    """Delete what `project` keeps in the `catalog.<project>` schema and its experiments under
    `experiment_root` (named `<project>-...`). Running it again deletes nothing more."""
    if target not in RESETTABLE_TARGETS:
        raise ValueError(f"reset_project resets the dev environment only; target {target!r} is not reset")
    if project not in projects():
        raise ValueError(f"Unknown project {project!r}; set the job parameter 'project' to one of: "
                         f"{', '.join(projects())}")
    import mlflow

    runtime.configure_mlflow()
    report = ResetReport(
        models=registry.list_models(catalog, project),
        experiments=sorted(e.name for e in _experiments(mlflow, experiment_root, project)),
        tables=tables.list_tables(spark, catalog, project),
    )
    # Models first: their versions point at runs of the experiments.
    for name in report.models:
        registry.delete_model(name)
    runtime.delete_experiments([e.experiment_id for e in _experiments(mlflow, experiment_root, project)])
    for name in report.tables:
        tables.drop_table(spark, name)
    return report


def _experiments(mlflow, experiment_root: str, project: str):
    prefix = f"{experiment_root.rstrip('/')}/{project}-".replace("'", "''")
    return mlflow.search_experiments(filter_string=f"name LIKE '{prefix}%'")
