"""Run a Databricks source notebook in this process, as a job's notebook task runs it: in the
notebook's folder, with `spark`, `dbutils` and `display` defined, `%run` included."""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.local.dbutils import LocalDbutils, NotebookExit, activated
from localrun.runner.console import Console
from localrun.runner.references import as_parameter

MAGIC_RUN = re.compile(r"^# MAGIC %run[ \t]+(.*?)\s*$", re.MULTILINE)
MAGIC = re.compile(r"^# MAGIC %(\w+)", re.MULTILINE)
USES_SPARK = re.compile(r"\bspark\b")
# Magics that need nothing locally: documentation, installs (the environment has them), %run (below).
HANDLED_MAGICS = {"md", "pip", "restart_python", "run", "python"}


class NotebookRunner:
    def __init__(self, root: Path, spark: Callable[[], Any], console: Console) -> None:
        self.root = root  # the repository root, importable as in a Git folder
        self.spark = spark  # creates the Spark session on first need only
        self.console = console
        self._including: list[Path] = []  # the notebooks being run, each %run-ing the next

    def run(self, path: Path, dbutils: LocalDbutils) -> str | None:
        """exec the notebook; returns the value it passed to dbutils.notebook.exit, if any."""
        namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(path), "dbutils": dbutils,
                                     "display": display, "displayHTML": print}
        namespace["__mlops_run__"] = lambda line, folder: self._magic_run(line, Path(folder), namespace)
        saved_cwd, saved_path = os.getcwd(), list(sys.path)
        # As in a Databricks Git folder: cwd is the notebook's folder, and both it and the repository
        # root are importable.
        os.chdir(path.parent)
        sys.path[:0] = [str(path.parent), str(self.root)]
        try:
            with activated(dbutils):
                self._exec(path, namespace)
        except NotebookExit as exc:
            return as_parameter(exc.value)
        finally:
            os.chdir(saved_cwd)
            sys.path[:] = saved_path
        return None

    def _exec(self, path: Path, namespace: dict) -> None:
        source = path.read_text(encoding="utf-8")
        for magic in sorted(set(MAGIC.findall(source)) - HANDLED_MAGICS):
            self.console.say(f"  note: %{magic} cells of {self.console.path(path)} are not run locally")
        # `%run ./other` includes another notebook in this one's namespace, as on Databricks; the
        # replacement keeps line numbers unchanged.
        source = MAGIC_RUN.sub(lambda m: f"__mlops_run__({m.group(1)!r}, {str(path.parent)!r})", source)
        if USES_SPARK.search(source) and "spark" not in namespace:
            namespace["spark"] = self.spark()
        self._including.append(path.resolve())
        try:
            exec(compile(source, str(path), "exec"), namespace)  # running the notebook is the point
        finally:
            self._including.pop()

    def _magic_run(self, line: str, folder: Path, namespace: dict) -> None:
        target = run_target(line, folder)
        if target is None:
            raise NotImplementedError(f"'%run {line}' in {self.console.path(folder)}: only %run <path> without "
                                      "arguments runs locally")
        if not target.is_file():
            raise FileNotFoundError(f"%run target {self.console.path(target)} does not exist")
        if target.resolve() in self._including:  # it would include itself until Python's stack ran out
            chain = self._including[self._including.index(target.resolve()):] + [target.resolve()]
            raise RecursionError("%run cycle: " + " -> ".join(self.console.path(p) for p in chain))
        self._exec(target, namespace)


def run_target(line: str, folder: Path) -> Path | None:
    """The notebook that `%run <line>` in a notebook of `folder` includes (`.py` when the path has no
    suffix), or None when the line is not one path: %run with arguments does not run locally."""
    try:
        words = shlex.split(line)
    except ValueError:  # an unclosed quote
        return None
    if len(words) != 1:
        return None
    target = folder / words[0]
    return target if target.suffix else target.with_suffix(".py")


def display(obj: Any = None, *args: Any, **kwargs: Any) -> None:
    """display(): the first rows of a Spark or pandas DataFrame, else the object itself."""
    if hasattr(obj, "show") and hasattr(obj, "schema"):
        obj.show(20, truncate=False)
    elif hasattr(obj, "head") and hasattr(obj, "to_string"):
        print(obj.head(20).to_string())
    else:
        print(obj)
