"""Command line for the laptop: `python -m localrun ...` (the ./mlops script runs it).

    run <job> [-t TARGET] [--task T | --from-task T] [--var name=value ...] [--param name=value ...]
              [--task-value task.key=value ...]
    jobs [-t TARGET]
    validate [-t TARGET] [--var name=value ...] [-o json]
    lifecycle [-t TARGET] [PROJECT ...]
    rollback MODEL_NAME --reason TEXT [-t TARGET]
    approve MODEL_NAME VERSION
    serve ENDPOINT [--host H] [--port P]
    ui [--host H] [--port P]
    package MODEL_NAME [--output DIR] [--alias Champion]
    new-project NAME

Exit codes: 0 success, 1 a bundle or job error (one line, no traceback), 2 a usage error.
"""
from __future__ import annotations

import argparse
import gc
import json
import sys

from localrun.bundle import Bundle, BundleError, find_root, load_bundle
from localrun.runner import JobFailed, JobRun, run_job, task_order


def _key_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected name=value, got '{text}'")
    return name, value


def _load(args: argparse.Namespace) -> Bundle:
    return load_bundle(find_root(), target=args.target, variables=dict(getattr(args, "var", None) or []))


def run(args: argparse.Namespace) -> int:
    bundle = _load(args)
    try:
        result = run_job(bundle, args.job, only_task=args.task, from_task=args.from_task,
                         job_parameters=dict(args.param or []), task_values=dict(args.task_value or []))
    except JobFailed as exc:
        _summary(exc.run, failed=True)
        if args.traceback and exc.details:
            print(exc.details, file=sys.stderr, end="")
        raise
    _summary(result, failed=False)
    return 0


def _summary(result: JobRun, failed: bool) -> None:
    verdict = "FAILED" if failed else "succeeded"
    print(f"\nJob {result.job_key} ({result.job_name}), target {result.target}: {verdict}")
    width = max(len(k) for k in result.tasks)
    for task in result.tasks.values():
        detail = f"{task.duration:.1f} s" if task.status in ("ok", "failed") else task.reason
        if task.status == "failed":
            detail += f"  {task.reason}"
        print(f"  {task.status:<9} {task.task_key:<{width}}  {detail}")


def jobs(args: argparse.Namespace) -> int:
    bundle = _load(args)
    print(f"Jobs of target {bundle.target}:" + ("" if bundle.jobs else " (none)"))
    for key, job in sorted(bundle.jobs.items()):
        print(f"  {key}: {job.get('name', key)}")
        order = task_order(key, job.get("tasks") or [])
        print(f"      tasks: {' -> '.join(t['task_key'] for t in order) or '(none)'}")
    return 0


def validate(args: argparse.Namespace) -> int:
    """Validate the bundle offline (every target unless -t is given); with -o json, print the
    target's resolved configuration, like `databricks bundle validate -o json`."""
    from localrun.validate import default_target, validate_bundle

    root = find_root()
    variables = dict(args.var or [])
    if args.output == "json":
        target = args.target or default_target(root)
        report = validate_bundle(root, targets=[target], variables=variables)
        if target in report.bundles:
            print(json.dumps(report.bundles[target].to_dict(), indent=2, default=str))
        if not report.ok:
            print("\n".join(report.lines()), file=sys.stderr)
    else:
        report = validate_bundle(root, targets=[args.target] if args.target else None, variables=variables)
        print("\n".join(report.lines()))
    return 0 if report.ok else 1


def lifecycle(args: argparse.Namespace) -> int:
    """Run every example project's jobs (or the named projects') in lifecycle order (localrun/lifecycle.py)."""
    from localrun.lifecycle import run_lifecycle

    run_lifecycle(_load(args), projects=args.projects)
    return 0


def rollback(args: argparse.Namespace) -> int:
    """The rollback_model job (resources/rollback-resource.yml) for one model, as on a workspace."""
    args.job, args.task, args.from_task, args.traceback, args.task_value = "rollback_model", None, None, False, None
    args.param = [("model_name", args.model_name), ("reason", args.reason)]
    return run(args)


def approve(args: argparse.Namespace) -> int:
    """Approve a model version as the Approve button does (common/lifecycle/approval.py)."""
    from common.lifecycle.approval import APPROVAL_TASK
    from common.lifecycle.approval import approve as record

    try:
        tags = record(args.model_name, args.version)
    except (LookupError, ValueError) as exc:  # no such version; not a catalog.schema.model name
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    from common.local.deployment_jobs import connected_job

    job = connected_job(args.model_name) or "<the deployment job>"
    print(f"Approved {args.model_name} version {args.version} as {tags[APPROVAL_TASK + '_by']} at "
          f"{tags[APPROVAL_TASK + '_at']}. Run its deployment job again from the approval:\n"
          f"  ./mlops run {job} --from-task {APPROVAL_TASK} --param model_name={args.model_name} "
          f"--param model_version={args.version}")
    return 0


def ui(args: argparse.Namespace) -> int:
    """The MLflow UI over the local store and registry (localrun/ui.py)."""
    from localrun.ui import ui as run_ui

    return run_ui(args.host, args.port)


