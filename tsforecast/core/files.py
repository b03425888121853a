"""Writing files so that no reader sees half of one, and text that spreadsheets read safely.

* :func:`atomic_write` writes one file through a uniquely named temporary file beside it
  (flushed to disk, then renamed into place), so two writers of one path never tear it.
* :func:`spreadsheet_safe` neutralises text cells that a spreadsheet would run as a formula.
* :func:`left_by_dead_writers` finds the part files and staging folders of killed writers.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["atomic_write", "spreadsheet_safe", "left_by_dead_writers", "OutputError"]

# characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class OutputError(OSError):
    """The outputs could not be written (disk full, permissions); nothing was published."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: the process's file-creation mask, read once at import (reading it means setting it)
_UMASK = _umask()


def atomic_write(path: str | os.PathLike[str], text: str | bytes) -> Path:
    """Write ``text`` (or bytes) to ``path`` through a unique temporary file beside it.

    The temporary file, ``.NAME.PID-XXXXXXXX.part``, names the writing process, so part files
    of ``path`` left by a writer that was killed are removed here (never those of a live
    writer, nor of another target)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(path)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=".part")
    try:
        # mkstemp makes the file private (0600); the output gets the permissions of a file
        # created the ordinary way
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise
    return path


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells starting with ``= + - @``, a tab or a carriage
    return are prefixed with ``'``, so a spreadsheet shows them instead of evaluating them.
    Numbers (negative ones included) are left alone."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            text = values.astype("string")
            risky = text.str.startswith(_FORMULA_START).fillna(False).to_numpy(dtype=bool)
            if values.dtype == object and risky.any():
                # in a mixed column only real text is touched, not a number shown as text
                risky &= values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            if risky.any():
                out[column] = values.where(~risky, "'" + text)
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def left_by_dead_writers(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    """Entries of ``folder`` whose names match ``pattern`` (its first group: the writer's
    process id) and whose writer is gone: a killed save's part file, a killed run's staging."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return [entry for entry in entries
            if (match := pattern.fullmatch(entry.name)) and not _pid_alive(int(match[1]))]


def _remove_stale_parts(path: Path) -> None:
    """Remove part files of ``path`` whose writing process is gone (killed mid-write)."""
    # mkstemp's 8 random characters; the exact pattern keeps ".a.tsf.b.tsf.*.part" (another target) apart
    own = re.compile(rf"\.{re.escape(path.name)}\.(\d{{1,9}})-[a-z0-9_]{{8}}\.part")
    for entry in left_by_dead_writers(path.parent, own):
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
