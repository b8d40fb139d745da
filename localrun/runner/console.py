"""What the runner prints while a job runs: one line per task start and end, indented for the
jobs a run_job_task starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from localrun.paths import display_path


def _marks(out: TextIO) -> tuple[str, str, str]:
    """Start, success and failure marks, in plain text where the output cannot encode the symbols."""
    try:
        "▶✓✗".encode(getattr(out, "encoding", None) or "utf-8")
        return "▶", "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return ">", "ok", "x"


@dataclass
class Console:
    out: TextIO
    root: Path  # the bundle root: paths are shown relative to it
    indent: str = ""

    def __post_init__(self) -> None:
        self.start_mark, self.ok_mark, self.fail_mark = _marks(self.out)

    def say(self, line: str) -> None:
        print(self.indent + line, file=self.out, flush=True)

    def path(self, path: Path | str) -> str:
        return display_path(path, self.root)

    def nested(self) -> Console:
        """The console of a job started by a run_job_task: the same output, indented further."""
        return Console(self.out, self.root, self.indent + "    ")
