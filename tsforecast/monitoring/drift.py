"""Drift: a one-sided CUSUM on the live forecasts' absolute scaled errors, against what the
backtest of the same model on the same series promised.

**What is tested.** For each model and series, every target time that has an actual gives
one live error: the absolute scaled error (|actual - point| over the MASE scale recorded when
the forecast was made) of its *freshest* forecast (the smallest step, i.e. the latest
origin; with daily forecasts that is the 1-step-ahead one). The question is whether these
errors have become larger than the model's errors used to be.

**The reference.** The model's backtest errors on the same series, read from the store
(backtest runs keep each forecast's ``y_true``): the absolute scaled errors of the backtest
rows at the shortest steps, widened step by step until at least :data:`MIN_REFERENCE` of
them are taken (five folds of 14 steps give 30 errors at steps 1 to 6), since live errors at
step 1 are compared with backtest errors at short steps. Where no backtest is stored (or it
holds fewer than :data:`MIN_REFERENCE` errors), the fallback is the first
:data:`BURN_IN` live errors of that model and series: they are the reference, and the test
starts after them (until then the model is "warming up", never in alarm).

**The statistic.** Each live error becomes a normal score within the reference: its mid-rank
``u = (#below + #equal / 2 + 1/2) / (n + 1)`` among the ``n`` reference errors, then
``z = Phi^-1(u)``. When the live errors come from the reference's distribution, the rank of
each is uniform on ``n + 1`` places, so ``z`` is close to standard normal whatever the shape
of the errors (skewed, heavy holiday tails): the test needs no distribution assumed. ``z``
is bounded (about +-2.1 for n = 30, +-2.5 for n = 70), so one outlier (a holiday the model
missed) moves the statistic by at most ``z_max - k``. The one-sided CUSUM
``S_t = max(0, S_{t-1} + z_t - k)`` (Page 1954) raises an alarm when ``S_t > h`` and then
restarts from 0, so a drift that persists raises an alarm again a few days later.

**Thresholds.** ``k = 0.5`` (:data:`K`) is tuned to a rise of one standard deviation of the
normal score; ``h = 5`` (:data:`H`). Run lengths are computed exactly for the score's
distribution under no drift (``z`` uniform on the ``n + 1`` normal scores, independent days)
by the Markov chain of Brook & Evans (1972) (:func:`run_length_cdf`,
:func:`average_run_length`): with a reference of 30 errors the average run length without
drift is about 1,270 days (one false alarm in three to four years per model and series; the
probability of one within 60 days is about 4%); with 70 errors about 1,080 days (5% within 60
days); ``h = 4`` would halve them (425 days, 12% within 60 days). A break that puts the live
errors above the whole reference gives ``z = z_max`` every day, so the statistic grows by
``z_max - k`` (1.64 with 30 reference errors, 1.95 with 70) a day and the alarm fires on the
third or fourth day: within a week.

**Measured on real data** (the CTA's daily rail boardings, seasonal naive, the reference from
the default 5-fold, 14-step backtest of the two years before, 60 live days forecast daily
from a model fitted weekly; ``benchmarks/monitoring_drift.py``): a level shift of -40%
(about 4.4 MASE scales) planted on day 40 raised the alarm on day 46, 44, 40 and 42 in the
windows starting 2019-04-01, 2018-09-01, 2017-05-01 and 2016-11-01. Without a shift, the
first 40 days passed without an alarm in three windows of four (one alarm on day 47 of the
2017 window); the window of November 2016 to January 2017 alarmed on days 10, 25 and 32:
Thanksgiving, Christmas and New Year, whose errors its reference (September and October)
does not hold. Real errors are not independent from day to day and their size follows the
seasons, so false alarms are more frequent than the figures for independent days; a
reference taken from a year of folds did not help (its heavier tail hid the 2019 shift).
The report shows the statistic day by day so a user can judge an alarm.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import ndtri

from tsforecast.core.errors import ConfigError

__all__ = ["K", "H", "MIN_REFERENCE", "BURN_IN", "PATH_COLUMNS", "ALARM_COLUMNS", "Drift", "normal_scores",
           "cusum", "run_length_cdf", "average_run_length", "freshest", "reference_errors", "detect_drift"]

#: the CUSUM's reference value, in normal-score units (tuned to a rise of one standard deviation)
K = 0.5
#: the CUSUM's decision threshold: an alarm when the statistic exceeds it
H = 5.0
#: fewest backtest errors taken as the reference; fewer and the fallback is used
MIN_REFERENCE = 30
#: fallback without a backtest: the first live errors that form the reference
BURN_IN = 28
_GRID = 400  # states of the Markov chain between 0 and h

#: one row per live error tested: its normal score and the CUSUM after it
PATH_COLUMNS = ["model", "series_id", "target_time", "step", "abs_scaled_error", "z", "cusum", "alarm", "reference"]
#: one row per alarm raised
ALARM_COLUMNS = ["model", "series_id", "alarm_time", "since", "cusum", "threshold", "mean_error", "reference_error",
                 "reference"]


def normal_scores(values: ArrayLike, reference: ArrayLike) -> np.ndarray:
    """Each value's normal score within ``reference``: ``Phi^-1`` of its mid-rank
    ``(#below + #equal / 2 + 1/2) / (n + 1)`` among the ``n`` finite reference values."""
    ref = np.sort(np.asarray(reference, dtype="float64").reshape(-1))
    ref = ref[np.isfinite(ref)]
    if not ref.size:
        raise ConfigError("a drift reference needs at least one finite error.")
    values = np.asarray(values, dtype="float64").reshape(-1)
    below = np.searchsorted(ref, values, side="left")
    not_above = np.searchsorted(ref, values, side="right")
    return ndtri(((below + not_above) / 2 + 0.5) / (ref.size + 1))


def cusum(z: ArrayLike, k: float = K, h: float = H) -> tuple[np.ndarray, np.ndarray]:
    """The one-sided CUSUM of ``z`` (``S_t = max(0, S_{t-1} + z_t - k)``, restarting from 0
    after each alarm) and whether each step raised an alarm (``S_t > h``)."""
    z = np.asarray(z, dtype="float64").reshape(-1)
    path = np.empty(z.size)
    alarm = np.zeros(z.size, dtype=bool)
    level = 0.0
    for t, value in enumerate(z):  # a recursion: one step per live error, a few hundred at most
        level = max(0.0, level + value - k)
        path[t] = level
        if level > h:
            alarm[t] = True
            level = 0.0
    return path, alarm


@functools.lru_cache(maxsize=64)
def _chain(n_reference: int, k: float, h: float) -> np.ndarray:
    """The CUSUM's transition matrix among the states below ``h`` (Brook & Evans): the
    statistic on a grid of :data:`_GRID` cells, ``z`` uniform on the ``n + 1`` normal scores."""
    z = ndtri((np.arange(n_reference + 1) + 0.5) / (n_reference + 1))
    width = h / _GRID
    states = np.arange(_GRID) * width
    nxt = np.maximum(0.0, states[:, None] + z[None, :] - k)
    inside = nxt <= h
    cell = np.minimum(np.round(nxt / width).astype(int), _GRID - 1)
    matrix = np.zeros((_GRID, _GRID))
    rows = np.broadcast_to(np.arange(_GRID)[:, None], cell.shape)
    np.add.at(matrix, (rows[inside], cell[inside]), 1.0 / z.size)
    return matrix


def run_length_cdf(days: int, n_reference: int = MIN_REFERENCE, k: float = K, h: float = H) -> np.ndarray:
    """The probability that the CUSUM, started at 0 with no drift, has raised an alarm by
    day 1, 2, ..., ``days`` (a reference of ``n_reference`` errors, independent days)."""
    matrix = _chain(int(n_reference), float(k), float(h))
    alive = np.zeros(_GRID)
    alive[0] = 1.0
    out = np.empty(days)
    for day in range(days):
        alive = alive @ matrix
        out[day] = 1.0 - alive.sum()
    return out


def average_run_length(n_reference: int = MIN_REFERENCE, k: float = K, h: float = H) -> float:
    """The expected number of days until a false alarm when nothing drifts:
    ``(I - P)^-1 1`` at the start state, for the chain of :func:`run_length_cdf`."""
    matrix = _chain(int(n_reference), float(k), float(h))
    return float(np.linalg.solve(np.eye(_GRID) - matrix, np.ones(_GRID))[0])


def freshest(scores: pd.DataFrame) -> pd.DataFrame:
    """One live error per model, series and target time: that of the forecast made last (the
    smallest step, then the latest origin), rows with a finite scaled error only."""
    usable = scores[np.isfinite(scores["abs_scaled_error"].to_numpy(dtype="float64"))]
    ordered = usable.sort_values(["model", "series_id", "target_time", "step", "origin"],
                                 ascending=[True, True, True, True, False], kind="stable")
    return ordered.drop_duplicates(["model", "series_id", "target_time"]).reset_index(drop=True)


def reference_errors(backtest: pd.DataFrame) -> np.ndarray:
    """The reference errors of one model on one series from its backtest rows (``step`` and
    ``abs_scaled_error``): those of the shortest steps, widened step by step until at least
    :data:`MIN_REFERENCE` are taken (all of them when there are fewer)."""
    errors = backtest["abs_scaled_error"].to_numpy(dtype="float64")
    steps = backtest["step"].to_numpy()
    finite = np.isfinite(errors)
    errors, steps = errors[finite], steps[finite]
    for step in np.unique(steps):
        if (steps <= step).sum() >= MIN_REFERENCE:
            return errors[steps <= step]
    return errors


@dataclass(frozen=True)
class Drift:
    """The drift test of every model and series: the tested errors with their CUSUM
    (:data:`PATH_COLUMNS`), the alarms (:data:`ALARM_COLUMNS`), and per model and series
    where the reference came from and how many errors it holds (``status``: ``tested`` or
    ``warming up``)."""

    path: pd.DataFrame
    alarms: pd.DataFrame
    references: pd.DataFrame


def detect_drift(live: pd.DataFrame, backtest: pd.DataFrame | None = None, *, k: float = K,
                 h: float = H) -> Drift:
    """Test every model and series of ``live`` (score rows: ``model``, ``series_id``,
    ``origin``, ``target_time``, ``step``, ``abs_scaled_error``) against its backtest errors
    in ``backtest`` (rows ``model``, ``series_id``, ``step``, ``abs_scaled_error``), or the
    fallback of the module docstring."""
    fresh = freshest(live)
    by_pair = dict(tuple(backtest.groupby(["model", "series_id"], sort=False))) if backtest is not None and len(
        backtest) else {}
    paths, alarms, references = [], [], []
    for (model, series_id), rows in fresh.groupby(["model", "series_id"], sort=True):
        rows = rows.sort_values("target_time")
        reference = reference_errors(by_pair[(model, series_id)]) if (model, series_id) in by_pair else np.empty(0)
        source = "backtest"
        if reference.size < MIN_REFERENCE:
            source = f"first {BURN_IN} live errors"
            reference = rows["abs_scaled_error"].to_numpy(dtype="float64")[:BURN_IN]
            rows = rows.iloc[BURN_IN:]
        status = "tested" if len(rows) and reference.size >= min(MIN_REFERENCE, BURN_IN) else "warming up"
        references.append({"model": model, "series_id": series_id, "reference": source,
                           "reference_errors": int(reference.size), "status": status,
                           "reference_error": float(np.median(reference)) if reference.size else np.nan})
        if status != "tested":
            continue
        errors = rows["abs_scaled_error"].to_numpy(dtype="float64")
        z = normal_scores(errors, reference)
        statistic, alarm = cusum(z, k, h)
        times = rows["target_time"].to_numpy()
        paths.append(pd.DataFrame({"model": model, "series_id": series_id, "target_time": times,
                                   "step": rows["step"].to_numpy(), "abs_scaled_error": errors, "z": z,
                                   "cusum": statistic, "alarm": alarm, "reference": source}))
        for t in np.flatnonzero(alarm):
            # the run of days that built the statistic up: back to the last day it was at 0
            # (or to the alarm before, after which it restarted)
            restarts = np.flatnonzero((statistic[:t] == 0.0) | alarm[:t])
            start = restarts[-1] + 1 if restarts.size else 0
            alarms.append({"model": model, "series_id": series_id, "alarm_time": times[t], "since": times[start],
                           "cusum": float(statistic[t]), "threshold": h,
                           "mean_error": float(errors[start:t + 1].mean()),
                           "reference_error": float(np.median(reference)), "reference": source})
    return Drift(
        pd.concat(paths, ignore_index=True) if paths else pd.DataFrame(columns=PATH_COLUMNS),
        pd.DataFrame(alarms, columns=ALARM_COLUMNS),
        pd.DataFrame(references, columns=["model", "series_id", "reference", "reference_errors", "status",
                                          "reference_error"]),
    )