def serve(args: argparse.Namespace) -> int:
    """Answer HTTP requests for the model version a local serving endpoint serves (localrun/serving.py)."""
    from localrun.serving import serve as run_server

    try:
        run_server(args.endpoint, args.host, args.port)
    except LookupError as exc:  # no such endpoint yet
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


def package(args: argparse.Namespace) -> int:
    """The Champion (or --alias) as a Docker build context, by MLflow's generator (localrun/packaging.py)."""
    from localrun.packaging import package as write_context

    try:
        result = write_context(args.model_name, args.output, args.alias)
    except (LookupError, ValueError, OSError) as exc:  # no such model or alias; not catalog.schema.model; the folder
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(f"Packaged {result.model_name} version {result.version} ({result.alias}) into {result.folder}")
    for note in result.notes:
        print(f"Note: {note}")
    print(f"Build and serve it on port 8080:\n  {result.build_command}\n"
          f"  docker run --rm -p 8080:8080 {result.image}:{result.tag}")
    return 0


def new_project(args: argparse.Namespace) -> int:
    """Write projects/<name> from the scaffold's template (localrun/scaffold/)."""
    from localrun.scaffold import new_project as scaffold

    folder = scaffold(args.name, find_root())
    print(f"Created projects/{args.name} ({sum(1 for p in folder.rglob('*') if p.is_file())} files). Next:\n"
          f"  ./mlops test projects/{args.name}       its tests\n"
          f"  ./mlops lifecycle {args.name}           its jobs, end to end on a generated sample\n"
          f"  projects/{args.name}/README.md          what to replace with your own")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlops", description="Run the bundle's jobs on this machine.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    def command(name: str, func, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument("-t", "--target", help="bundle target (default: the one marked default: true)")
        sub.set_defaults(func=func)
        return sub

    def variables(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--var", action="append", type=_key_value, metavar="NAME=VALUE",
                         help="set a bundle variable (repeatable)")

    sub = command("run", run, "run one job of the bundle locally")
    sub.add_argument("job", help="job key, as under resources.jobs")
    which = sub.add_mutually_exclusive_group()
    which.add_argument("--task", help="run only this task")
    which.add_argument("--from-task", help="run this task and every task after it")
    variables(sub)
    sub.add_argument("--param", action="append", type=_key_value, metavar="NAME=VALUE",
                     help="set a job parameter (repeatable)")
    sub.add_argument("--task-value", action="append", type=_key_value, metavar="TASK.KEY=VALUE",
                     help="a value of a task that --task / --from-task leaves out, as JSON or text (repeatable; "
                          "default: the value the job's last run on this lakehouse recorded)")
    sub.add_argument("--traceback", action="store_true", help="print the failing notebook's traceback")

    variables(command("jobs", jobs, "list the jobs and their tasks"))
    sub = command("validate", validate, "check the bundle offline: schema, resources, references, notebooks, "
                                        "stages (every target unless -t is given)")
    variables(sub)
    sub.add_argument("-o", "--output", choices=("text", "json"), default="text",
                     help="json: print the target's resolved configuration (default target unless -t is given)")
    sub = command("lifecycle", lifecycle, "run every example project's jobs, in lifecycle order")
    sub.add_argument("projects", nargs="*", metavar="PROJECT", help="only these projects (default: every one)")
    variables(sub)
    sub = command("rollback", rollback, "make the Champion a model had before the current one the Champion again")
    sub.add_argument("model_name", help="the registered model, catalog.schema.model")
    sub.add_argument("--reason", required=True, help="why; recorded on both versions")
    variables(sub)
    sub = commands.add_parser("approve", help="approve a model version, as the Approve button does",
                              description="approve a model version, as the Approve button does")
    sub.add_argument("model_name", help="the registered model, catalog.schema.model")
    sub.add_argument("version", help="the version to approve")
    sub.set_defaults(func=approve)
    sub = commands.add_parser("package", help="write a Docker build context of a model's Champion (no daemon needed)",
                              description="write a Docker build context of a model's Champion (no daemon needed)")
    sub.add_argument("model_name", help="the registered model, catalog.schema.model")
    sub.add_argument("--output", help="the context's folder (default: <lakehouse>/docker/<model>-v<version>)")
    sub.add_argument("--alias", default="Champion", help="the alias of the version to package (default: Champion)")
    sub.set_defaults(func=package)
    sub = commands.add_parser("ui", help="the MLflow UI over the local store and registry",
                              description="the MLflow UI over the local store and registry (mlflow server)")
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=5000)
    sub.set_defaults(func=ui)
    sub = commands.add_parser("serve", help="serve a local serving endpoint's model version over HTTP",
                              description="serve a local serving endpoint's model version over HTTP (MLflow's "
                                          "scoring server: POST /invocations)")
    sub.add_argument("endpoint", help="the endpoint's name, as the deployment task's serving_endpoint")
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=5000)
    sub.set_defaults(func=serve)
    sub = commands.add_parser("new-project", help="add a project from the template, ready to test and run",
                              description="add a project from the template, ready to test and run")
    sub.add_argument("name", help="snake_case name: the folder under projects/, the schema, the job prefix")
    sub.set_defaults(func=new_project)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage error (2) or --help (0)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except (BundleError, JobFailed) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    finally:
        # Exit fast: the interpreter need not walk every object of mlflow, sklearn and pyspark.
        gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
