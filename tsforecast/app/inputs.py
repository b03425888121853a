"""The data a command reads: a file (``--data``) or a built-in dataset, and the columns it
uses (``--target``, ``--exog``, ``--id-column``), checked before any model is loaded; and the
regressors a model is fitted and forecast with: ``--exog`` columns, ``--holidays`` calendar
columns (:mod:`tsforecast.data.calendar`) and the horizon's known-future rows (``--future``,
or the data's rows after its last observation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tsforecast.core.errors import ConfigError

# pandas is imported inside the functions, so that `tsforecast --help` answers at once

__all__ = ["load_frame", "exog_columns", "holiday_calendar", "split_future", "training_data", "check_takes_regressors",
           "forecast_regressors", "history_regressors", "same_regressors", "panel_holidays",
           "check_one_future", "own_future_values"]


def load_frame(settings: dict[str, Any], preferred_target: str | None = None, allow_panel: bool = False):
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
    for option, columns in (("--target", [target]), ("--exog", exog_columns(settings)), ("--id-column", id_column)):
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise ConfigError(
                f"{option} {', '.join(map(repr, absent))} is not a column of {where}; columns: "
                f"{', '.join(map(str, frame.columns))}."
            )
    return frame, target, f"{where} (column {target})"


def exog_columns(settings: dict[str, Any]) -> list[str]:
    """The columns of ``--exog`` (none when not given)."""
    spec = settings.get("exog")
    return [c.strip() for c in str(spec).split(",") if c.strip()] if spec else []


def holiday_calendar(settings: dict[str, Any]):
    """The calendar of ``--holidays`` (a :class:`~tsforecast.data.calendar.HolidayCalendar`), or
    None; ``--holiday-days-around`` without it is a mistake."""
    from tsforecast.data.calendar import parse_holidays

    if settings.get("holiday_days_around") and not settings.get("holidays"):
        raise ConfigError("--holiday-days-around adds the days around the holidays of --holidays; give --holidays "
                          "too (e.g. --holidays US).")
    return parse_holidays(settings["holidays"]) if settings.get("holidays") else None


def split_future(frame, target: str):
    """``frame`` cut after its last observed ``target``: the history, and the rows after it
    (target empty, regressors filled: the known-future inputs of the horizon)."""
    observed = frame.index[frame[target].notna().to_numpy()]
    if not len(observed):
        return frame, frame.iloc[:0]
    last = observed.max()
    return frame[frame.index <= last], frame[frame.index > last]


def training_data(frame, target: str, exog: list[str], calendar, around: bool = False):
    """What a model is fitted on: ``y`` (the rows up to the last observed target; the rows
    after it are the horizon's inputs) and ``X``, the ``--exog`` columns and the holiday
    columns on y's timestamps, with the days ``around`` them if asked (None when neither is
    asked for)."""
    if not exog and calendar is None:
        return frame[target], None  # as ever: the model's validation trims trailing empty rows
    import pandas as pd

    from tsforecast.data.calendar import holiday_features
    from tsforecast.data.validation import clean_series, drop_duplicate_rows

    history, _ = split_future(frame, target)
    y = history[target]
    parts = [drop_duplicate_rows(history[exog], "the --exog columns")] if exog else []
    if calendar is not None:
        index = clean_series(y).series.index  # the model's own grid (gaps filled), so every day has its row
        parts.append(holiday_features(index, calendar, freq=index.freq, around=around))
    return y, pd.concat(parts, axis=1)


def check_takes_regressors(model, exog: list[str], calendar) -> None:
    """A model that takes no regressors asked for some (``--exog``, ``--holidays``) is a mistake."""
    asked = ", ".join(option for option, given in (("--exog", exog), ("--holidays", calendar)) if given)
    if asked and not model.supports_exog:
        raise ConfigError(f"{asked}: {model.short_name} takes no regressors. Fix: leave out {asked}, or choose a "
                          "model that takes them (sarima, arima, ar, arma, auto_arima, rnn, lstm, gru, wavenet).")


def forecast_regressors(model, settings: dict[str, Any], future_rows, target: str | None):
    """The regressors of the forecast horizon for ``model`` (None when it has none): its
    own columns from ``--future`` or else from the data's rows after the last observation,
    and its holiday columns rebuilt from the calendar its exog schema names. Refused, each
    with the problem named: a horizon not covered, columns that differ from the model's,
    missing values, timestamps off the series' frequency, ``--future`` for a model without
    regressors of its own, or rows of the horizon in both the data and ``--future``."""
    import pandas as pd

    from tsforecast.core.frequency import future_index
    from tsforecast.data.calendar import calendar_in_columns, holiday_features, is_holiday_column

    columns = [] if model.exog_schema_ is None else list(model.exog_schema_.columns)
    calendar, around = calendar_in_columns(columns)
    past = set(model.get_params().get("past_covariates") or ())  # known only up to the origin
    own = [c for c in columns if not is_holiday_column(c) and c not in past]
    own_values = own_future_values(own, settings, future_rows, model.cutoff_, model.freq_, target)
    if not columns:
        return None
    index = future_index(model.cutoff_, model.freq_, settings["horizon"])
    parts = [] if own_values is None else [own_values.set_axis(index, axis=0)]
    if calendar is not None:
        parts.append(holiday_features(index, calendar, freq=model.freq_, around=around))
    return pd.concat(parts, axis=1) if parts else None


def own_future_values(own: list, settings: dict[str, Any], future_rows, cutoff, freq, target: str | None):
    """The horizon's values of the regressors ``own`` (a model's, holidays apart) after
    ``cutoff`` at ``freq``, from ``--future`` or the data's ``future_rows``, checked (see
    :func:`forecast_regressors`); None when ``own`` is empty and no ``--future`` is given.
    ``forecast`` runs it before fitting too: a neural fit takes minutes, a missing row must
    fail first."""
    from tsforecast.data.exog import future_exog

    horizon, given = settings["horizon"], settings.get("future")
    check_one_future(own, settings, future_rows)
    if given:
        from tsforecast.data.datasets import load_csv

        path = Path(given)
        rows = load_csv(path, settings["date_column"], settings["date_format"], sep=settings.get("sep"),
                        decimal=settings.get("decimal"))
        # the target column may be in the file, empty: it is the same layout as --data
        extra = [target] if target in rows.columns and rows[target].isna().all() else []
        if not own:
            unknown = [c for c in rows.columns if c not in extra]
            raise ConfigError(f"--future {path.name}: the model takes no regressors of its own (columns "
                              f"{', '.join(map(str, unknown))} given); leave out --future.")
        return future_exog(rows, own, cutoff, freq, horizon, what=f"--future {path.name}", extra_allowed=extra)
    if not own:
        return None
    if future_rows is None or not len(future_rows):
        from tsforecast.core.frequency import future_index
        from tsforecast.data.text import stamp_text

        start = future_index(cutoff, freq, 1)[0]
        raise ConfigError(f"the model was fitted with the regressor(s) {', '.join(map(str, own))}, known in "
                          f"advance: give their values for the {horizon} forecast timestamp(s) from "
                          f"{stamp_text(start)} with --future FILE, or as rows after the last observation "
                          "of --data (target empty).")
    return future_exog(future_rows, own, cutoff, freq, horizon, strict=False,
                       what="the known-future rows (--future, or the data's rows after its last observation)")


def check_one_future(columns: list, settings: dict[str, Any], future_rows) -> None:
    """The horizon's values of ``columns`` come from one place: ``--future`` or the data's
    rows after its last observation, not both (which would win is a guess)."""
    in_data = [] if future_rows is None else [c for c in columns if c in future_rows.columns]
    if settings.get("future") and in_data and future_rows[in_data].notna().to_numpy().any():
        raise ConfigError(f"the data has rows after its last observation and --future gives the horizon too; "
                          f"give the known-future rows in one place ({len(future_rows)} row(s) in the data).")


def history_regressors(model, frame, target: str):
    """``X`` for the observations of ``frame`` newer than ``model``'s last timestamp (for
    ``forecast --from`` rolling it forward): its own columns from the data, its holiday
    columns rebuilt; None for a model without regressors."""
    schema = model.exog_schema_
    if schema is None:
        return None
    import pandas as pd

    from tsforecast.data.calendar import calendar_in_columns, holiday_features, is_holiday_column
    from tsforecast.data.validation import drop_duplicate_rows

    calendar, around = calendar_in_columns(schema.columns)
    own = [c for c in schema.columns if not is_holiday_column(c)]
    absent = [c for c in own if c not in frame.columns]
    if absent:
        raise ConfigError(f"the data lacks the column(s) {', '.join(map(str, absent))} the saved model was fitted "
                          "with; its new rows need them.")
    newer = frame[frame.index > model.cutoff_]
    parts = [drop_duplicate_rows(newer[own], "the regressor columns")] if own else []
    observed = newer.index[newer[target].notna().to_numpy()]
    if calendar is not None and len(observed):
        index = pd.date_range(model.cutoff_ + model.freq_, observed.max(), freq=model.freq_)  # gaps filled too
        parts.append(holiday_features(index, calendar, freq=model.freq_, around=around))
    return pd.concat(parts, axis=1) if parts else None


def same_regressors(model, settings: dict[str, Any]) -> None:
    """``--exog`` and ``--holidays`` given with ``--from`` (a config shared with ``fit``)
    must be what the saved model was fitted with."""
    from tsforecast.data.calendar import calendar_in_columns, is_holiday_column

    columns = [] if model.exog_schema_ is None else list(model.exog_schema_.columns)
    saved, saved_around = calendar_in_columns(columns)
    asked = holiday_calendar(settings)
    if settings.get("holidays") and (saved is None or asked != saved):
        raise ConfigError(f"--holidays {asked.code}, but the saved model was fitted "
                          + (f"with the {saved.code} calendar" if saved else "without holidays")
                          + "; leave out --holidays (the model's own calendar is used) or refit.")
    if settings.get("holiday_days_around") and not saved_around:
        raise ConfigError("--holiday-days-around, but the saved model was fitted without the days around holidays; "
                          "leave it out or refit.")
    own = [str(c) for c in columns if not is_holiday_column(c)]
    if settings.get("exog") and exog_columns(settings) != own:
        raise ConfigError(f"--exog {','.join(exog_columns(settings))}, but the saved model was fitted with "
                          f"{', '.join(own) if own else 'no regressors of its own'}; leave out --exog or refit.")


def panel_holidays(frame, exog: list[str], calendar, around: bool = False):
    """A long table (indexed by dates, one row per series and date) with the holiday
    columns of ``calendar`` added by date, and the regressor columns with them."""
    if calendar is None:
        return frame, exog
    from tsforecast.data.calendar import holiday_features

    dates = frame.index.unique().sort_values()
    features = holiday_features(dates, calendar, around=around).reindex(frame.index)
    return frame.assign(**{c: features[c].to_numpy() for c in features.columns}), [*exog, *features.columns]
