"""``tsforecast.monitor(store, actuals)``: score the stored forecasts whose actuals arrived,
keep the scores in the store, and test every model and series for drift.

One call does what the daily ``tsforecast monitor`` job does:

1. the store's live forecasts (runs of ``tsforecast forecast``) are joined with the new
   actuals and scored (:func:`tsforecast.monitoring.scoring.score_forecasts`); bad actual rows
   are listed, never scored;
2. the scores are written to the store (scoring the same actuals twice does not duplicate
   them: the store keeps one score per run, series and target time);
3. every score in the store is recomputed from the actuals it holds, so the accuracy over time
   and the drift test see the whole history, not only today's file;
4. each model and series is tested against its backtest (the store's backtest runs)
   (:func:`tsforecast.monitoring.drift.detect_drift`); an alarm is *new* when the score that
   raised it arrived in this call.
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
    score_rows,
)

__all__ = ["MonitorResult", "monitor", "accuracy_over_time", "backtest_errors", "stored_alarms"]

#: what identifies a score in the store
_KEY = ["run_id", "series_id", "model", "origin", "target_time"]


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
    * ``unscored`` and ``problems``: the actual rows not scored, and why.
    """

    scores: pd.DataFrame
    accuracy: pd.DataFrame
    alarms: pd.DataFrame
    drift: Drift
    unscored: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    recorded: int = 0
    threshold: float = H

    @property
    def new_alarms(self) -> pd.DataFrame:
        """The alarms raised by scores that arrived in this call."""
        return self.alarms[self.alarms["new"]]

    @property
    def drifted(self) -> bool:
        """Whether this call raised a drift alarm (the CLI's exit code 5)."""
        return bool(len(self.new_alarms))


def backtest_errors(backtest: pd.DataFrame) -> pd.DataFrame:
    """The absolute scaled errors of stored backtest rows (their ``y_true`` against ``point``
    over ``scale``): the reference of the drift test. Rows without an actual or a positive
    scale are left out."""
    columns = ["model", "series_id", "step", "abs_scaled_error"]
    if backtest.empty or "y_true" not in backtest.columns:
        return pd.DataFrame(columns=columns)
    scale = backtest["scale"].to_numpy(dtype="float64")
    errors = scaled_errors(backtest["y_true"].to_numpy(dtype="float64"), backtest["point"].to_numpy(dtype="float64"),
                           scale)
    keep = np.isfinite(errors) & (scale > 0)
    return pd.DataFrame({"model": backtest["model"].to_numpy()[keep],
                         "series_id": backtest["series_id"].astype(str).to_numpy()[keep],
                         "step": backtest["step"].to_numpy()[keep], "abs_scaled_error": errors[keep]})


def accuracy_over_time(scores: pd.DataFrame) -> pd.DataFrame:
    """Per model, series and target time, the freshest forecast (the smallest step): its
    point, interval, actual, error, absolute scaled error, coverage and pinball loss, in time
    order; the report's rolling error and calibration over time are drawn from it."""
    columns = ["model", "series_id", "target_time", "step", "point", "lower", "upper", "interval", "actual", "error",
               "abs_scaled_error", "covered", "pinball"]
    if scores.empty:
        return pd.DataFrame(columns=columns)
    ordered = scores.sort_values(["model", "series_id", "target_time", "step", "origin"],
                                 ascending=[True, True, True, True, False], kind="stable")
    return ordered.drop_duplicates(["model", "series_id", "target_time"])[columns].reset_index(drop=True)


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
        live = store.forecasts(command="forecast")
        if live.empty:
            raise DataError("the store holds no forecast to score: record forecasts with `tsforecast forecast "
                            "--store ...` (or Store.record_run) first.")
        before = store.scores()
        today = score_forecasts(live, given, coverage=coverage)
        for message in today.problems:  # the good rows are scored; these are said, never dropped silently
            warnings.warn(message, UnscoredActualsWarning, stacklevel=2)
        fresh = today.scores
        if record and len(fresh):
            store.record_scores(fresh[SCORE_COLUMNS])
            stored = store.scores()
        else:  # the store's scores and this call's, this call's winning
            stored = pd.concat([before, fresh[SCORE_COLUMNS]], ignore_index=True).drop_duplicates(_KEY, keep="last")
        backtest = backtest_errors(store.forecasts(command="backtest"))
    finally:
        if opened:
            store.close()
    # every score recomputed from the actuals the store holds: the whole history, as scored today
    history = stored[["series_id", "target_time", "actual"]].drop_duplicates(["series_id", "target_time"], keep="last")
    scores = score_rows(live, history, coverage=coverage)
    known = pd.MultiIndex.from_frame(before[_KEY].astype({"series_id": str})) if len(before) else None
    keys = pd.MultiIndex.from_frame(scores[_KEY])
    scores = scores.assign(new=~keys.isin(known) if known is not None else True)
    drift = detect_drift(scores, backtest, k=k, h=h)
    arrived = set(map(tuple, freshest(scores)[lambda f: f["new"]][["model", "series_id", "target_time"]].to_numpy()))
    alarms = drift.alarms.assign(new=[(m, s, t) in arrived for m, s, t in zip(
        drift.alarms["model"], drift.alarms["series_id"], drift.alarms["alarm_time"], strict=True)])
    return MonitorResult(scores, accuracy_over_time(scores), alarms, drift, today.unscored, today.problems,
                         recorded=len(fresh) if record else 0, threshold=h)


def stored_alarms(store: Any, *, model: str | None = None, series_id: str | None = None, k: float = K,
                  h: float = H) -> pd.DataFrame:
    """The drift alarms of the scores the store holds (as :func:`monitor` raises them), for one
    model and series or all; nothing is scored or written. ``forecast --refit-on-drift`` reads them."""
    store, opened = _open(store)
    try:
        scores = store.scores(model=model, series_id=series_id)
        backtest = backtest_errors(store.forecasts(command="backtest", model=model, series_id=series_id))
    finally:
        if opened:
            store.close()
    if scores.empty:
        return pd.DataFrame(columns=ALARM_COLUMNS)
    return detect_drift(scores, backtest, k=k, h=h).alarms
