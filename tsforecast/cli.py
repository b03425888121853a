"""The ``tsforecast`` command line: a thin layer over the library.

Exit codes (documented in the README and in ``tsforecast --help``):

* 0: success;
* 2: bad usage, bad configuration or bad data: one line on stderr, no output files;
* 3: the run finished and wrote its outputs, but some model failed on some fold;
* 1: an unexpected internal error.
"""

from __future__ import annotations

import sys
import tomllib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tsforecast.atomic import atomic_write
from tsforecast.backtest import backtest as run_backtest
from tsforecast.datasets import DATASETS, available_datasets, default_target, load_csv, load_dataset
from tsforecast.errors import TsforecastError
from tsforecast.registry import MODELS, get_model, model_parameters

__all__ = ["app", "main", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_MODEL_FAILED"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_MODEL_FAILED = 0, 1, 2, 3

app = typer.Typer(
    help="Forecast time series with classical and neural models, backtest them side by side, "
    "and write a self-contained HTML report.\n\nExit codes: 0 success, 2 bad usage or data "
    "(nothing written), 3 some model failed (outputs written), 1 internal error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_err = Console(stderr=True)

# option name -> default, applied after the config file (command line > config > default)
_DEFAULTS: dict[str, Any] = {
    "dataset": "ridership", "data": None, "target": None, "date_column": None,
    "models": "sarima,lstm", "horizon": 14, "windows": 5, "step": None, "window": None,
    "refit": "true", "seed": 0, "jobs": 1, "output": "reports", "name": None,
    "time_limit": None, "exog": None,
}


class UsageProblem(TsforecastError):
    """A command-line or configuration mistake (exit code 2)."""


@contextmanager
def _exit_codes() -> Iterator[None]:
    """Translate library errors into one stderr line and an exit code; warnings as one line each."""

    def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
        # a terminal user needs the message, not the library source line that raised it
        _err.print(f"[yellow]warning:[/yellow] {escape(str(message))}", highlight=False, soft_wrap=True)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warning
            yield
    except typer.Exit:
        raise
    except TsforecastError as exc:
        _err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        _err.print("interrupted; nothing was written.")
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - the CLI boundary: no tracebacks for users
        _err.print(f"internal error: {type(exc).__name__}: {exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_FAILURE) from None


def _read_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    if not path.is_file():
        raise UsageProblem(f"config file not found: {path}")
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageProblem(f"config file {path} is not valid TOML: {exc}") from exc
    allowed = set(_DEFAULTS) | {"model_params", "quiet"}
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise UsageProblem(
            f"config file {path} has unknown key(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(sorted(allowed))}."
        )
    if isinstance(config.get("models"), list):
        config["models"] = ",".join(config["models"])
    return config


def _settings(cli: dict[str, Any], config_path: Path | None) -> dict[str, Any]:
    config = _read_config(config_path)
    merged = {**_DEFAULTS, **config}
    merged.update({k: v for k, v in cli.items() if v is not None})
    if config_path is not None and config.get("data") and not Path(config["data"]).is_absolute():
        if cli.get("data") is None:
            merged["data"] = str((config_path.parent / config["data"]).resolve())
    return merged


def _parse_refit(value: object) -> bool | int:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0"}:
        return False
    if text.isdigit():
        return int(text)
    raise UsageProblem(f"--refit must be true, false or a number N (refit every N folds), got {value!r}.")


def _models(spec: str, params: dict[str, dict]) -> dict[str, Any]:
    names = [name.strip().lower() for name in str(spec).split(",") if name.strip()]
    if not names:
        raise UsageProblem("--models is empty; give a comma-separated list such as sarima,lstm.")
    unknown_params = sorted(set(params) - set(names))
    if unknown_params:
        raise UsageProblem(f"model_params for {', '.join(unknown_params)}, which are not in --models.")
    return {name: get_model(name, **params.get(name, {})) for name in names}


def _load_frame(settings: dict[str, Any]) -> tuple[pd.DataFrame, str, str]:
    """The data, the target column and a human-readable description of where it came from."""
    if settings["data"]:
        path = Path(settings["data"])
        frame = load_csv(path, settings["date_column"])
        target = settings["target"]
        if target is None:
            numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)]
            if frame.shape[1] == 1:
                numeric = list(frame.columns)  # the only column; validation checks its values
            if len(numeric) != 1:
                raise UsageProblem(
                    f"{path.name} has several value columns ({', '.join(map(str, frame.columns))}); "
                    "choose one with --target."
                )
            target = numeric[0]
        where = path.name
    else:
        name = settings["dataset"]
        if name not in DATASETS:
            raise UsageProblem(f"unknown dataset {name!r}; built-in datasets: {', '.join(DATASETS)}.")
        frame = load_dataset(name)
        target = settings["target"] or default_target(name)
        where = f"built-in dataset {name}"
    for option, columns in (("--target", [target]), ("--exog", _exog_columns(settings))):
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise UsageProblem(
                f"{option} {', '.join(map(repr, absent))} is not a column of {where}; columns: "
                f"{', '.join(map(str, frame.columns))}."
            )
    return frame, target, f"{where} (column {target})"


def _exog_columns(settings: dict[str, Any]) -> list[str]:
    spec = settings.get("exog")
    if isinstance(spec, list):
        return [str(c) for c in spec]
    return [c.strip() for c in str(spec).split(",") if c.strip()] if spec else []


def _load_series(settings: dict[str, Any]) -> tuple[pd.Series, str]:
    """The target series and where it came from."""
    frame, target, source = _load_frame(settings)
    return frame[target], source


def _stem(settings: dict[str, Any], kind: str, source_name: str) -> str:
    if settings["name"]:
        return str(settings["name"])
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in source_name)
    return f"{kind}_{safe}_{stamp}"


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    columns = (TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=_err, transient=True) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


