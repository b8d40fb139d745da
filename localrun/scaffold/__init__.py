"""`mlops new-project <name>`: a new project under projects/, written from template/ (the files
end in .tmpl, so that neither pytest nor the linters take them for code of this repository).

The new project is complete at once: data (a generated sample), features, model, settings,
notebooks, the bundle resources of every lifecycle stage with the `project` and `stage` tags, and
tests. The bundle, the offline validator, CI's change detection and the lifecycle find it by its
folder and its tags, with no other edit. Nothing is left half-written: the files are written into a
hidden folder, moved into place in one step, and removed again if the bundle does not validate.
"""

from __future__ import annotations

import keyword
import re
import shutil
import tempfile
from pathlib import Path

from localrun.bundle import BundleError

TEMPLATE = Path(__file__).resolve().parent / "template"
NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
MAX_LENGTH = 30
# Names a project may not take, and why.
RESERVED = {
    "common": "the shared library's package",
    "localrun": "the laptop platform's package",
    "projects": "the folder of the projects",
    "tests": "pytest's name for test packages",
    "test": "a bundle target",
    "dev": "a bundle target",
    "staging": "a bundle target",
    "prod": "a bundle target",
    "template": "the scaffold's template folder",
}


def check_name(name: str, root: Path) -> None:
    """A BundleError that says what is wrong with `name`, if anything."""
    if not NAME.fullmatch(name):
        raise BundleError(f"Project name {name!r} is not valid: use lower-case letters, digits and single "
                          "underscores, starting with a letter (e.g. demand_forecast); it names a Python "
                          "package, a Unity Catalog schema and the jobs")
    if len(name) > MAX_LENGTH:
        raise BundleError(f"Project name {name!r} is {len(name)} characters long; at most {MAX_LENGTH}")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise BundleError(f"Project name {name!r} is a Python keyword: `import projects.{name}` would not work")
    if name in RESERVED:
        raise BundleError(f"Project name {name!r} is reserved ({RESERVED[name]}); choose another")
    existing = Path(root) / "projects" / name
    if existing.exists():
        raise BundleError(f"projects/{name} exists already; choose another name or remove it first")


def render(text: str, name: str) -> str:
    return (text.replace("__project_title__", name.replace("_", " ").capitalize())
            .replace("__project_dashed__", name.replace("_", "-"))
            .replace("__project__", name))


def new_project(name: str, root: Path) -> Path:
    """Write projects/<name> from the template and check the bundle with it; returns its folder."""
    from localrun.validate import validate_bundle

    root = Path(root).resolve()
    check_name(name, root)
    before = {p.message for p in validate_bundle(root, ["dev"]).problems}
    projects = root / "projects"
    staging = Path(tempfile.mkdtemp(prefix=f".new-{name}-", dir=projects))  # hidden: no project yet
    target = projects / name
    try:
        for source in sorted(TEMPLATE.rglob("*.tmpl")):
            out = staging / render(str(source.relative_to(TEMPLATE)), name).removesuffix(".tmpl")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render(source.read_text(), name))
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    new = [p for p in validate_bundle(root, ["dev"]).problems if p.message not in before]
    if new:
        shutil.rmtree(target)
        raise BundleError(f"projects/{name} would not validate, so it was not kept:\n"
                          + "\n".join(f"  {p.file}: {p.message}" for p in new))
    return target
