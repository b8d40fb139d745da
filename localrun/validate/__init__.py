"""Offline validation of the bundle: `./mlops validate [-t TARGET] [-o json]`.

No workspace and no network. Three layers, and every problem is collected (not only the first) and
reported as `file:line: key.path: message`:

1. every bundle file as written (before `${...}` resolution) against the CLI's JSON schema, vendored
   in localrun/validate/schemas/ (Databricks License, kept beside it);
2. every target's resolved jobs, registered models, experiments, serving endpoints, quality monitors
   and job runs through the `databricks-bundles` resource classes (`Job.from_dict` and friends),
   after the same resolution the local runner uses (localrun/bundle/);
3. what a schema cannot see: every `${var.x}` is declared, every `${resources.kind.key...}`
   (`run_job_task.job_id` included) names a declared resource, every local notebook exists, every
   `depends_on` names a task of its job, job names are unique per target, every target's mode is
   development or production, every project under projects/ declares all its stages, every quality
   monitor watches a predictions table as batch inference writes it and is created after the job
   run that creates its tables; and who can change what a target runs: no production root under
   /Workspace/Shared, a real service principal, each principal's level given in one place.

    run.py         validate_bundle and default_target: the layers in order, one Report
    problems.py    Problem and Report: merged across targets, sorted, printed
    files.py       the files as written with the line of every key; Locator for resolved values
    schema.py      layer 1: the JSON schema, its errors in plain words
    resources.py   layer 2: the databricks-bundles classes, narrowed to the key at fault
    semantic.py    layer 3a: variables, references, notebooks, target modes
    projects.py    layer 3a: every project's stages and resources
    jobs.py        layer 3b: depends_on, cycles, unique job names
    monitors.py    layer 3b: quality monitors on predictions tables, created after the run that makes them
    access.py      layer 3c: shared production roots, the service principal, overlapping permissions
    wording.py     how messages show a value and the names a user could have meant
"""

from __future__ import annotations

from localrun.validate.problems import Problem, Report
from localrun.validate.run import default_target, validate_bundle
from localrun.validate.schema import SCHEMA_FILE

__all__ = ["SCHEMA_FILE", "Problem", "Report", "default_target", "validate_bundle"]
