"""What a ``tsforecast`` command tells its user, and how it ends: exit codes, one ``error:``
line per mistake, warnings as one line each, SIGTERM and Ctrl-C, a closed stderr, the
progress bar and the printed tables (the leaderboard, the model and dataset listings).

Exit codes (documented in the README and in ``tsforecast --help``):

* 0: success;
* 2: bad usage, bad configuration or bad data: one line on stderr, nothing written;
* 3: the run finished and wrote its outputs, but some model failed on some fold;
* 4: the outputs could not be written (disk full, permissions): nothing was written;
* 5: ``forecast --from --require-new-data``: the data has no observation newer than the model's;
  nothing was written; ``monitor``: a new drift alarm fired (its outputs are written);
* 6: ``--store``: the run's files were written, but recording the run in the forecast store
  failed (the store is unchanged);
* 1: an unexpected internal error;
* 130 / 143: interrupted (Ctrl-C) / terminated (SIGTERM): nothing was written.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from tsforecast.core.errors import TsforecastError

__all__ = ["EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_MODEL_FAILED", "EXIT_OUTPUT", "EXIT_NO_NEW_DATA",
           "EXIT_INTERRUPTED", "EXIT_TERMINATED", "err", "error", "Published", "exit_codes", "progress",
           "print_table", "print_leaderboard", "EXIT_STORE", "EXIT_DRIFT"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_MODEL_FAILED, EXIT_OUTPUT, EXIT_NO_NEW_DATA = 0, 1, 2, 3, 4, 5
EXIT_STORE = 6
#: ``tsforecast monitor``: a drift alarm fired (the same code as "no new data": both tell a scheduler to act)
EXIT_DRIFT = EXIT_NO_NEW_DATA
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class _MessageConsole(Console):
    """Where messages, warnings and the leaderboard go (stderr). A closed stderr (``2>&-``, a
    scheduler that discards it, a reader that went away) silences them instead of failing a
    run whose outputs are written: Rich's default turns the broken pipe into exit 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True


#: the messages' console (stderr)
err = _MessageConsole(stderr=True)


def error(message: str) -> None:
    """One ``error:`` line on stderr (the message is text, never Rich markup)."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


class _Terminated(BaseException):
    """SIGTERM, raised where the run is so that staged outputs are cleaned up (a
    BaseException, so no model-failure handler records it as a failed fit)."""


@contextmanager
def _on_sigterm() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Published:
    """Where a run's outputs were published, for the interrupt message."""

    path: Path | None = None


@contextmanager
def exit_codes(published: Published | None = None) -> Iterator[None]:
    """Translate library errors into one stderr line and an exit code; warnings as one line each."""
    from tsforecast.core.files import OutputError

    def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
        # a terminal user needs the message, not the library source line that raised it
        err.print(f"[yellow]warning:[/yellow] {escape(str(message))}", highlight=False, soft_wrap=True)

    def written() -> str:
        where = published.path if published is not None else None
        return f"the outputs in {where} are complete." if where else "nothing was written."

    try:
        with warnings.catch_warnings(), _on_sigterm():
            warnings.showwarning = show_warning
            yield
    except typer.Exit:
        raise
    except TsforecastError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_USAGE) from None
    except OutputError as exc:
        error(exc.strerror or str(exc))
        raise typer.Exit(EXIT_OUTPUT) from None
    except KeyboardInterrupt:
        err.print(f"interrupted; {written()}")
        _exit_now(EXIT_INTERRUPTED)
    except _Terminated:
        err.print(f"terminated; {written()}")
        _exit_now(EXIT_TERMINATED)
    except Exception as exc:  # noqa: BLE001 - the CLI boundary: no tracebacks for users
        err.print(f"internal error: {type(exc).__name__}: {exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_FAILURE) from None


def _exit_now(code: int) -> None:
    """End an interrupted run at once. The outputs are already cleaned up (or complete);
    skipping the interpreter's exit handlers means nothing can wait on a worker process
    that the interrupt caught half-started (the workers die with this process)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe has nothing to flush to
            stream.flush()
    os._exit(code)


@contextmanager
def progress(enabled: bool, label: str) -> Iterator[Callable[..., None] | None]:
    """A progress bar on stderr: what runs now, work done of the total, time spent and an
    estimate of the time left (from the pace so far: work units differ, so it is rough)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int, running: str = "") -> None:
            description = f"{label}: {escape(running)}" if running else label  # ids are data, not markup
            bar.update(task, completed=done, total=total, description=description)

        yield update


def print_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A table on stdout (the model and dataset listings)."""
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def print_leaderboard(result: Any) -> None:
    """A backtest's leaderboard on stderr (the outputs are files; stdout stays free)."""
    from rich.table import Table

    table = Table(title="Leaderboard (sorted by MAE, on the points every model forecast)")
    single = len(result.data) == 1
    significance = ("p vs snaive",) if single else ("better", "worse")
    for column in ("model", "MAE", "MASE", "skill", *significance, "coverage"):
        table.add_column(column, justify="right" if column != "model" else "left")
    for model, row in result.leaderboard().iterrows():
        tested = (_cell(row["p_vs_baseline"], ".3g"),) if single else (
            _cell(row["better"], ".0f"), _cell(row["worse"], ".0f"))
        table.add_row(escape(str(model)), _cell(row["mae"], ",.1f"), _cell(row["mase"], ".3f"),
                      _cell(row["skill"], ".1%"), *tested, _cell(row["coverage"], ".2f"))
    err.print(table)


def _cell(value: float, spec: str) -> str:
    """A leaderboard number, or a dash where there is none (the baseline's own p-value, a
    model whose every fit failed) instead of "nan"."""
    number = float(value)
    return "–" if math.isnan(number) else format(number, spec)