@app.command()
def backtest(
    models: Annotated[str | None, typer.Option(
        help="Comma-separated model names (see `tsforecast models`). [default: sarima,lstm]")] = None,
    dataset: Annotated[str | None, typer.Option(
        help="Built-in dataset when --data is not given. [default: ridership]")] = None,
    data: Annotated[Path | None, typer.Option(help="A CSV or Parquet file with a date column.")] = None,
    target: Annotated[str | None, typer.Option(
        help="Column to forecast. [default: rail for ridership; the only value column of a file]")] = None,
    date_column: Annotated[str | None, typer.Option(
        help="Column holding the dates. [default: the first column]")] = None,
    horizon: Annotated[int | None, typer.Option(
        help="Steps forecast from each cutoff; all are scored. [default: 14]")] = None,
    windows: Annotated[int | None, typer.Option(help="Number of folds (cutoffs). [default: 5]")] = None,
    step: Annotated[int | None, typer.Option(help="Observations between cutoffs. [default: the horizon]")] = None,
    window: Annotated[int | None, typer.Option(
        help="Sliding training window size; omit for an expanding window.")] = None,
    exog: Annotated[str | None, typer.Option(
        help="Comma-separated columns given to the models that take regressors, as values known in "
        "advance for the forecast days too (e.g. day_type; not bus).")] = None,
    refit: Annotated[str | None, typer.Option(
        help="true (refit every fold), false (roll forward), or N (refit every N folds). [default: true]")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for every model that has one. [default: 0]")] = None,
    jobs: Annotated[int | None, typer.Option(help="Parallel workers (-1: all cores). [default: 1]")] = None,
    time_limit: Annotated[float | None, typer.Option(
        help="Seconds one fit may take before it counts as a failure.")] = None,
    output: Annotated[Path | None, typer.Option(
        help="Directory for the report, CSV and JSON. [default: reports]")] = None,
    name: Annotated[str | None, typer.Option(help="Fixed file stem (overwrites); default: a dated stem.")] = None,
    config: Annotated[Path | None, typer.Option(
        help="TOML file with any of these options and [model_params.<model>] tables.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Backtest models side by side on rolling-origin folds and write an HTML report."""
    with _exit_codes():
        cli = {"models": models, "dataset": dataset, "data": str(data) if data else None,
               "target": target, "date_column": date_column, "horizon": horizon,
               "windows": windows, "step": step, "window": window, "exog": exog, "refit": refit,
               "seed": seed, "jobs": jobs, "time_limit": time_limit,
               "output": str(output) if output else None, "name": name}
        settings = _settings(cli, config)
        quiet = quiet or bool(settings.get("quiet"))
        chosen = _models(settings["models"], settings.get("model_params", {}))
        frame, target, source = _load_frame(settings)
        exog_columns = _exog_columns(settings)
        X = frame[exog_columns] if exog_columns else None
        if exog_columns:
            source += f", regressors {', '.join(exog_columns)}"
        show = not quiet and _err.is_terminal
        with _progress(show, "backtesting") as progress:
            result = run_backtest(
                frame[target], chosen, X=X, horizon=settings["horizon"], n_windows=settings["windows"],
                step=settings["step"],
                window_type="sliding" if settings["window"] else "expanding",
                window_size=settings["window"], refit=_parse_refit(settings["refit"]),
                n_jobs=settings["jobs"], seed=settings["seed"],
                time_limit=settings["time_limit"], progress=progress,
            )
        result.metadata["source"] = source
        folder = Path(settings["output"])
        stem = _stem(settings, "backtest", Path(settings["data"]).stem if settings["data"] else settings["dataset"])
        report = result.to_html(folder / f"{stem}.html")
        result.to_csv(folder, stem)
        result.to_json(folder / f"{stem}.json")
        if not quiet:
            _print_leaderboard(result)
            _err.print(f"report: {report}")
        if not result.failures.empty:
            _err.print(f"{len(result.failures)} model fit(s) failed; see the report's failures section.")
            raise typer.Exit(EXIT_MODEL_FAILED)


def _print_leaderboard(result) -> None:
    table = Table(title="Leaderboard (sorted by MAE)")
    for column in ("model", "MAE", "MASE", "skill", "p vs snaive", "coverage"):
        table.add_column(column, justify="right" if column != "model" else "left")
    for model, row in result.leaderboard().iterrows():
        table.add_row(str(model), f"{row['mae']:,.1f}", f"{row['mase']:.3f}",
                      f"{row['skill']:.1%}", f"{row['p_vs_baseline']:.3g}", f"{row['coverage']:.2f}")
    _err.print(table)


@app.command()
def forecast(
    model: Annotated[str, typer.Option(help="Model name (see `tsforecast models`).")] = "sarima",
    horizon: Annotated[int, typer.Option(help="Steps to forecast.")] = 14,
    dataset: Annotated[str, typer.Option(help="Built-in dataset when --data is not given.")] = "ridership",
    data: Annotated[Path | None, typer.Option(help="A CSV or Parquet file with a date column.")] = None,
    target: Annotated[str | None, typer.Option(help="Column to forecast.")] = None,
    date_column: Annotated[str | None, typer.Option(help="Column holding the dates.")] = None,
    coverage: Annotated[float, typer.Option(help="Prediction interval coverage.")] = 0.8,
    seed: Annotated[int, typer.Option(help="Seed for models that have one.")] = 0,
    output: Annotated[Path, typer.Option(help="Directory for the CSV and chart.")] = Path("reports"),
    name: Annotated[str | None, typer.Option(help="Fixed file stem (overwrites); default: dated.")] = None,
) -> None:
    """Fit one model on all the data and write its future forecast (CSV and SVG chart)."""
    from tsforecast.report.charts import forecast_with_interval_chart

    with _exit_codes():
        settings = {**_DEFAULTS, "dataset": dataset, "data": str(data) if data else None,
                    "target": target, "date_column": date_column, "name": name}
        chosen = get_model(model)
        if "seed" in chosen.get_params():
            chosen.set_params(seed=seed)
        y, _ = _load_series(settings)
        with _progress(_err.is_terminal, f"training {model}") as progress:
            if progress is not None and "progress" in chosen.get_params():
                # neural models report every epoch: (epoch, max_epochs, train_loss, val_loss)
                chosen.set_params(progress=lambda epoch, total, *_: progress(epoch, total))
            fitted = chosen.fit(y)
        frame = fitted.predict_interval(horizon, coverage)
        frame.insert(0, "forecast", fitted.predict(horizon))
        frame.index.name = "timestamp"
        stem = _stem(settings, f"forecast_{model}", Path(data).stem if data else dataset)
        atomic_write(output / f"{stem}.csv", frame.to_csv())
        atomic_write(output / f"{stem}.svg",
                      forecast_with_interval_chart(fitted.y_, frame, coverage, model))
        _err.print(f"forecast: {output / (stem + '.csv')}")


def _print_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@app.command("models")
def list_models() -> None:
    """List the registered models with their parameters and defaults."""
    rows = [
        (key, cls.__name__, ", ".join(
            f"{k}={v!r}" for k, v in model_parameters(key).items() if k != "progress"))
        for key, cls in MODELS.items()
    ]
    _print_table("Models", ("name", "class", "parameters (defaults)"), rows)


@app.command("datasets")
def list_datasets() -> None:
    """List the built-in datasets."""
    rows = [(key, default_target(key), text) for key, text in available_datasets().items()]
    _print_table("Built-in datasets", ("name", "default target", "description"), rows)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="tsforecast")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
