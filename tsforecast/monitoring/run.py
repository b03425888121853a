"""``tsforecast.monitor(store, actuals)``: score the stored forecasts whose actuals arrived,
keep the scores in the store, and test every model and series for drift.

One call does what the daily ``tsforecast monitor`` job does:

1. the store's live forecasts (runs of ``tsforecast forecast``) are joined with the new
   actuals and scored (:func:`tsforecast.monitoring.scoring.score_forecasts`); bad actual rows
   are listed, never scored;
2. the scores are written to the store (scoring the same actuals twice does not duplicate
   them: the store keeps one score per run, series and target time), unless ``record=False``:
   the CLI records them only after it has published its report (:func:`record_scores`), so a
   run that dies in between leaves them new for the next run and its alarm is not lost;
3. the store's scores (with this call's) are read back as they were recorded, each with its
   forecast's point, interval and scale, so the accuracy over time and the drift test see the
   whole history, not only today's file;
4. each model and series is tested against its latest backtest (the store's newest backtest
   run holding that model and series: an older one may be of another configuration or of data
   before a refit) (:func:`tsforecast.monitoring.drift.detect_drift`); an alarm is *new* when
   the score that raised it arrived in this call.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tsforecast.core.defaults import COVERAGE
from tsforecast.core.errors import DataError
from tsforecast.core.params import check_coverage
from tsforecast.evaluation.metrics import scaled_errors
from tsforecast.monitoring.drift import ALARM_COLUMNS, Drift, H, K, detect_drift, freshest
from tsforecast.monitoring.scoring import (
    ACTUAL_COLUMNS,
    SCORE_COLUMNS,
    UnscoredActualsWarning,
    actuals_frame,
    score_forecasts,
    with_bounds,
)
from tsforecast.store.record import TIMEZONE_KEY
from tsforecast.store.schema import SCORE_KEY

__all__ = ["MonitorResult", "monitor", "record_scores", "accuracy_over_time", "backtest_errors", "stored_alarms"]

_KEY = list(SCORE_KEY)


@dataclass(frozen=True)
class MonitorResult:
    """What :func:`monitor` found.

    * ``scores``: every score of the store's live forecasts (this call's and earlier ones),
      :data:`~tsforecast.monitoring.scoring.SCORE_COLUMNS` plus ``point``, ``lower``, ``upper``,
      ``interval`` (the nominal coverage of the interval scored), ``scale`` and ``new`` (scored
      by this call);
    * ``accuracy``: per model, series and target time, the freshest forecast's error, scaled
      error and coverage (:func:`accuracy_over_time`);
    * ``alarms``: every drift alarm (:data:`~tsforecast.monitoring.drift.ALARM_COLUMNS` and
      ``new``); ``drift``: the test's day-by-day statistic and references;
    * ``unscored`` and ``problems``: the actual rows not scored, and why;
    * ``today``: this call's scores (:data:`SCORE_COLUMNS`), which ``recorded`` of them were
      written (0 with ``record=False``: :func:`record_scores` writes them).
    """

    scores: pd.DataFrame
    accuracy: pd.DataFrame
    alarms: pd.DataFrame
    drift: Drift
    unscored: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    recorded: int = 0
    threshold: float = H
    today: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SCORE_COLUMNS))

    @property
    def new_alarms(self) -> pd.DataFrame:
        """The alarms raised by scores that arrived in this call."""
        return self.alarms[self.alarms["new"]]

    @property
    def drifted(self) -> bool:
        """Whether this call raised a drift alarm (the CLI's exit code 5)."""
        return bool(len(self.new_alarms))


def backtest_errors(backtest: pd.DataFrame, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The absolute scaled errors of stored backtest rows (their ``y_true`` against ``point``
    over ``scale``): the reference of the drift test. Rows without an actual or a positive
    scale are left out.

    Only the latest backtest run of each model and series counts: the one recorded last
    (``recorded_at`` from ``runs``, :meth:`Store.runs`; without it, the rows' order, which is
    the order the store recorded them in). A weekly backtest job would otherwise pile a year
    of folds, old configurations and data from before a refit into one reference."""
    columns = ["model", "series_id", "step", "abs_scaled_error", "run_id", "recorded_at"]
    if backtest.empty or "y_true" not in backtest.columns:
        return pd.DataFrame(columns=columns)
    order = np.arange(len(backtest))  # the store's order: recorded_at, then run_id
    recorded = pd.Series(pd.NaT, index=backtest.index, dtype="datetime64[ns]")
    if runs is not None and len(runs):
        when = runs.set_index("run_id")["recorded_at"]
        recorded = backtest["run_id"].map(when).astype("datetime64[ns]")
    latest = pd.DataFrame({"model": backtest["model"].to_numpy(), "series_id": backtest["series_id"].astype(str),
                           "run_id": backtest["run_id"].to_numpy(), "recorded_at": recorded.to_numpy(),
                           "order": order})
    runs_of_pair = latest.sort_values(["recorded_at", "order"], kind="stable").drop_duplicates(
        ["model", "series_id"], keep="last")[["model", "series_id", "run_id"]]
    newest = pd.MultiIndex.from_frame(latest[["model", "series_id", "run_id"]]).isin(
        pd.MultiIndex.from_frame(runs_of_pair))
    scale = backtest["scale"].to_numpy(dtype="float64")
    errors = scaled_errors(backtest["y_true"].to_numpy(dtype="float64"), backtest["point"].to_numpy(dtype="float64"),
                           scale)
    keep = np.isfinite(errors) & (scale > 0) & newest
    return pd.DataFrame({"model": backtest["model"].to_numpy()[keep],
                         "series_id": backtest["series_id"].astype(str).to_numpy()[keep],
                         "step": backtest["step"].to_numpy()[keep], "abs_scaled_error": errors[keep],
                         "run_id": backtest["run_id"].to_numpy()[keep], "recorded_at": recorded.to_numpy()[keep]})


def accuracy_over_time(scores: pd.DataFrame) -> pd.DataFrame:
    """Per model, series and target time, the freshest forecast (the smallest step; see
    :func:`~tsforecast.monitoring.drift.freshest`): its point, interval, actual, error, absolute
    scaled error, coverage and pinball loss, in time order; the report's rolling error and
    calibration over time are drawn from it."""
    columns = ["model", "series_id", "target_time", "step", "point", "lower", "upper", "interval", "actual", "error",
               "abs_scaled_error", "covered", "pinball"]
    if scores.empty:
        return pd.DataFrame(columns=columns)
    return freshest(scores, finite_only=False)[columns]


def _timezones(runs: pd.DataFrame, live: pd.DataFrame) -> dict[str, str | None]:
    """Per series id, the timezone its forecast runs recorded (runs recorded before the store
    kept it say nothing, and their series are left out: see ``score_forecasts``)."""
    zones: dict[str, str | None] = {}
    known = {run_id: extra[TIMEZONE_KEY] for run_id, extra in zip(runs["run_id"], runs["extra"], strict=True)
             if isinstance(extra, dict) and TIMEZONE_KEY in extra}
    pairs = live[["run_id", "series_id"]].drop_duplicates()
    for run_id, series_id in zip(pairs["run_id"], pairs["series_id"].astype(str), strict=True):
        if run_id in known and (zones.get(series_id) is None):
            zones[series_id] = known[run_id]  # an aware run wins: its rows are the ones stored as UTC
    return zones


def _open(store: Any) -> tuple[Any, bool]:
    """The store itself, or one opened from a path or URL (closed again by the caller)."""
    if isinstance(store, str | os.PathLike):
        from tsforecast.store import Store

        return Store(store), True
    return store, False


def monitor(
    store: Any,
    actuals: pd.DataFrame | pd.Series,
    *,
    target: str | None = None,
    id_column: str | None = None,
    coverage: float = COVERAGE,
    record: bool = True,
    k: float = K,
    h: float = H,
) -> MonitorResult:
    """Score the stored forecasts against ``actuals``, record the scores in ``store`` (a
    :class:`tsforecast.store.Store`, or its path or URL) unless ``record=False``, and test
    every model and series for drift (see the module docstring).

    ``actuals``: a long frame ``series_id, target_time, actual``; or a Series indexed by dates
    (one series); or a frame indexed by dates with the value column ``target`` (and ``id_column``
    for a panel), as :func:`tsforecast.load_csv` reads a file. ``coverage`` chooses which stored
    interval is scored for coverage when a forecast kept several."""
    coverage = check_coverage(coverage)
    if isinstance(actuals, pd.DataFrame) and set(ACTUAL_COLUMNS) <= set(actuals.columns):
        given = actuals[ACTUAL_COLUMNS]
    else:
        given = actuals_frame(actuals, target=target, id_column=id_column)
    store, opened = _open(store)
    try:
        if store.schema_version == 0:  # a SQLite path with no file behind it (a typo, most often)
            raise DataError(f"the forecast store {store.url} does not exist: check the path (a store is created "
                            "by `tsforecast forecast --store ...` or `backtest --store ...`).")
        live = store.forecasts(command="forecast")
        if live.empty:
            raise DataError(f"the forecast store {store.url} holds no forecast to score: record forecasts with "
                            "`tsforecast forecast --store ...` (or Store.record_run) first.")
        runs = store.runs()
        before = store.scores()
        today = score_forecasts(live, given, coverage=coverage, timezones=_timezones(runs, live))
        for message in today.problems:  # the good rows are scored; these are said, never dropped silently
            warnings.warn(message, UnscoredActualsWarning, stacklevel=2)
        fresh = today.scores[SCORE_COLUMNS]
        if record and len(fresh):
            store.record_scores(fresh)
            stored = store.scores()
        else:  # the store's scores and this call's, this call's winning
            stored = pd.concat([before.astype({"series_id": str}), fresh], ignore_index=True).drop_duplicates(
                _KEY, keep="last")
        backtest = backtest_errors(store.forecasts(command="backtest"), runs)
    finally:
        if opened:
            store.close()
    # the scores as recorded (never recomputed: each keeps when it was scored), with their forecasts
    scores = with_bounds(stored, live, coverage=coverage)
    scores = scores.sort_values(["series_id", "model", "target_time", "origin", "run_id"], kind="stable",
                                ignore_index=True)
    known = pd.MultiIndex.from_frame(before[_KEY].astype({"series_id": str})) if len(before) else None
    keys = pd.MultiIndex.from_frame(scores[_KEY])
    scores = scores.assign(new=~keys.isin(known) if known is not None else True)
    drift = detect_drift(scores, backtest, k=k, h=h)
    arrived = set(map(tuple, freshest(scores)[lambda f: f["new"]][["model", "series_id", "target_time"]].to_numpy()))
    alarms = drift.alarms.assign(new=[(m, s, t) in arrived for m, s, t in zip(
        drift.alarms["model"], drift.alarms["series_id"], drift.alarms["alarm_time"], strict=True)])
    return MonitorResult(scores, accuracy_over_time(scores), alarms, drift, today.unscored, today.problems,
                         recorded=len(fresh) if record else 0, threshold=h, today=fresh.reset_index(drop=True))


def record_scores(store: Any, result: MonitorResult) -> int:
    """Write the scores of a ``monitor(..., record=False)`` call to ``store`` (one
    transaction; a score recorded before is replaced) and return how many. A failed write is a
    :class:`~tsforecast.core.errors.StoreError` and leaves the store as it was."""
    if result.today.empty:
        return 0
    store, opened = _open(store)
    try:
        return int(store.record_scores(result.today))
    finally:
        if opened:
            store.close()


def stored_alarms(store: Any, *, model: str | None = None, series_id: str | None = None, k: float = K,
                  h: float = H) -> pd.DataFrame:
    """The drift alarms of the scores the store holds (as :func:`monitor` raises them), for one
    model and series or all; nothing is scored or written. ``forecast --refit-on-drift`` reads them."""
    store, opened = _open(store)
    try:
        scores = store.scores(model=model, series_id=series_id)
        backtest = backtest_errors(store.forecasts(command="backtest", model=model, series_id=series_id),
                                   store.runs())
    finally:
        if opened:
            store.close()
    if scores.empty:
        return pd.DataFrame(columns=ALARM_COLUMNS)
    return detect_drift(scores, backtest, k=k, h=h).alarms
