"""``tsforecast backtest``: models side by side on rolling-origin folds, an HTML report and
CSV/JSON tables in one run folder, the leaderboard on stderr."""

from __future__ import annotations

from typing import Any

import typer

from tsforecast.app.console import EXIT_MODEL_FAILED, Published, err, exit_codes, print_leaderboard, progress
from tsforecast.app.flags import command, command_line, config_path
from tsforecast.app.inputs import exog_columns, holiday_calendar, load_frame, panel_holidays, training_data
from tsforecast.app.models import build_models, model_names
from tsforecast.app.outputs import run_directory
from tsforecast.app.settings import resolve_settings
from tsforecast.app.storing import open_store, record_run

__all__ = ["backtest"]


@command("backtest")
def backtest(given: dict[str, Any]) -> None:
    """Backtest models side by side on rolling-origin folds and write an HTML report."""
    published = Published()
    with exit_codes(published):
        settings = resolve_settings(command_line("backtest", given), config_path(given))
        quiet = settings["quiet"]
        # entering checks the output folder (before any work) and creates nothing yet
        names = model_names(settings["models"], settings["model_params"])
        levels = [c.strip() for c in settings["hierarchy"].split(",") if c.strip()] if settings["hierarchy"] else []
        if levels:
            _check_hierarchy(settings)  # before any data is read
            settings["id_column"] = settings["id_column"] or levels[-1]  # else the last level's members
        from tsforecast.store.frames import utc_now

        store, started = open_store(settings), utc_now()  # an unusable store stops the run before any work
        with run_directory(settings, "backtest") as run:
            # the data before the models: reading it needs pandas only, the models may need PyTorch
            frame, target, source = load_frame(settings, allow_panel=True)
            if not settings["id_column"]:
                from tsforecast.data.validation import clean_series

                clean_series(frame[target])  # a data mistake is told before the models load (the run cleans again)
            chosen = build_models(names, settings["model_params"])
            exog, calendar = exog_columns(settings), holiday_calendar(settings)
            if exog:
                source += f", regressors {', '.join(exog)}"
            if calendar is not None:
                # known in advance: every fold's horizon gets its calendar from the rows it covers
                source += f", holidays {calendar.code}"
            if settings["id_column"]:
                # long format: one row per series and date; the panel validates each series
                source += f", series by {settings['id_column']}"
                frame, exog = panel_holidays(frame, exog, calendar, settings["holiday_days_around"])
                data = {"data": frame.reset_index(), "id_col": settings["id_column"], "time_col": frame.index.name,
                        "target_col": target, "exog_columns": exog}
            else:
                y, X = training_data(frame, target, exog, calendar, settings["holiday_days_around"])
                data = {"data": y, "X": X}
            from tsforecast.backtest import backtest as run_backtest

            if levels:
                source += f", hierarchy {' > '.join(levels)}"
            with progress(not quiet and err.is_terminal, "backtesting") as update:
                result = _hierarchical(settings, levels, data, chosen, update) if levels else run_backtest(
                    **data, models=chosen, horizon=settings["horizon"], n_windows=settings["folds"],
                    step=settings["step"],
                    window_type="sliding" if settings["window"] is not None else "expanding",
                    window_size=settings["window"], refit=settings["refit"],
                    n_jobs=settings["jobs"], seed=settings["seed"],
                    time_limit=settings["time_limit"], progress=update,
                    engine=settings["engine"], scheduler=settings["scheduler"],
                )
            result.metadata["source"] = source
            _write(result, run)
            published.path = run.publish()
        if not quiet:
            print_leaderboard(result)
            notes = result.fit_notes()
            if not notes.empty:
                example = f"{notes['model'].iloc[0]}: {notes['notes'].iloc[0][:120]}"
                err.print(f"{len(notes)} of {len(result.timings)} fits finished with a note (e.g. {example}); "
                          "all are in the report and run.json.", highlight=False, markup=False)
            err.print(f"report: {published.path / 'report.html'}", highlight=False, markup=False)
        from tsforecast.store.record import backtest_meta, backtest_rows_of

        record_run(store, lambda: backtest_meta(result, started, published.path), lambda: backtest_rows_of(result),
                   published, quiet)
        if not result.failures.empty:
            err.print(f"{len(result.failures)} model fit(s) failed; see the report's failures section.")
            raise typer.Exit(EXIT_MODEL_FAILED)


def _check_hierarchy(settings: dict[str, Any]) -> None:
    """The options that do not combine with ``--hierarchy``, and its own, refused up front."""
    from tsforecast.core.errors import ConfigError
    from tsforecast.hierarchy import MISSING_RULES, check_methods

    if exog_columns(settings):
        raise ConfigError("--exog does not combine with --hierarchy: the aggregate series have no regressors.")
    if settings["refit"] is not True:
        raise ConfigError("--hierarchy refits every fold (MinT needs each cutoff's in-sample residuals); "
                          "drop --refit.")
    if settings["hierarchy_missing"] not in MISSING_RULES:
        raise ConfigError(f"--hierarchy-missing must be one of {', '.join(MISSING_RULES)}, "
                          f"got {settings['hierarchy_missing']!r}.")
    if settings["reconcile"]:
        check_methods([m.strip() for m in settings["reconcile"].split(",")])


def _hierarchical(settings: dict[str, Any], levels: list[str], data: dict[str, Any], chosen, update):
    """``--hierarchy``: every series of the hierarchy backtested, each fold's forecasts reconciled."""
    from tsforecast.backtest.hierarchical import backtest_hierarchy
    from tsforecast.hierarchy import METHODS

    methods = [m.strip() for m in settings["reconcile"].split(",")] if settings["reconcile"] else list(METHODS)
    return backtest_hierarchy(
        data["data"], chosen, levels, methods=methods, id_col=data["id_col"], time_col=data["time_col"],
        target_col=data["target_col"], missing=settings["hierarchy_missing"], horizon=settings["horizon"],
        n_windows=settings["folds"], step=settings["step"],
        window_type="sliding" if settings["window"] is not None else "expanding", window_size=settings["window"],
        n_jobs=settings["jobs"], seed=settings["seed"], time_limit=settings["time_limit"], progress=update,
        engine=settings["engine"], scheduler=settings["scheduler"])


def _write(result, run) -> None:
    """Every file of a backtest run: report, CSV tables and the JSON summary."""
    import json

    from tsforecast.core.files import spreadsheet_safe
    from tsforecast.report import render_report

    run.write("report.html", render_report(result))
    for table, frame in result.tables().items():
        run.write(f"{table}.csv", spreadsheet_safe(frame).to_csv(index=False))
    run.write("run.json", json.dumps(result.summary(), indent=2, default=str))
