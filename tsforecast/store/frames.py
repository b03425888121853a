"""Between pandas and the store's tables: a run's metadata and forecast frame checked and
turned into rows to insert, and rows read back into frames.

Times are stored as naive UTC: an aware timestamp is converted to UTC, a naive one is taken
as it is (a series without a zone keeps its wall-clock times; run times are UTC).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tsforecast.core.errors import DataError

__all__ = ["quantile_column", "COMMANDS", "FORECAST_COLUMNS", "SCORE_COLUMNS", "RUN_COLUMNS", "quantile_levels_of",
           "utc_now", "run_row", "forecast_rows", "score_rows", "forecasts_frame", "runs_frame", "scores_frame",
           "empty_forecasts"]

#: the commands a run can come from
COMMANDS = ("forecast", "backtest")
#: the columns every forecast frame holds (then ``y_true`` for a backtest and ``q<level>`` columns)
FORECAST_COLUMNS = ["series_id", "model", "origin", "target_time", "step", "point", "scale"]
_FLOATS = ("point", "scale", "y_true")
#: the columns of the scores table, in order
SCORE_COLUMNS = ["run_id", "series_id", "model", "origin", "target_time", "step", "actual", "error",
                 "abs_scaled_error", "covered", "pinball", "scored_at"]
#: the columns of :meth:`Store.runs`
RUN_COLUMNS = ["run_id", "command", "model", "parameters", "data_sha256", "versions", "started_at", "finished_at",
               "recorded_at", "n_forecasts", "extra"]
_RUN_KEYS = ("command", "model", "parameters", "data_sha256", "versions", "started_at", "finished_at")
_QUANTILE = re.compile(r"q(\d*\.?\d+(?:[eE]-?\d+)?)")


def quantile_column(level: float) -> str:
    """The column of quantile ``level`` (``q0.1``), spelled as the backtest's frame spells it
    (:func:`tsforecast.backtest.frame.quantile_column`; a test keeps the two equal). Not
    imported from there: importing the backtest package loads every model family (seconds),
    and opening a store to read it must stay light."""
    return f"q{level:g}"


def utc_now() -> dt.datetime:
    """The current time as naive UTC (how the store keeps every time)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def quantile_levels_of(columns: Sequence[str]) -> dict[str, float]:
    """The quantile columns among ``columns`` (``q0.1`` -> 0.1); a ``q...`` name whose level is
    not strictly between 0 and 1 is a DataError."""
    levels = {}
    for column in columns:
        match = _QUANTILE.fullmatch(str(column))
        if match:
            level = float(match.group(1))
            if not 0 < level < 1:
                raise DataError(f"quantile column {column!r}: the level must be strictly between 0 and 1.")
            levels[str(column)] = level
    return levels


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it: numpy numbers as Python's, a non-finite float as text
    (JSON has no NaN; PostgreSQL refuses it), times as ISO text."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _time(value: Any, name: str) -> dt.datetime:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise DataError(f"run metadata {name!r} is not a time: {value!r}.") from exc
    if pd.isna(stamp):
        raise DataError(f"run metadata {name!r} is missing (NaT).")
    return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp).to_pydatetime()


def run_row(meta: Mapping[str, Any], run_id: str, n_forecasts: int) -> dict[str, Any]:
    """The ``runs`` row of a run: ``meta``'s known keys checked, every other key kept in ``extra``."""
    if not isinstance(meta, Mapping):
        raise DataError(f"run metadata must be a dict, got {type(meta).__name__}.")
    command, model = meta.get("command"), meta.get("model")
    if command not in COMMANDS:
        raise DataError(f"run metadata 'command' must be one of {', '.join(COMMANDS)}, got {command!r}.")
    if not isinstance(model, str) or not model:
        raise DataError(f"run metadata 'model' must name the model(s) as text, got {model!r}.")
    sha = meta.get("data_sha256")
    if sha is not None and not isinstance(sha, str):
        raise DataError(f"run metadata 'data_sha256' must be text, got {type(sha).__name__}.")
    now = utc_now()
    started = _time(meta["started_at"], "started_at") if meta.get("started_at") is not None else now
    finished = _time(meta["finished_at"], "finished_at") if meta.get("finished_at") is not None else now
    return {
        "run_id": run_id, "command": command, "model": model, "data_sha256": sha,
        "parameters": _plain(meta.get("parameters") or {}), "versions": _plain(meta.get("versions") or {}),
        "started_at": started, "finished_at": finished, "recorded_at": now, "n_forecasts": int(n_forecasts),
        "extra": _plain({k: v for k, v in meta.items() if k not in _RUN_KEYS}),
    }


def _times(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    try:
        values = pd.DatetimeIndex(pd.to_datetime(frame[column]))
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} column {column!r} does not hold times: {exc}") from exc
    if values.hasnans:
        raise DataError(f"{what} column {column!r} has missing times (row {int(np.argmax(values.isna()))}).")
    if values.tz is not None:
        values = values.tz_convert("UTC").tz_localize(None)
    return values.to_pydatetime()


def _floats(frame: pd.DataFrame, column: str, what: str) -> list[float | None]:
    try:
        values = frame[column].to_numpy(dtype="float64")
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} column {column!r} does not hold numbers: {exc}") from exc
    # NULL, not NaN, for a missing number: SQL's aggregates skip NULL, and both databases agree on it
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out.tolist()


