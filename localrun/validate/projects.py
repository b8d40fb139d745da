"""Layer 3a, the projects' rules: every folder under projects/ has a job tagged `project: <name>`
for each lifecycle stage (common.projects.STAGES) and a deployment job, and declares a registered
model and an experiment in its own resources files; a project's jobs carry its name, and a
`project:` tag names an existing project.
"""

from __future__ import annotations

from pathlib import Path

from common.projects import DEPLOYMENT_STAGE, STAGES, discover_projects
from localrun.bundle import format_key
from localrun.validate.files import BundleFile, as_dict
from localrun.validate.problems import Problem
from localrun.validate.wording import choices_hint, show_value

# What every projects/<name>/ must declare in its own resources/*.yml: at least one resource of each kind.
REQUIRED_PROJECT_RESOURCES = {"registered_models": "registered model", "experiments": "experiment"}


def project_problems(root: Path, files: list[BundleFile]) -> list[Problem]:
    """Every projects/<name>/ has a job tagged project: <name> for each stage of STAGES, and
    declares the resources of REQUIRED_PROJECT_RESOURCES in its own files."""
    projects = discover_projects(root)
    problems = []
    stages: dict[str, set[str]] = {name: set() for name in projects}
    owned: dict[str, set[str]] = {name: set() for name in projects}
    for f in files:
        problems += _file_problems(f, projects, stages, owned)
    for name in projects:
        problems += _missing(name, stages[name], owned[name])
    return problems


def _file_problems(f: BundleFile, projects: list[str], stages: dict[str, set[str]],
                   owned: dict[str, set[str]]) -> list[Problem]:
    """A file's jobs with a wrong project tag; adds the stages tagged and the resource kinds that a
    project's own files declare to `stages` and `owned`."""
    parts = Path(f.rel).parts
    owner = parts[1] if len(parts) > 2 and parts[0] == "projects" else None
    resources = as_dict(f.data.get("resources"))
    for kind, items in resources.items():
        if owner in owned and as_dict(items):
            owned[owner].add(kind)
    problems = []
    for job_key, job in as_dict(resources.get("jobs")).items():
        if not isinstance(as_dict(job).get("tags", {}), dict):
            continue  # the schema reports it
        tags = as_dict(as_dict(job).get("tags"))
        path = ("resources", "jobs", job_key, "tags")
        project = tags.get("project")
        if owner is not None and project != owner and isinstance(job, dict):
            problems.append(Problem(f.rel, f.line(path + ("project",)), format_key(path),
                                    f"a job of project '{owner}' needs the tag project: {owner}"
                                    + (f", not {show_value(project)}" if project is not None else "")))
        elif project is not None and project not in stages:
            problems.append(Problem(f.rel, f.line(path + ("project",)), format_key(path + ("project",)),
                                    f"no project '{project}' under projects/"
                                    + choices_hint("projects", projects, str(project))))
        if project in stages and isinstance(tags.get("stage"), str):
            stages[project].add(tags["stage"])
    return problems


def _missing(name: str, stages: set[str], owned: set[str]) -> list[Problem]:
    """A project's missing stages and resource kinds."""
    where = f"projects/{name}/resources"
    problems = []
    for stage in (*STAGES, DEPLOYMENT_STAGE):
        if stage not in stages:
            problems.append(Problem(where, None, "resources.jobs",
                                    f"project '{name}' has no job tagged stage: {stage} (with project: {name}); "
                                    f"every project needs the stages {', '.join(STAGES)} and a deployment job "
                                    f"(stage: {DEPLOYMENT_STAGE}) that its new model versions start"))
    for kind, label in REQUIRED_PROJECT_RESOURCES.items():
        if kind not in owned:
            problems.append(Problem(where, None, f"resources.{kind}",
                                    f"project '{name}' declares no {label} in {where}/*.yml"))
    return problems
