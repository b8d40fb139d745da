"""`./mlops package`: a registered model's Champion as a Docker build context, written by MLflow's own
generator (what `mlflow models generate-dockerfile` runs), with no Docker daemon.

The context holds MLflow's Dockerfile and, in `model_dir/`, the model as registered: its MLmodel, its
files and its pinned requirements.txt, which the image installs. The image serves the model on port
8080 (MLflow's scoring server). Laptop and CI only, never deployed: CI's release pipelines build the
image of each prod Champion with it (.ci/package_champions.py).

Image names come from the full model name, lower case, with every run of other characters than
letters and digits turned into `-` (`prod.churn.churn_model` -> `prod-churn-churn-model`), so the
same model of two catalogs never shares a name; the tag is `v<version>`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common import registry, runtime
from common.env import lakehouse_dir

# Where MLflow's generator puts the model inside the context (mlflow.pyfunc.backend._MODEL_DIR_NAME).
MODEL_DIR = "model_dir"
# What a context this command wrote holds: such a folder is replaced, any other non-empty one refused.
CONTEXT_ENTRIES = {"Dockerfile", MODEL_DIR}
# System libraries a Python requirement needs in MLflow's python:<version>-slim image. MLflow adds
# libgomp1 for models of the lightgbm flavour only; ours log LightGBM through the sklearn flavour.
SYSTEM_PACKAGES = {"lightgbm": ("libgomp1",)}
_INSTALL_DEPS = re.compile(r"^RUN python -c .*_install_pyfunc_deps\(.*$", re.MULTILINE)


class PackagingError(ValueError):
    """The model cannot be packaged as asked; the message names the model (or the folder)."""


class NoChampion(PackagingError, LookupError):
    """The model is registered, but no version carries the alias."""


class UnknownModel(PackagingError, LookupError):
    """No registered model of that name."""


@dataclass
class Package:
    model_name: str
    alias: str
    version: str
    folder: Path
    image: str
    tag: str
    notes: list[str] = field(default_factory=list)

    @property
    def build_command(self) -> str:
        return f"docker build -t {self.image}:{self.tag} {shlex.quote(str(self.folder))}"


def image_name(model_name: str) -> str:
    """The Docker image name of a registered model: `prod.churn.churn_model` -> `prod-churn-churn-model`."""
    return re.sub(r"[^a-z0-9]+", "-", model_name.lower()).strip("-")


def default_folder(model_name: str, version: str) -> Path:
    return lakehouse_dir() / "docker" / f"{model_name.rsplit('.', 1)[-1]}-v{version}"


def champion_version(model_name: str, alias: str = registry.CHAMPION) -> str:
    """The version `alias` points at; UnknownModel or NoChampion, naming the model, when there is none."""
    registry.check_model_name(model_name)
    if not alias:
        raise ValueError(f"No alias given for {model_name}: name the version to package by its alias (Champion)")
    found = registry.version_by_alias(model_name, alias)
    if found is not None:
        return str(found.version)
    import mlflow
    from mlflow.exceptions import MlflowException

    try:  # the model itself: missing, or there without the alias (any other error is not ours to hide)
        registry.client().get_registered_model(model_name)
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
            raise
        raise UnknownModel(f"Registered model {model_name} does not exist in the registry "
                           f"{mlflow.get_registry_uri()}") from None
    raise NoChampion(f"Registered model {model_name} has no {alias} alias: there is no version to package yet")


def package(model_name: str, output: str | Path | None = None, alias: str = registry.CHAMPION) -> Package:
    """Write the Docker build context of the version `alias` points at into `output` (default
    `<lakehouse>/docker/<model>-v<version>`). Nothing is left behind when it fails; a folder this
    command wrote before is replaced, any other non-empty folder refused."""
    version = champion_version(model_name, alias)
    folder = Path(output) if output else default_folder(model_name, version)
    folder = folder.expanduser().resolve()
    _check_folder(folder)
    result = Package(model_name, alias, version, folder, image_name(model_name), f"v{version}")

    created = _missing_parents(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        context = _generate(result, staging)
        if folder.exists():  # an earlier context (_check_folder), or empty
            shutil.rmtree(folder)
        os.replace(context, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for parent in created:  # innermost first; only the folders this call made, and only if empty
            if parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return result


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise PackagingError(f"Output {folder} is a file, not a folder")
    if folder.is_dir():
        entries = {p.name for p in folder.iterdir()}
        if entries and not (entries <= CONTEXT_ENTRIES and "Dockerfile" in entries):
            raise PackagingError(f"Output folder {folder} is not empty and holds no earlier Docker context of "
                                 "./mlops package: choose another --output, or empty it")


def _missing_parents(folder: Path) -> list[Path]:
    missing = []
    for parent in folder.parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing


def _generate(result: Package, staging: Path) -> Path:
    """MLflow's generator, called as `mlflow models generate-dockerfile --model-uri models:/<name>/<version>`
    calls it: the model lands in the context's model_dir/."""
    import mlflow
    from mlflow.models.flavor_backend_registry import get_flavor_backend

    runtime.configure_mlflow()
    uri = registry.model_uri(result.model_name, version=result.version)
    pyfunc = mlflow.models.get_model_info(uri).flavors.get("python_function")
    if pyfunc is None:
        raise PackagingError(f"{result.model_name} version {result.version} has no python_function flavour: "
                             "MLflow's container cannot serve it")
    if pyfunc.get("loader_module") == registry.FE_LOADER_MODULE:
        result.notes.append("a FeatureEngineeringClient package: its predict looks the features up, which "
                            "needs the workspace's online store from the container")
    backend = get_flavor_backend(uri, docker_build=True, env_manager=None)
    if not backend.can_build_image():
        raise PackagingError(f"MLflow cannot build an image of {result.model_name} version {result.version}")
    context = staging / "context"
    backend.generate_dockerfile(uri, str(context))
    _add_system_packages(context, result)
    return context


def _requirements(context: Path) -> list[str]:
    path = context / MODEL_DIR / "requirements.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith(("#", "-"))]


def _add_system_packages(context: Path, result: Package) -> None:
    """Install what the requirements need beyond MLflow's slim image, after the step that installs
    them (as MLflow does for the flavours it knows); name requirements that are not pinned."""
    requirements = _requirements(context)
    names = {re.split(r"[\s=<>!~;\[]", line, maxsplit=1)[0].lower().replace("_", "-") for line in requirements}
    unpinned = [line for line in requirements if "==" not in line]
    if unpinned:
        result.notes.append(f"requirements not pinned, the image takes their latest release: {', '.join(unpinned)}")
    dockerfile = context / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    needed = sorted({pkg for name in names for pkg in SYSTEM_PACKAGES.get(name, ()) if pkg not in text})
    if not needed:
        return
    step = _INSTALL_DEPS.search(text)
    if step is None:
        raise PackagingError(f"MLflow's Dockerfile for {result.model_name} has no step installing the model's "
                             f"requirements, after which to install {', '.join(needed)}")
    line = (f"\nRUN apt-get update && apt-get install -y --no-install-recommends {' '.join(needed)} "
            "&& rm -rf /var/lib/apt/lists/*")
    dockerfile.write_text(text[:step.end()] + line + text[step.end():], encoding="utf-8")
