"""A failed task's cause in one line, and its traceback from the notebook frame down: the runner's
own frames and the libraries' are left out, so that the user sees their notebook and modules."""

from __future__ import annotations

import traceback
from pathlib import Path

from common.local import dbutils as local_dbutils
from localrun.paths import display_path

_PLATFORM = Path(__file__).resolve().parents[1]  # localrun/
_DBUTILS = Path(local_dbutils.__file__).resolve()


def cause(exc: BaseException, root: Path) -> str:
    """'ValueError: first line of the message ... (notebook line, raised in module line)'."""
    lines = str(exc).strip().splitlines()
    text = type(exc).__name__ + (f": {lines[0]}" + (" ..." if len(lines) > 1 else "") if lines else "")
    where = _where(exc, root)
    return f"{text} ({where})" if where else text


def user_traceback(exc: BaseException, root: Path) -> str:
    """The traceback from the first frame in the bundle's own files down."""
    tb = exc.__traceback__
    frames = _user_frames(exc, root)
    while tb is not None and frames and tb.tb_frame.f_code.co_filename != frames[0].filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _user_frames(exc: BaseException, root: Path) -> list[traceback.FrameSummary]:
    """Traceback frames in the bundle's own files (notebooks, project modules), not the platform's."""
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if (path.is_absolute() and path.is_relative_to(root) and not path.is_relative_to(_PLATFORM)
                and path != _DBUTILS and ".venv" not in path.parts and "site-packages" not in path.parts):
            frames.append(frame)
    return frames


def _where(exc: BaseException, root: Path) -> str:
    frames = _user_frames(exc, root)
    if not frames:
        return ""
    first, last = frames[0], frames[-1]
    where = f"{display_path(first.filename, root)} line {first.lineno}"
    if last is not first:
        where += f", raised in {display_path(last.filename, root)} line {last.lineno}"
    return where
