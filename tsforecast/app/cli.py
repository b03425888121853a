"""The ``tsforecast`` command line: a thin layer over the library.

Exit codes (documented in the README and in ``tsforecast --help``):

* 0: success;
* 2: bad usage, bad configuration or bad data: one line on stderr, nothing written;
* 3: the run finished and wrote its outputs, but some model failed on some fold;
* 4: the outputs could not be written (disk full, permissions): nothing was written;
* 5: ``forecast --from --require-new-data``: the data has no observation newer than the model's;
  nothing was written;
* 1: an unexpected internal error;
* 130 / 143: interrupted (Ctrl-C) / terminated (SIGTERM): nothing was written.

Outputs of a run are published together (:class:`tsforecast.app.outputs.RunDirectory`).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup
from typer.exceptions import TyperException

from tsforecast.app.settings import DEFAULTS, parse_params, resolve_settings
from tsforecast.core.errors import ConfigError, TsforecastError

# The library (pandas, statsmodels, PyTorch) is imported inside the commands, so that
# `tsforecast --help` answers at once.

__all__ = ["app", "main", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_MODEL_FAILED", "EXIT_OUTPUT",
           "EXIT_NO_NEW_DATA"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_MODEL_FAILED, EXIT_OUTPUT, EXIT_NO_NEW_DATA = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143

class _MessageConsole(Console):
    """Where messages, warnings and the leaderboard go (stderr). A closed stderr (``2>&-``, a
    scheduler that discards it, a reader that went away) silences them instead of failing a
    run whose outputs are written: Rich's default turns the broken pipe into exit 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True


_err = _MessageConsole(stderr=True)


class _OneLineErrors(TyperGroup):
    """Usage mistakes (``--horizon abc``, an unknown option) as one ``error:`` line and exit 2,
    like every other mistake, instead of a framed usage box."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        except TyperException as exc:
            # no arguments at all: the help text is what a user needs (typer raises it as an error)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message())
            else:
                _err.print(f"[red]error:[/red] {escape(exc.format_message())}", highlight=False, soft_wrap=True)
            code = getattr(exc, "exit_code", EXIT_USAGE)
        except typer.Abort:
            code = EXIT_INTERRUPTED
        code = code if isinstance(code, int) else EXIT_OK
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=_OneLineErrors,
    help="Forecast time series with classical and neural models, backtest them side by side, "
    "and write a self-contained HTML report.\n\nExit codes: 0 success, 2 bad usage or data "
    "(nothing written), 3 some model failed (outputs written), 4 outputs could not be written, "
    "5 no new data (forecast --from --require-new-data; nothing written), 1 internal error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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


class _Published:
    """Where a run's outputs were published, for the interrupt message."""

    path: Path | None = None


