#!/usr/bin/env python3
"""Each registered model's Champion as a container image: what the release pipelines run after the
prod deploy, against the workspace's Unity Catalog registry.

    databricks bundle validate --strict -t prod -o json > bundle.json
    MLFLOW_TRACKING_URI=databricks MLFLOW_REGISTRY_URI=databricks-uc \\
        python3 .ci/package_champions.py --bundle bundle.json --output "$RUNNER_TEMP/images"

The models are the bundle's `resources.registered_models` (catalog_name.schema_name.name, with the
`${resources...}` references that `bundle validate` leaves resolved from the same configuration). For
each, `./mlops package <model> --output <output>/<model>` writes the Champion's Docker build context
(MLflow's Dockerfile, the model, its pinned requirements), and the `docker build -t <image>:v<version>`
that it prints is run. A model with no Champion yet is skipped, with a line saying so; any other
failure fails the script, once every model has been tried. With a registry (--registry, default
$IMAGE_REGISTRY, e.g. ghcr.io/org), each image is also tagged <registry>/<image>:<tag> and pushed: sign
in to it first. Standard library only, like the other CI scripts.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What `./mlops package` says of a model that has no version under the alias (localrun/packaging.py).
NO_CHAMPION = "has no Champion alias"
_REFERENCE = re.compile(r"\$\{resources\.(\w+)\.(\w+)\.(\w+)\}")


class BundleError(Exception):
    """The configuration does not name its models fully; the message says which and why."""


def _resolve(value: str, resources: dict, where: str) -> str:
    def lookup(match: re.Match) -> str:
        kind, key, name = match.groups()
        found = ((resources.get(kind) or {}).get(key) or {}).get(name)
        if not isinstance(found, str) or "${" in found:
            raise BundleError(f"{where}: cannot resolve {match.group(0)} from the bundle configuration")
        return found

    resolved = _REFERENCE.sub(lookup, str(value))
    if "${" in resolved:
        raise BundleError(f"{where}: {value!r} is not resolved (give the output of `bundle validate -o json`)")
    return resolved


def registered_models(config: dict) -> list[str]:
    """The full names, catalog.schema.model, of the bundle's registered models, sorted."""
    resources = config.get("resources") or {}
    names = []
    for key, model in sorted((resources.get("registered_models") or {}).items()):
        parts = [model.get(field) for field in ("catalog_name", "schema_name", "name")]
        if not all(parts):
            raise BundleError(f"registered model {key} lacks its catalog_name, schema_name or name")
        names.append(".".join(_resolve(p, resources, f"registered model {key}") for p in parts))
    return names


def build_command(stdout: str) -> list[str] | None:
    """The `docker build -t IMAGE:TAG DIR` that `./mlops package` printed, as arguments."""
    for line in stdout.splitlines():
        if line.strip().startswith("docker build -t "):
            return shlex.split(line)
    return None


def _run(command: list[str]) -> int:
    print(f"$ {shlex.join(command)}", flush=True)
    return subprocess.run(command, check=False).returncode


def package_and_build(model: str, output: Path, mlops: str, registry: str | None) -> str:
    """'built', 'skipped' or 'failed', with the reason printed."""
    packaged = subprocess.run([mlops, "package", model, "--output", str(output / model)],
                              check=False, capture_output=True, text=True)
    print(packaged.stdout, end="", flush=True)
    if packaged.returncode != 0:
        if NO_CHAMPION in packaged.stderr:
            print(f"skipped: {model} has no Champion yet, so no image (it gets one once a version is promoted)")
            return "skipped"
        print(f"failed: ./mlops package {model}:\n{packaged.stderr.strip()}", file=sys.stderr)
        return "failed"
    command = build_command(packaged.stdout)
    if command is None:
        print(f"failed: ./mlops package {model} printed no docker build command", file=sys.stderr)
        return "failed"
    image = command[3]
    if registry:
        command[4:4] = ["-t", f"{registry.rstrip('/')}/{image}"]
    if _run(command) != 0:
        print(f"failed: docker build of {image} ({model})", file=sys.stderr)
        return "failed"
    if registry and _run(["docker", "push", f"{registry.rstrip('/')}/{image}"]) != 0:
        print(f"failed: docker push of {image} ({model})", file=sys.stderr)
        return "failed"
    print(f"built: {image} ({model})")
    return "built"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the image of every registered model's Champion.")
    parser.add_argument("--bundle", type=argparse.FileType("r", encoding="utf-8"), default=sys.stdin,
                        help="`bundle validate -o json` output (default: stdin)")
    parser.add_argument("--output", type=Path, required=True, help="folder for the build contexts, one per model")
    parser.add_argument("--registry", default=os.environ.get("IMAGE_REGISTRY") or None,
                        help="push the images here too (default: $IMAGE_REGISTRY; unset: build only)")
    parser.add_argument("--mlops", default=str(ROOT / "mlops"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        models = registered_models(json.load(args.bundle))
    except json.JSONDecodeError as exc:
        print(f"error: the bundle configuration is not JSON: {exc}", file=sys.stderr)
        return 1
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not models:
        print("error: the bundle declares no registered model", file=sys.stderr)
        return 1
    outcome = {model: package_and_build(model, args.output, args.mlops, args.registry) for model in models}
    for verdict, label in (("built", "images built"), ("skipped", "no Champion yet"), ("failed", "failed")):
        chosen = [model for model, v in outcome.items() if v == verdict]
        print(f"{label}: {len(chosen)}" + (f" ({', '.join(chosen)})" if chosen else ""))
    return 1 if "failed" in outcome.values() else 0


if __name__ == "__main__":
    sys.exit(main())