def _steps(frame: pd.DataFrame, what: str) -> list[int]:
    values = pd.to_numeric(frame["step"], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values) | (values < 1) | (values != np.round(values))
    if bad.any():
        raise DataError(f"{what} column 'step' must hold whole numbers from 1 (row {int(np.argmax(bad))}: "
                        f"{frame['step'].iloc[int(np.argmax(bad))]!r}).")
    return values.astype("int64").tolist()


def _texts(frame: pd.DataFrame, column: str, what: str) -> list[str]:
    values = frame[column]
    if values.isna().any():
        raise DataError(f"{what} column {column!r} has missing values (row {int(np.argmax(values.isna()))}).")
    return values.astype(str).tolist()


def _require(frame: object, required: Sequence[str], what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{what} lacks the column(s) {', '.join(missing)}; it has "
                        f"{', '.join(map(str, frame.columns))}.")
    return frame


def forecast_rows(frame: pd.DataFrame, run_id: str) -> tuple[dict[str, list], dict[str, list]]:
    """The ``forecasts`` rows and the ``forecast_quantiles`` rows of a run's forecast frame,
    each as columns (name -> values, all of one length)."""
    what = "the forecasts frame"
    frame = _require(frame, FORECAST_COLUMNS, what)
    levels = quantile_levels_of(frame.columns)
    unknown = [str(c) for c in frame.columns if c not in FORECAST_COLUMNS and c != "y_true" and c not in levels]
    if unknown:
        raise DataError(f"{what} has column(s) the store does not know: {', '.join(unknown)} (allowed: "
                        f"{', '.join(FORECAST_COLUMNS)}, y_true and quantiles named like q0.1).")
    n = len(frame)
    rows = {
        "run_id": [run_id] * n, "row_no": list(range(n)),
        "series_id": _texts(frame, "series_id", what), "model": _texts(frame, "model", what),
        "origin": _times(frame, "origin", what), "target_time": _times(frame, "target_time", what),
        "step": _steps(frame, what),
        **{name: _floats(frame, name, what) if name in frame.columns else [None] * n for name in _FLOATS},
    }
    quantiles: dict[str, list] = {"run_id": [], "row_no": [], "level": [], "value": []}
    for column, level in levels.items():
        quantiles["run_id"] += rows["run_id"]
        quantiles["row_no"] += rows["row_no"]
        quantiles["level"] += [level] * n
        quantiles["value"] += _floats(frame, column, what)
    return rows, quantiles


def score_rows(frame: pd.DataFrame) -> list[dict]:
    """The ``scores`` rows of a frame of scores (``scored_at`` defaults to now)."""
    what = "the scores frame"
    frame = _require(frame, [c for c in SCORE_COLUMNS if c != "scored_at"], what)
    n = len(frame)
    covered = frame["covered"].astype(object)
    columns = {
        "run_id": _texts(frame, "run_id", what), "series_id": _texts(frame, "series_id", what),
        "model": _texts(frame, "model", what), "origin": _times(frame, "origin", what),
        "target_time": _times(frame, "target_time", what), "step": _steps(frame, what),
        **{name: _floats(frame, name, what) for name in ("actual", "error", "abs_scaled_error", "pinball")},
        "covered": [None if pd.isna(c) else bool(c) for c in covered],
        "scored_at": _times(frame, "scored_at", what) if "scored_at" in frame.columns else [utc_now()] * n,
    }
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _typed(frame: pd.DataFrame, times: Sequence[str], floats: Sequence[str], ints: Sequence[str]) -> pd.DataFrame:
    for column in times:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    for column in floats:
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    for column in ints:
        frame[column] = frame[column].astype("int64")
    return frame


def empty_forecasts() -> pd.DataFrame:
    """The forecasts frame of a store that holds none (the columns, typed)."""
    return forecasts_frame([], ["run_id", "command", "row_no", *FORECAST_COLUMNS, "y_true"], [])


def forecasts_frame(rows: Sequence[Sequence[Any]], columns: Sequence[str],
                    quantiles: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Forecast rows (with ``run_id``, ``command`` and ``row_no``) and their quantile rows
    (``run_id``, ``row_no``, ``level``, ``value``) as one frame with a ``q<level>`` column per level."""
    frame = _typed(pd.DataFrame.from_records(list(rows), columns=list(columns)), ("origin", "target_time"),
                   _FLOATS, ("step", "row_no"))
    if quantiles:
        long = pd.DataFrame.from_records(list(quantiles), columns=["run_id", "row_no", "level", "value"])
        long["value"] = pd.to_numeric(long["value"]).astype("float64")
        wide = long.pivot(index=["run_id", "row_no"], columns="level", values="value").sort_index(axis=1)
        wide.columns = [quantile_column(float(level)) for level in wide.columns]
        frame = frame.join(wide, on=["run_id", "row_no"])
    return frame.drop(columns="row_no")


def runs_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The ``runs`` rows as a frame (JSON columns as dicts), oldest first."""
    frame = pd.DataFrame.from_records(list(rows), columns=RUN_COLUMNS)
    for column in ("parameters", "versions", "extra"):
        # SQLite hands JSON back as parsed values already; a driver that gives text is parsed here
        frame[column] = [json.loads(v) if isinstance(v, str) else v for v in frame[column]]
    return _typed(frame, ("started_at", "finished_at", "recorded_at"), (), ("n_forecasts",))


def scores_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The ``scores`` rows as a frame."""
    frame = pd.DataFrame.from_records(list(rows), columns=SCORE_COLUMNS)
    frame["covered"] = frame["covered"].astype("boolean")
    return _typed(frame, ("origin", "target_time", "scored_at"), ("actual", "error", "abs_scaled_error", "pinball"),
                  ("step",))