@contextmanager
def _exit_codes(published: _Published | None = None) -> Iterator[None]:
    """Translate library errors into one stderr line and an exit code; warnings as one line each."""
    from tsforecast.core.files import OutputError

    def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
        # a terminal user needs the message, not the library source line that raised it
        _err.print(f"[yellow]warning:[/yellow] {escape(str(message))}", highlight=False, soft_wrap=True)

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
        _err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    except OutputError as exc:
        _err.print(f"[red]error:[/red] {escape(exc.strerror or str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_OUTPUT) from None
    except KeyboardInterrupt:
        _err.print(f"interrupted; {written()}")
        _exit_now(EXIT_INTERRUPTED)
    except _Terminated:
        _err.print(f"terminated; {written()}")
        _exit_now(EXIT_TERMINATED)
    except Exception as exc:  # noqa: BLE001 - the CLI boundary: no tracebacks for users
        _err.print(f"internal error: {type(exc).__name__}: {exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_FAILURE) from None


def _exit_now(code: int) -> None:
    """End an interrupted run at once. The outputs are already cleaned up (or complete);
    skipping the interpreter's exit handlers means nothing can wait on a worker process
    that the interrupt caught half-started (the workers die with this process)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe has nothing to flush to
            stream.flush()
    os._exit(code)


def _model_names(spec: str, params: dict[str, dict]) -> list[str]:
    """The model names of ``--models``, checked against the registry and ``--param`` without
    importing any model (statsmodels and PyTorch take seconds to load: a typo is told at once)."""
    from tsforecast.registry import check_model_names

    names = [name.strip().lower() for name in str(spec).split(",") if name.strip()]
    if not names:
        raise ConfigError("--models is empty; give a comma-separated list such as sarima,lstm.")
    check_model_names(names)
    unknown_params = sorted(set(params) - set(names))
    if unknown_params:
        raise ConfigError(f"parameters (--param or model_params) for {', '.join(unknown_params)}, which are not "
                          "in --models.")
    return names


def _models(names: list[str], params: dict[str, dict]) -> dict[str, Any]:
    """The models named, built with their parameters (this imports them)."""
    from tsforecast.registry import get_model

    return {name: get_model(name, **params.get(name, {})) for name in names}


def _load_frame(settings: dict[str, Any], preferred_target: str | None = None, allow_panel: bool = False):
    """The data, the target column and a human-readable description of where it came from.

    Without ``--target``, ``preferred_target`` is used when the data has such a column (a
    saved model's own column), else the file's only value column or the dataset's default.
    A bundled panel sets ``id_column`` when ``allow_panel`` (backtest), else is refused.
    """
    import pandas as pd

    from tsforecast.data.datasets import DATASET_ID_COLUMNS, DATASETS, default_target, load_csv, load_dataset

    if settings["data"]:
        path = Path(settings["data"])
        frame = load_csv(path, settings["date_column"], settings["date_format"], id_column=settings.get("id_column"),
                         sep=settings.get("sep"), decimal=settings.get("decimal"))
        target = settings["target"]
        if target is None and preferred_target in frame.columns:
            target = preferred_target
        if target is None:
            numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
                       and c != settings.get("id_column")]
            if frame.shape[1] == 1:
                numeric = list(frame.columns)  # the only column; validation checks its values
            if len(numeric) != 1:
                raise ConfigError(
                    f"{path.name} has several value columns ({', '.join(map(str, frame.columns))}); "
                    "choose one with --target."
                )
            target = numeric[0]
        where = path.name
    else:
        name = settings["dataset"]
        if name not in DATASETS:
            raise ConfigError(f"unknown dataset {name!r}; built-in datasets: {', '.join(DATASETS)}.")
        frame = load_dataset(name)
        if name in DATASET_ID_COLUMNS:
            if not allow_panel:
                raise ConfigError(f"built-in dataset {name!r} is a panel of many series; this command takes one. "
                                  "Fix: backtest it, or give one series with --data.")
            if not settings["id_column"]:
                settings["id_column"] = DATASET_ID_COLUMNS[name]  # a bundled panel names its series column
        target = settings["target"] or (preferred_target if preferred_target in frame.columns else default_target(name))
        where = f"built-in dataset {name}"
    id_column = [settings["id_column"]] if settings.get("id_column") else []
    for option, columns in (("--target", [target]), ("--exog", _exog_columns(settings)), ("--id-column", id_column)):
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise ConfigError(
                f"{option} {', '.join(map(repr, absent))} is not a column of {where}; columns: "
                f"{', '.join(map(str, frame.columns))}."
            )
    return frame, target, f"{where} (column {target})"


def _exog_columns(settings: dict[str, Any]) -> list[str]:
    spec = settings.get("exog")
    return [c.strip() for c in str(spec).split(",") if c.strip()] if spec else []


def _source_name(settings: dict[str, Any]) -> str:
    return Path(settings["data"]).stem if settings["data"] else settings["dataset"]


def _run_directory(settings: dict[str, Any], kind: str):
    """Where this run's outputs go: ``--name`` (a rerun replaces it) or a stem unique to the run."""
    from tsforecast.app.outputs import RunDirectory, dated_stem

    if settings["name"]:
        return RunDirectory(settings["output"], settings["name"], replace=True)
    return RunDirectory(settings["output"], dated_stem(kind, _source_name(settings)))


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Any]:
    """A progress bar on stderr: what runs now, work done of the total, time spent and an
    estimate of the time left (from the pace so far: work units differ, so it is rough)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=_err, transient=True) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int, running: str = "") -> None:
            description = f"{label}: {escape(running)}" if running else label  # ids are data, not markup
            progress.update(task, completed=done, total=total, description=description)

        yield update


# ----------------------------------------------------------------------------- options
# The defaults live in tsforecast.app.settings.OPTIONS; help texts show them.
_DATA_HELP = "A CSV or Parquet file with a date column."
_DATE_COLUMN_HELP = "Column holding the dates. [default: the first column that reads as dates]"
# a CSV's separator and decimal mark (tsforecast.data.csv_dialect); detection when not given
_Sep = Annotated[str | None, typer.Option(
    help="Field separator of the CSV, e.g. ';' or tab. [default: detected among , ; tab |]")]
_Decimal = Annotated[str | None, typer.Option(
    help="Decimal mark of the CSV's numbers, . or , [default: detected (, in a file not separated by commas)]")]
# --param on every command that fits a model: repeatable MODEL.NAME=VALUE (tsforecast.app.settings.parse_params)
_Params = Annotated[list[str] | None, typer.Option(
    "--param", metavar="MODEL.NAME=VALUE",
    help="A model parameter, MODEL.NAME=VALUE (repeatable), e.g. auto.time_budget=inf or lstm.hidden=64; "
    "the value as TOML writes it. Wins over the config file's [model_params.<model>].")]
_DATE_FORMAT_HELP = ("strftime format of the dates, e.g. %d/%m/%Y. [default: the first date's format, "
                     "month-first or day-first, whichever reads every date]")


@app.command()
def backtest(
    models: Annotated[str | None, typer.Option(
        help=f"Comma-separated model names (see `tsforecast models`). [default: {DEFAULTS['models']}]")] = None,
    dataset: Annotated[str | None, typer.Option(
        help=f"Built-in dataset when --data is not given. [default: {DEFAULTS['dataset']}]")] = None,
    data: Annotated[Path | None, typer.Option(help=_DATA_HELP)] = None,
    target: Annotated[str | None, typer.Option(
        help="Column to forecast. [default: rail for ridership; the only value column of a file]")] = None,
    date_column: Annotated[str | None, typer.Option(help=_DATE_COLUMN_HELP)] = None,
    date_format: Annotated[str | None, typer.Option(help=_DATE_FORMAT_HELP)] = None,
    sep: _Sep = None,
    decimal: _Decimal = None,
    id_column: Annotated[str | None, typer.Option(
        help="Long format: the column naming each row's series (one row per series and date); every "
        "series is backtested on folds cut from its own end.")] = None,
    horizon: Annotated[int | None, typer.Option(
        help=f"Steps forecast from each cutoff; all are scored. [default: {DEFAULTS['horizon']}]")] = None,
    windows: Annotated[int | None, typer.Option(
        help=f"Number of folds (cutoffs). [default: {DEFAULTS['windows']}]")] = None,
    step: Annotated[int | None, typer.Option(help="Observations between cutoffs. [default: the horizon]")] = None,
    window: Annotated[int | None, typer.Option(
        help="Sliding training window size; omit for an expanding window.")] = None,
    exog: Annotated[str | None, typer.Option(
        help="Comma-separated columns given to the models that take regressors, as values known in "
        "advance for the forecast days too (e.g. day_type; not bus).")] = None,
    refit: Annotated[str | None, typer.Option(
        help="true (refit every fold), false (roll forward), or N (refit every N folds). [default: true]")] = None,
    seed: Annotated[int | None, typer.Option(
        help=f"Seed for every model that has one. [default: {DEFAULTS['seed']}]")] = None,
    jobs: Annotated[int | None, typer.Option(
        help="Worker processes (-1: all cores); never more than the cores or the work. [default: 1]")] = None,
    time_limit: Annotated[float | None, typer.Option(
        help="Seconds one fit may take before it counts as a failure.")] = None,
    engine: Annotated[str | None, typer.Option(
        help="local (this machine, --jobs workers) or dask (a Dask cluster; pip install \"tsforecast[dask]\"). "
        "[default: local]")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="With --engine dask: the address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786. "
        "[default: a local cluster of --jobs workers]")] = None,
    output: Annotated[Path | None, typer.Option(
        help=f"Directory in which the run's folder is written. [default: {DEFAULTS['output']}]")] = None,
    name: Annotated[str | None, typer.Option(
        help="Fixed name of the run's folder (a rerun replaces it); default: a name unique to the run.")] = None,
    param: _Params = None,
    config: Annotated[Path | None, typer.Option(
        help="TOML file with any of these options and [model_params.<model>] tables.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Backtest models side by side on rolling-origin folds and write an HTML report."""
    published = _Published()
    with _exit_codes(published):
        cli = {"models": models, "dataset": dataset, "data": str(data) if data else None,
               "target": target, "date_column": date_column, "date_format": date_format, "id_column": id_column,
               "sep": sep, "decimal": decimal,
               "horizon": horizon, "windows": windows, "step": step, "window": window, "exog": exog,
               "refit": refit, "seed": seed, "jobs": jobs, "time_limit": time_limit, "engine": engine,
               "scheduler": scheduler, "output": str(output) if output else None, "name": name,
               "quiet": quiet or None, "model_params": parse_params(param or []) or None}
        settings = resolve_settings(cli, config)
        quiet = settings["quiet"]
        # entering checks the output folder (before any work) and creates nothing yet
        names = _model_names(settings["models"], settings["model_params"])
        with _run_directory(settings, "backtest") as run:
            # the data before the models: reading it needs pandas only, the models may need PyTorch
            frame, target, source = _load_frame(settings, allow_panel=True)
            if not settings["id_column"]:
                from tsforecast.data.validation import clean_series

                clean_series(frame[target])  # a data mistake is told before the models load (the run cleans again)
            chosen = _models(names, settings["model_params"])
            exog_columns = _exog_columns(settings)
            if exog_columns:
                source += f", regressors {', '.join(exog_columns)}"
            if settings["id_column"]:
                # long format: one row per series and date; the panel validates each series
                source += f", series by {settings['id_column']}"
                data = {"data": frame.reset_index(), "id_col": settings["id_column"], "time_col": frame.index.name,
                        "target_col": target, "exog_columns": exog_columns}
            else:
                data = {"data": frame[target], "X": frame[exog_columns] if exog_columns else None}
            from tsforecast.backtest import backtest as run_backtest

            with _progress(not quiet and _err.is_terminal, "backtesting") as progress:
                result = run_backtest(
                    **data, models=chosen, horizon=settings["horizon"], n_windows=settings["windows"],
                    step=settings["step"],
                    window_type="sliding" if settings["window"] is not None else "expanding",
                    window_size=settings["window"], refit=settings["refit"],
                    n_jobs=settings["jobs"], seed=settings["seed"],
                    time_limit=settings["time_limit"], progress=progress,
                    engine=settings["engine"], scheduler=settings["scheduler"],
                )
            result.metadata["source"] = source
            _write_backtest(result, run)
            published.path = run.publish()
        if not quiet:
            _print_leaderboard(result)
            notes = result.fit_notes()
            if not notes.empty:
                example = f"{notes['model'].iloc[0]}: {notes['notes'].iloc[0][:120]}"
                _err.print(f"{len(notes)} of {len(result.timings)} fits finished with a note (e.g. {example}); "
                           "all are in the report and run.json.", highlight=False, markup=False)
            _err.print(f"report: {published.path / 'report.html'}", highlight=False, markup=False)
        if not result.failures.empty:
            _err.print(f"{len(result.failures)} model fit(s) failed; see the report's failures section.")
            raise typer.Exit(EXIT_MODEL_FAILED)


def _write_backtest(result, run) -> None:
    """Every file of a backtest run: report, CSV tables and the JSON summary."""
    import json

    from tsforecast.core.files import spreadsheet_safe
    from tsforecast.report import render_report

    run.write("report.html", render_report(result))
    for table, frame in result.tables().items():
        run.write(f"{table}.csv", spreadsheet_safe(frame).to_csv(index=False))
    run.write("run.json", json.dumps(result.summary(), indent=2, default=str))


def _print_leaderboard(result) -> None:
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
    _err.print(table)


def _cell(value: float, spec: str) -> str:
    """A leaderboard number, or a dash where there is none (the baseline's own p-value, a
    model whose every fit failed) instead of "nan"."""
    number = float(value)
    return "–" if math.isnan(number) else format(number, spec)


_MODEL_HELP = f"Model name (see `tsforecast models`). [default: {DEFAULTS['model']}]"
_SEED_HELP = f"Seed for models that have one. [default: {DEFAULTS['seed']}]"
_CONFIG_HELP = "TOML file with any of these options and a [model_params.<model>] table."


def _one_model(settings: dict[str, Any]):
    """The model of ``fit``/``forecast``, with its config parameters and the seed. A shared
    config may hold parameters of other models; names that are no model at all are refused."""
    from tsforecast.registry import available_models, get_model

    name, params = str(settings["model"]).strip().lower(), settings["model_params"]
    unknown = sorted(set(params) - set(available_models()))
    if unknown:
        raise ConfigError(f"model_params for {', '.join(unknown)}, which is not a model; models: "
                          f"{', '.join(available_models())}.")
    chosen = get_model(name, **params.get(name, {}))
    if "seed" in chosen.get_params():
        chosen.set_params(seed=settings["seed"])
    return chosen


def _only_for(model: str, given: dict[str, dict]) -> None:
    """``--param`` for a model other than the one fitted is a mistake (a config file may hold
    other models' parameters; the command line names them on purpose)."""
    others = sorted(set(given) - {model})
    if others:
        raise ConfigError(f"--param for {', '.join(others)}, but the model is {model}.")


def _train(chosen, frame, target: str, quiet: bool):
    """Fit ``chosen`` on ``frame[target]``, with a progress bar for neural models."""
    with _progress(not quiet and _err.is_terminal, f"training {chosen.short_name}") as progress:
        if progress is not None and "progress" in chosen.get_params():
            # neural models report every epoch: (epoch, max_epochs, train_loss, val_loss)
            chosen.set_params(progress=lambda epoch, total, *_: progress(epoch, total))
        fitted = chosen.fit(frame[target])
    if "progress" in fitted.get_params():
        fitted.set_params(progress=None)
    return fitted


@app.command()
def fit(
    model: Annotated[str | None, typer.Option(help=_MODEL_HELP)] = None,
    save: Annotated[Path | None, typer.Option(
        help="Where to write the fitted model (a .tsf file: safetensors and JSON, no pickle). Required.")] = None,
    dataset: Annotated[str | None, typer.Option(
        help=f"Built-in dataset when --data is not given. [default: {DEFAULTS['dataset']}]")] = None,
    data: Annotated[Path | None, typer.Option(help=_DATA_HELP)] = None,
    target: Annotated[str | None, typer.Option(help="Column to forecast.")] = None,
    date_column: Annotated[str | None, typer.Option(help=_DATE_COLUMN_HELP)] = None,
    date_format: Annotated[str | None, typer.Option(help=_DATE_FORMAT_HELP)] = None,
    sep: _Sep = None,
    decimal: _Decimal = None,
    seed: Annotated[int | None, typer.Option(help=_SEED_HELP)] = None,
    param: _Params = None,
    config: Annotated[Path | None, typer.Option(help=_CONFIG_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Fit one model on all the data and save it, for `tsforecast forecast --from` (e.g. weekly)."""
    with _exit_codes():
        from tsforecast.app.outputs import check_output_file
        from tsforecast.core.files import OutputError

        given = parse_params(param or [])
        settings = resolve_settings({
            "model": model, "model_file": str(save) if save else None, "dataset": dataset,
            "data": str(data) if data else None, "target": target, "date_column": date_column,
            "date_format": date_format, "sep": sep, "decimal": decimal, "seed": seed, "quiet": quiet or None,
            "model_params": given or None}, config)
        _only_for(settings["model"], given)
        if settings["model_file"] is None:
            raise ConfigError("--save is required: where to write the fitted model, e.g. --save models/rail.tsf.")
        path = check_output_file(settings["model_file"], "--save")
        from tsforecast.persistence.signing import signing_key

        signing_key()  # a malformed TSFORECAST_MODEL_KEY fails now, not after a long fit
        chosen = _one_model(settings)
        frame, target, source = _load_frame(settings)
        fitted = _train(chosen, frame, target, settings["quiet"])
        try:
            fitted.save(path)
        except OSError as exc:
            raise OutputError(exc.errno, f"could not write {path}: {exc.strerror or exc}; nothing was written") from exc
        if not settings["quiet"]:
            y = fitted.y_
            _err.print(f"saved {getattr(fitted, 'label_', fitted.short_name)} fitted on {len(y)} observations of "
                       f"{source}, {y.index[0]} to {y.index[-1]}: {path}", highlight=False, markup=False)


def _explicit(cli: dict[str, Any], config: Path | None, key: str) -> bool:
    """Whether ``key`` was set on the command line or in the config file (not a default)."""
    from tsforecast.app.settings import read_config

    return cli.get(key) is not None or (config is not None and key in read_config(config))


@app.command()
def forecast(
    model: Annotated[str | None, typer.Option(help=_MODEL_HELP)] = None,
    from_file: Annotated[Path | None, typer.Option(
        "--from", help="A model saved by `tsforecast fit`: forecast from it instead of fitting. With --data, "
        "the observations newer than the model's are appended first (no refit).")] = None,
    horizon: Annotated[int | None, typer.Option(help=f"Steps to forecast. [default: {DEFAULTS['horizon']}]")] = None,
    dataset: Annotated[str | None, typer.Option(
        help=f"Built-in dataset when --data is not given. [default: {DEFAULTS['dataset']}; none with --from]")] = None,
    data: Annotated[Path | None, typer.Option(help=_DATA_HELP)] = None,
    target: Annotated[str | None, typer.Option(
        help="Column to forecast. [default: with --from, the column the model was fitted on]")] = None,
    date_column: Annotated[str | None, typer.Option(help=_DATE_COLUMN_HELP)] = None,
    date_format: Annotated[str | None, typer.Option(help=_DATE_FORMAT_HELP)] = None,
    sep: _Sep = None,
    decimal: _Decimal = None,
    coverage: Annotated[float | None, typer.Option(
        help=f"Prediction interval coverage. [default: {DEFAULTS['coverage']}]")] = None,
    seed: Annotated[int | None, typer.Option(help=_SEED_HELP)] = None,
    output: Annotated[Path | None, typer.Option(
        help=f"Directory in which the run's folder is written. [default: {DEFAULTS['output']}]")] = None,
    name: Annotated[str | None, typer.Option(
        help="Fixed name of the run's folder (a rerun replaces it); default: unique to the run.")] = None,
    param: _Params = None,
    config: Annotated[Path | None, typer.Option(
        help=_CONFIG_HELP + " With model_file set, forecasts from that saved model.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    require_new_data: Annotated[bool, typer.Option(
        "--require-new-data", help="With --from: data without an observation newer than the model's is an "
        "error, exit code 5 and nothing written (default: a warning, and the previous forecast again).")] = False,
    fill_gap: Annotated[bool, typer.Option(
        "--fill-gap", help="With --from: fill missing values after the model's last timestamp by linear "
        "interpolation, with a warning (default: refused).")] = False,
    allow_level_shift: Annotated[bool, typer.Option(
        "--allow-level-shift", help="With --from: accept new values far off the history's level (default: "
        "refused as another series, e.g. more than 20 times the recent level).")] = False,
) -> None:
    """Forecast the future: fit one model on all the data, or load one saved by `tsforecast fit`
    (--from) and roll it forward onto newer data; writes forecast.csv, a chart and run.json."""
    published = _Published()
    with _exit_codes(published):
        import json

        from tsforecast.core.provenance import data_hash, plain_parameters, versions
        from tsforecast.report.charts import forecast_with_interval_chart

        cli = {"model": model, "model_file": str(from_file) if from_file else None, "dataset": dataset,
               "data": str(data) if data else None, "target": target, "date_column": date_column,
               "date_format": date_format, "sep": sep, "decimal": decimal, "horizon": horizon, "coverage": coverage,
               "seed": seed,
               "output": str(output) if output else None, "name": name, "quiet": quiet or None,
               "model_params": parse_params(param or []) or None, "require_new_data": require_new_data or None,
               "fill_gap": fill_gap or None, "allow_level_shift": allow_level_shift or None}
        settings = resolve_settings(cli, config)
        from_saved = settings["model_file"] is not None
        # from the command line or a config file alike: an option that cannot act is a mistake
        rolling = [f"--{k.replace('_', '-')}" for k in _ROLLING_OPTIONS if settings[k]]
        if rolling and not from_saved:
            raise ConfigError(f"{', '.join(rolling)} only applies to --from (a saved model rolled onto new data).")
        if from_saved and model is not None:
            raise ConfigError("--model and --from exclude each other: the saved model is the model.")
        if from_saved and param:
            raise ConfigError("--param and --from exclude each other: a saved model keeps the parameters it "
                              "was fitted with.")
        _only_for(settings["model"], cli["model_params"] or {})
        kind = "forecast_saved" if from_saved else f"forecast_{settings['model']}"
        with _run_directory(settings, kind) as run:
            if from_saved:
                fitted, provenance = _roll_saved_model(settings, cli, config)
            else:
                frame, target, source = _load_frame(settings)
                fitted = _train(_one_model(settings), frame, target, settings["quiet"])
                provenance = {"model": fitted.short_name, "parameters": plain_parameters(fitted), "data": source,
                              "data_sha256": data_hash(fitted.y_)}
            horizon, level = settings["horizon"], settings["coverage"]
            table = fitted.predict_interval(horizon, level)
            table.insert(0, "forecast", fitted.predict(horizon))
            table.index.name = "timestamp"
            label = getattr(fitted, "label_", fitted.short_name)
            run.write("forecast.csv", table.to_csv())
            run.write("forecast.svg", forecast_with_interval_chart(fitted.y_, table, level, label))
            run.write("run.json", json.dumps({
                **provenance, "fitted": label, "horizon": horizon, "coverage": level,
                "history_end": str(fitted.cutoff_), "observations": len(fitted.y_), "versions": versions(),
            }, indent=2, default=str))
            published.path = run.publish()
        if not settings["quiet"]:
            _err.print(f"forecast: {published.path / 'forecast.csv'}", highlight=False, markup=False)


def _roll_saved_model(settings: dict[str, Any], cli: dict[str, Any], config: Path | None):
    """The saved model, rolled forward onto the newer observations of --data (if any), and
    what the run's ``run.json`` records about it. No newer observation is a warning, or with
    --require-new-data one error line and exit code 5."""
    from tsforecast.app.continuation import StaleDataWarning, roll_forward
    from tsforecast.core.provenance import data_hash
    from tsforecast.persistence import load_model_file

    path = Path(settings["model_file"])
    loaded = load_model_file(path)  # one read of the file: the model and its metadata
    fitted, saved = loaded.model, loaded.metadata
    provenance = {"model_file": str(path), "model": saved["model"], "saved_at": saved["saved_at"],
                  "saved_by": saved["tsforecast_version"], "trained_until": saved["training"]["last"],
                  "training_data_sha256": saved["training"]["data_sha256"], "appended": 0}
    if settings["data"] or _explicit(cli, config, "dataset"):
        frame, target, source = _load_frame(settings, preferred_target=fitted.y_.name)
        with warnings.catch_warnings():
            if settings["require_new_data"]:
                warnings.simplefilter("error", StaleDataWarning)
            try:
                rolled = roll_forward(fitted, frame[target].rename(target), fill_gap=settings["fill_gap"],
                                      allow_level_shift=settings["allow_level_shift"])
            except StaleDataWarning as stale:
                _err.print(f"[red]error:[/red] {escape(str(stale))}", highlight=False, soft_wrap=True)
                raise typer.Exit(EXIT_NO_NEW_DATA) from None
        provenance.update(data=source, data_sha256=data_hash(rolled.data), appended=rolled.appended,
                          filled=rolled.filled)
    elif any(settings[k] for k in _ROLLING_OPTIONS):
        given = ", ".join(f"--{k.replace('_', '-')}" for k in _ROLLING_OPTIONS if settings[k])
        raise ConfigError(f"{given} act on the new rows of --data; give --data (or data in the config).")
    return fitted, provenance


#: forecast's options for rolling a saved model onto new data (--from with --data)
_ROLLING_OPTIONS = ("require_new_data", "fill_gap", "allow_level_shift")


def _print_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@app.command("models")
def list_models() -> None:
    """List the registered models: what each is, its class and its parameters with defaults."""
    from tsforecast.registry import MODELS, model_parameters, model_summary

    rows = [
        (key, f"{model_summary(key)} ({cls.__name__})", ", ".join(
            f"{k}={v!r}" for k, v in model_parameters(key).items() if k != "progress"))
        for key, cls in MODELS.items()
    ]
    _print_table("Models", ("name", "what it is (class)", "parameters (defaults)"), rows)


@app.command("datasets")
def list_datasets() -> None:
    """List the built-in datasets."""
    from tsforecast.data.datasets import available_datasets, default_target

    rows = [(key, default_target(key), text) for key, text in available_datasets().items()]
    _print_table("Built-in datasets", ("name", "default target", "description"), rows)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="tsforecast")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
