"""``tsforecast forecast``: fit one model on all the data, or load one saved by ``tsforecast
fit`` (``--from``) and roll it forward onto newer data; writes forecast.csv, a chart and run.json."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import typer

from tsforecast.app.console import EXIT_NO_NEW_DATA, Published, err, error, exit_codes
from tsforecast.app.flags import command, command_line, config_path
from tsforecast.app.inputs import (
    check_one_future,
    check_takes_regressors,
    exog_columns,
    forecast_regressors,
    history_regressors,
    holiday_calendar,
    load_frame,
    own_future_values,
    same_regressors,
    split_future,
    training_data,
)
from tsforecast.app.models import one_model, only_for, train
from tsforecast.app.outputs import run_directory
from tsforecast.app.settings import OPTIONS, merge_settings, read_config
from tsforecast.app.storing import open_store, record_run
from tsforecast.core.errors import ConfigError

__all__ = ["forecast"]

#: forecast's options for rolling a saved model onto new data (--from with --data)
_ROLLING_OPTIONS = ("require_new_data", "fill_gap", "allow_level_shift", "refit_on_drift")


def _flags(settings: dict[str, Any]) -> list[str]:
    return [OPTIONS[k].flag_for("forecast") for k in _ROLLING_OPTIONS if settings[k]]


@command("forecast")
def forecast(given: dict[str, Any]) -> None:
    """Forecast the future: fit one model on all the data, or load one saved by `tsforecast fit`
    (--from) and roll it forward onto newer data; writes forecast.csv, a chart and run.json."""
    published = Published()
    with exit_codes(published):
        import json

        from tsforecast.core.provenance import data_hash, plain_parameters, versions
        from tsforecast.report.charts import forecast_with_interval_chart

        cli, config = command_line("forecast", given), config_path(given)
        from_config = read_config(config) if config is not None else {}  # read once: it may warn
        settings = merge_settings(cli, from_config)
        from_saved = settings["model_file"] is not None
        # from the command line or a config file alike: an option that cannot act is a mistake
        rolling = _flags(settings)
        if rolling and not from_saved:
            raise ConfigError(f"{', '.join(rolling)} only applies to --from (a saved model rolled onto new data).")
        if from_saved and cli["model"] is not None:
            raise ConfigError("--model and --from exclude each other: the saved model is the model.")
        if from_saved and cli["model_params"]:
            raise ConfigError("--param and --from exclude each other: a saved model keeps the parameters it "
                              "was fitted with.")
        only_for(settings["model"], cli["model_params"] or {})
        from tsforecast.store.frames import utc_now

        store, started = open_store(settings), utc_now()  # an unusable store stops the run before any work
        if settings["refit_on_drift"] and store is None:
            raise ConfigError("--refit-on-drift acts on the drift alarms kept in a forecast store; give --store (or "
                              "store in the config, or $TSFORECAST_STORE).")
        kind = "forecast_saved" if from_saved else f"forecast_{settings['model']}"
        with run_directory(settings, kind) as run:
            if from_saved:
                dataset_given = cli.get("dataset") is not None or "dataset" in from_config
                fitted, provenance, future_rows = _roll_saved_model(settings, dataset_given)
                if settings["refit_on_drift"]:
                    fitted = _refit_on_drift(fitted, store, provenance, settings["quiet"])
            else:
                frame, target, source = load_frame(settings)
                chosen, exog, calendar = one_model(settings), exog_columns(settings), holiday_calendar(settings)
                check_takes_regressors(chosen, exog, calendar)
                y, X = training_data(frame, target, exog, calendar, settings["holiday_days_around"])
                future_rows = split_future(frame, target)[1] if X is not None else None
                if X is not None or settings["future"]:
                    # the horizon's rows checked before the fit (a neural fit takes minutes)
                    from tsforecast.data.validation import clean_series

                    grid = clean_series(y).series.index
                    past = set(chosen.get_params().get("past_covariates") or ())  # known up to the origin only
                    own_future_values([c for c in exog if c not in past], settings, future_rows, grid[-1], grid.freq,
                                      target)
                fitted = train(chosen, y.to_frame(), target, settings["quiet"], X)
                provenance = {"model": fitted.short_name, "parameters": plain_parameters(fitted), "data": source,
                              "data_sha256": data_hash(fitted.y_)}
            horizon, level = settings["horizon"], settings["coverage"]
            # the horizon's regressors: --future or the data's rows after its last observation, holidays rebuilt
            future_X = forecast_regressors(fitted, settings, future_rows, fitted.y_.name)
            if future_X is not None:
                provenance["regressors"] = [str(c) for c in future_X.columns]
            table = fitted.predict_interval(horizon, level, X=future_X)
            table.insert(0, "forecast", fitted.predict(horizon, X=future_X))
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
            err.print(f"forecast: {published.path / 'forecast.csv'}", highlight=False, markup=False)
        from tsforecast.store.record import forecast_meta, forecast_rows_of

        record_run(store, lambda: forecast_meta(fitted, provenance, settings, started, published.path),
                   lambda: forecast_rows_of(fitted, table, level), published, settings["quiet"])


def _refit_on_drift(fitted, store, provenance: dict[str, Any], quiet: bool):
    """``fitted`` refitted on all its data and saved over its model file when the store holds a
    drift alarm for its model and series raised after its training data ended (an alarm the
    saved model has not seen); else ``fitted`` as it is. ``provenance`` records which."""
    import pandas as pd
    from sklearn.base import clone

    from tsforecast.monitoring.run import stored_alarms

    series_id = str(fitted.y_.name) if fitted.y_.name is not None else "y"  # as the store records it
    alarms = stored_alarms(store, model=fitted.short_name, series_id=series_id)
    trained_until = pd.Timestamp(provenance["trained_until"])
    if trained_until.tzinfo is not None:  # the store keeps times as naive UTC
        trained_until = trained_until.tz_convert("UTC").tz_localize(None)
    unseen = alarms[alarms["alarm_time"] > trained_until] if len(alarms) else alarms
    provenance["refit_on_drift"] = None
    if unseen.empty:
        return fitted
    alarm = unseen.iloc[-1]
    refitted = clone(fitted).fit(fitted.y_, getattr(fitted, "X_", None))
    refitted.save(provenance["model_file"])  # the next run rolls forward from the refitted model
    provenance["refit_on_drift"] = {"alarm_time": str(alarm["alarm_time"]), "since": str(alarm["since"]),
                                    "trained_until": str(refitted.cutoff_)}
    if not quiet:
        err.print(f"refit: drift alarm for {fitted.short_name} on {series_id} at {alarm['alarm_time']} (after the "
                  f"model's training data ended, {trained_until}); refitted on {len(refitted.y_)} observations and "
                  f"saved to {provenance['model_file']}", highlight=False, markup=False)
    return refitted


def _roll_saved_model(settings: dict[str, Any], dataset_given: bool):
    """The saved model, rolled forward onto the newer observations of --data (if any), what
    the run's ``run.json`` records about it, and the data's rows after its last observation
    (the horizon's known-future inputs; None without data or regressors). No newer observation is a warning, or with
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
    same_regressors(fitted, settings)  # a config shared with `fit` may name them: they must agree
    future_rows = None
    if settings["data"] or dataset_given:  # a bundled dataset named on purpose, not the default
        frame, target, source = load_frame(settings, preferred_target=fitted.y_.name)
        if fitted.exog_schema_ is not None:
            frame, future_rows = split_future(frame, target)  # rows after the last observation: the horizon's
            check_one_future(list(fitted.exog_schema_.columns), settings, future_rows)  # before any warning
        new_X = history_regressors(fitted, frame, target)
        with warnings.catch_warnings():
            if settings["require_new_data"]:
                warnings.simplefilter("error", StaleDataWarning)
            try:
                rolled = roll_forward(fitted, frame[target].rename(target), fill_gap=settings["fill_gap"],
                                      allow_level_shift=settings["allow_level_shift"], X=new_X)
            except StaleDataWarning as stale:
                error(str(stale))
                raise typer.Exit(EXIT_NO_NEW_DATA) from None
        provenance.update(data=source, data_sha256=data_hash(rolled.data), appended=rolled.appended,
                          filled=rolled.filled)
    elif any(settings[k] for k in _ROLLING_OPTIONS):
        raise ConfigError(f"{', '.join(_flags(settings))} act on the new rows of --data; give --data (or data in "
                          "the config).")
    return fitted, provenance, future_rows
