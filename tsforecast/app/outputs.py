"""Writing outputs so that a reader, or an interrupted run, never sees a partial set.

Single files are written by :func:`tsforecast.core.files.atomic_write`.

* :class:`RunDirectory` stages every file of a run in a hidden directory inside the output
  folder and publishes them together with **one rename** of that directory. Killed at any
  moment (SIGTERM, SIGKILL, a full disk), a run leaves either no new directory or a complete
  one; a rerun under a fixed name swaps the whole directory in one step (Linux
  ``renameat2(RENAME_EXCHANGE)``; elsewhere the old directory is moved aside first), so
  readers see the previous complete set or the new one. Staging directories of runs that
  were killed are removed by the next run in the same folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from tsforecast.core.errors import ConfigError
from tsforecast.core.files import OutputError, atomic_write, left_by_dead_writers

__all__ = ["check_stem", "dated_stem", "check_output_folder", "check_output_file", "RunDirectory", "run_directory"]

_STAGING_PREFIX = ".tsforecast-staging-"
_MAX_STEM = 100
_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_stem(name: object, option: str = "--name") -> str:
    """``name`` if it is a plain file stem: letters, digits, ``.``, ``_``, ``-``, starting
    with a letter or digit, at most 100 characters; never a path."""
    if not isinstance(name, str) or len(name) > _MAX_STEM or not _STEM.fullmatch(name) or ".." in name:
        shown = repr(name) if not isinstance(name, str) or len(name) <= 40 else repr(name[:40] + "...")
        raise ConfigError(
            f"{option} must be a plain file name stem (letters, digits, '.', '_', '-'; at most "
            f"{_MAX_STEM} characters; no path), got {shown}."
        )
    return name


def check_output_folder(folder: str | os.PathLike[str], option: str = "--output") -> Path:
    """``folder`` if outputs can be written there (it, or the nearest folder above it that
    exists, is a writable directory); checked before a run computes anything. ``option``
    names the setting in the message."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{option} {folder} is a file, not a directory.")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {folder}: {existing} is not a writable directory.")
    return folder


def check_output_file(path: str | os.PathLike[str], option: str) -> Path:
    """``path`` if a file can be written there (replacing a file, never a directory)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a directory; give a file name such as {path / 'model.tsf'}.")
    check_output_folder(path.parent, option)
    return path


def dated_stem(kind: str, source: str) -> str:
    """A stem unique to this run: kind, data source, date-time and a random suffix, so two
    runs started in the same second never share outputs."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", source)[:40] or "data"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{kind}_{safe}_{stamp}-{secrets.token_hex(3)}"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


class RunDirectory:
    """Stage a run's files, then publish them as ``folder/stem/`` in one step.

    >>> with RunDirectory("reports", "nightly", replace=True) as run:  # doctest: +SKIP
    ...     run.write("report.html", html)
    ...     final = run.publish()

    Entering checks that ``folder`` can take the outputs (:class:`ConfigError` otherwise,
    before any computation) but creates nothing; the first :meth:`write` creates the folder
    and the staging directory. Leaving without :meth:`publish` (an error, Ctrl-C, SIGTERM)
    removes the staging directory and any folder it created, so a failed run leaves the file
    system as it found it. ``replace=True`` (a fixed ``--name``) lets a rerun replace the
    previous directory.
    """

    def __init__(self, folder: str | os.PathLike[str], stem: str, *, replace: bool = False) -> None:
        self.folder = Path(folder)
        self.stem = check_stem(stem)
        self.replace = replace
        self.staging: Path | None = None
        self._created: list[Path] = []

    @property
    def target(self) -> Path:
        """Where the run is published."""
        return self.folder / self.stem

    def __enter__(self) -> RunDirectory:
        check_output_folder(self.folder)
        target = self.target
        if target.exists() and not (self.replace and target.is_dir()):
            what = "a run directory" if target.is_dir() else "a file"
            raise ConfigError(f"{target} already exists as {what}; choose another --name.")
        return self

    def _staging(self) -> Path:
        if self.staging is None:
            missing = [p for p in (self.folder, *self.folder.parents) if not p.exists()]
            self.folder.mkdir(parents=True, exist_ok=True)
            self._created = missing  # deepest first, for removal after a failure
            self._remove_stale_staging()
            self.staging = Path(tempfile.mkdtemp(dir=self.folder, prefix=f"{_STAGING_PREFIX}{os.getpid()}-"))
        return self.staging

    def write(self, name: str, content: str | bytes) -> Path:
        """Stage the file ``name`` of this run; an I/O failure becomes :class:`OutputError`."""
        try:
            return atomic_write(self._staging() / name, content)
        except OSError as exc:
            raise self._failed(exc) from exc

    def _failed(self, exc: OSError) -> OutputError:
        return OutputError(
            exc.errno, f"could not write the outputs to {self.folder}: {exc.strerror or exc}; nothing was written"
        )

    def publish(self) -> Path:
        """Make the staged files visible as ``folder/stem`` in one rename; returns that path."""
        staging, target = self._staging(), self.target
        try:
            os.chmod(staging, 0o755)  # mkdtemp makes it private; outputs are for readers
            if self.replace and target.is_dir():
                if _exchange(staging, target):
                    shutil.rmtree(staging, ignore_errors=True)  # now holds the previous run
                else:
                    aside = staging.with_name(staging.name + "-previous")
                    os.rename(target, aside)
                    os.rename(staging, target)
                    shutil.rmtree(aside, ignore_errors=True)
            else:
                os.rename(staging, target)  # a new name: atomic, and fails if it exists
        except OSError as exc:
            raise self._failed(exc) from exc
        self.staging, self._created = None, []
        return target

    def _discard(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        for folder in self._created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: another writer may have put something there
        self._created = []

    def _remove_stale_staging(self) -> None:
        """Staging directories whose process is gone were left by a killed run."""
        for entry in left_by_dead_writers(self.folder, re.compile(rf"{re.escape(_STAGING_PREFIX)}(\d+)-.*")):
            shutil.rmtree(entry, ignore_errors=True)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._discard()


def run_directory(settings: dict[str, Any], kind: str) -> RunDirectory:
    """Where a command's outputs go: ``--name`` (a rerun replaces it) or a stem unique to the run,
    made of ``kind`` and the data's name."""
    if settings["name"]:
        return RunDirectory(settings["output"], settings["name"], replace=True)
    source = Path(settings["data"]).stem if settings["data"] else settings["dataset"]
    return RunDirectory(settings["output"], dated_stem(kind, source))
