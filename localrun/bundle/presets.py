"""What the CLI does to the resources once variables are resolved, before `${resources...}` are:
development mode's presets, the presets applied (name prefix, tags, concurrency, paused triggers),
the job defaults it fills in, and `run_as` copied into every job. Same order, same rules, so that
`mlops validate -o json` and `databricks bundle validate -o json` can be compared.
"""

from __future__ import annotations

from localrun.bundle.workspace import normalize

DEVELOPMENT_CONCURRENT_RUNS = 4
TRIGGERS = ("schedule", "trigger", "continuous")


def mode_presets(presets: dict | None, mode: str | None, short_name: str) -> dict:
    """The presets, with what development mode adds where they are silent."""
    presets = dict(presets or {})
    if mode == "development":
        presets.setdefault("name_prefix", f"[dev {short_name}] ")
        presets["tags"] = {"dev": short_name, **(presets.get("tags") or {})}
        presets.setdefault("jobs_max_concurrent_runs", DEVELOPMENT_CONCURRENT_RUNS)
        presets.setdefault("trigger_pause_status", "PAUSED")
        presets.setdefault("pipelines_development", True)
    return presets


def apply_presets(resources: dict, presets: dict) -> None:
    """Name prefixes, tags, concurrency and trigger pause status, in place. Jobs take the prefix as it
    is, experiments on the last part of their path, and Unity Catalog names (registered models,
    schemas, serving endpoints) a normalised form: "[dev jane] " -> "dev_jane_"."""
    prefix = presets.get("name_prefix") or ""
    tags = sorted((presets.get("tags") or {}).items())
    for job in resources.get("jobs", {}).values():
        job["name"] = prefix + str(job.get("name", ""))
        job_tags = job.setdefault("tags", {}) if tags else job.get("tags", {})
        for key, value in tags:
            if not job_tags.get(key):
                job_tags[key] = value
        if not job.get("max_concurrent_runs") and presets.get("jobs_max_concurrent_runs"):
            job["max_concurrent_runs"] = presets["jobs_max_concurrent_runs"]
        if presets.get("trigger_pause_status"):
            for trigger in TRIGGERS:
                if isinstance(job.get(trigger), dict):
                    job[trigger].setdefault("pause_status", presets["trigger_pause_status"])
    for experiment in resources.get("experiments", {}).values():
        folder, sep, base = str(experiment.get("name", "")).rpartition("/")
        experiment["name"] = f"{folder}{sep}{prefix}{base}"
        have = {t.get("key") for t in experiment.get("tags") or []}
        experiment_tags = [{"key": k, "value": v} for k, v in tags if k not in have]
        if experiment_tags:
            experiment["tags"] = [*(experiment.get("tags") or []), *experiment_tags]
    for kind in ("registered_models", "schemas", "model_serving_endpoints"):
        for resource in resources.get(kind, {}).values():
            resource["name"] = catalog_prefix_of(prefix) + str(resource.get("name", ""))


def catalog_prefix_of(prefix: str) -> str:
    """A name prefix as Unity Catalog names take it: '[dev jane] ' -> 'dev_jane_', 'ci-' -> 'ci'."""
    trimmed = prefix.replace("[", "").strip(" ")
    return normalize(trimmed) + ("_" if trimmed.endswith("]") else "")


def job_defaults(resources: dict, run_as: dict | None) -> None:
    """What the CLI fills in on every job: one run at a time, triggers unpaused, queueing on, and the
    bundle's run_as where the job has none."""
    for job in resources.get("jobs", {}).values():
        job.setdefault("max_concurrent_runs", 1)
        for trigger in TRIGGERS:
            if isinstance(job.get(trigger), dict):
                job[trigger].setdefault("pause_status", "UNPAUSED")
        job.setdefault("queue", {"enabled": True})
        if run_as and "run_as" not in job:
            job["run_as"] = dict(run_as)
