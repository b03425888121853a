"""What a backtest does at one fold, whichever way its work is cut (per series or global):
decide whether to refit, fit or roll forward under a time limit with the fit's notes
recorded, forecast the fold, record a failure, diagnose the last fit, and each fold's MASE
scale.

:mod:`tsforecast.backtest.chains` (one model per series) and
:mod:`tsforecast.backtest.global_chains` (one model across every series) both walk their
folds with these pieces, so the refit policy, the time limit, how warnings become notes and
what a failure row holds are written once.
"""

from __future__ import annotations

import contextlib
import signal
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsforecast.backtest.frame import ChainOutput, FoldForecast, utc_values
from tsforecast.backtest.splits import Fold
from tsforecast.core.errors import FitTimeoutError, FitWarning
from tsforecast.evaluation.metrics import seasonal_naive_scales
from tsforecast.models.base import Forecaster

__all__ = [
    "TIMEOUT_ERROR", "FoldFit", "fold_groups", "must_refit", "fit_time_limit", "timed_fit", "timed_out",
    "failure", "fit_notes", "forecast_fold", "diagnose_fit", "describe_fit", "fold_scales",
]

# the ``error`` a failure row carries when a fit ran out of its time limit
TIMEOUT_ERROR = FitTimeoutError.__name__


def fold_groups(n_folds: int, refit: bool | int, refit_size: int = 1) -> list[range]:
    """Fold numbers ``0 .. n_folds - 1`` cut into the consecutive groups one model instance
    handles: ``refit_size`` folds per group with ``refit=True``, all of them with ``False``,
    N with an integer N (refit at each group's start, roll forward within it)."""
    size = refit_size if refit is True else (n_folds if refit is False else int(refit))
    return [range(i, min(i + size, n_folds)) for i in range(0, n_folds, size)]


def must_refit(refit: bool | int, fitted: bool) -> bool:
    """Whether a fold of a chain fits afresh: every fold with ``refit=True``; otherwise only
    where nothing is fitted yet (the chain's start, or after a failure), since ``fold_groups``
    starts a new chain where ``refit=N`` refits. ``False`` means: roll forward with ``update``."""
    return refit is True or not fitted


@contextlib.contextmanager
def fit_time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with SIGALRM. The caller runs it in a main thread
    (:func:`~tsforecast.backtest.runner.run_chains` moves the work into a worker process
    otherwise). The alarm is delivered when control returns to Python, which statsmodels' and
    PyTorch's fits do many times a second."""
    if seconds is None:
        yield
        return

    def expire(signum, frame):
        raise FitTimeoutError(f"{what} exceeded the time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class FoldFit:
    """What :func:`timed_fit` measured once its block ended without an error: the fit's
    ``notes`` (:func:`fit_notes`) and its wall-clock ``seconds``."""

    notes: str = ""
    seconds: float = 0.0


@contextlib.contextmanager
def timed_fit(time_limit: float | None, what: str) -> Iterator[FoldFit]:
    """The block that fits (or rolls forward) the model of one fold: under ``time_limit``
    (:func:`fit_time_limit`), its warnings caught so that a fit's own notes (an optimiser that
    stopped early) go with its fold into the result instead of onto a terminal once per
    worker (other warnings pass through), and timed. The yielded :class:`FoldFit` is filled
    in when the block ends; an error in the block propagates and nothing is recorded."""
    record = FoldFit()
    start = time.perf_counter()
    with fit_time_limit(time_limit, what), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield record
    record.notes = fit_notes(caught)
    record.seconds = time.perf_counter() - start


def timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised from, the time limit's interruption (a model may wrap
    what interrupted its fit in its own error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, FitTimeoutError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def failure(record: dict, stage: str, exc: BaseException) -> dict:
    """A failure row: ``record`` (series, model, cutoff), the stage, the error's type and
    the first line of its message."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return {**record, "stage": stage, "error": type(exc).__name__, "message": message}


def fit_notes(caught: list[warnings.WarningMessage]) -> str:
    """The FitWarnings of one fit as one text (each message once); any other warning is
    issued again as it was."""
    notes = []
    for w in caught:
        if issubclass(w.category, FitWarning):
            text = str(w.message)
            if text not in notes:
                notes.append(text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return "; ".join(notes)


def forecast_fold(
    fitted: Forecaster, series: str, label: str, y: pd.Series, X: pd.DataFrame | None, fold: Fold,
    columns: tuple[tuple[float, ...], int, int],
) -> FoldForecast:
    """One fold's forecasts from a model fitted up to its cutoff (``columns``: see
    :func:`~tsforecast.evaluation.intervals.interval_columns`; ``X``: the regressors, when
    the model uses them)."""
    levels, lower_at, upper_at = columns
    test_index = y.index[fold.train_end : fold.test_end]
    future_X = None if X is None else X.loc[test_index]
    point = fitted.predict(fold.horizon, future_X)
    quantiles = fitted.predict_quantiles(fold.horizon, levels, future_X).to_numpy()
    return FoldForecast(
        series, label, y.index[fold.train_end - 1], utc_values(test_index),
        y.to_numpy()[fold.train_end : fold.test_end], point.to_numpy(),
        quantiles[:, lower_at], quantiles[:, upper_at], quantiles, y.index.tz,
    )


def diagnose_fit(fitted: Forecaster, series: str, label: str, cutoff: pd.Timestamp, out: ChainOutput) -> None:
    """Queue the in-sample residuals of the model fitted at the last cutoff for diagnosis
    (``out.residuals``; :meth:`ChainOutput.diagnose` tests every queued series at once), or
    record why there are none (no in-sample forecasts)."""
    try:
        out.residuals.append((series, label, cutoff, int(fitted.season_),
                              fitted.residuals().to_numpy(dtype="float64")))
    except Exception as exc:  # noqa: BLE001 - a diagnostic must never fail the backtest
        out.diagnostics.append({"series": series, "model": label, "cutoff": cutoff, "n": 0, "lags": 0,
                                "ljung_box_p": float("nan"), "acf": [], "error": f"{type(exc).__name__}: {exc}"})


def describe_fit(model: Forecaster) -> str:
    """What a fitted model chose (orders, an ETS form, auto's pick), if it says, with the
    estimator that fitted it where a model has a choice (``by css-ml``)."""
    try:
        label = str(getattr(model, "label_", "") or "")
    except AttributeError:
        return ""
    estimator = getattr(model, "estimator_", None)
    return f"{label} by {estimator}" if label and estimator else label


def fold_scales(y: pd.Series, folds: Sequence[Fold], season: int) -> np.ndarray:
    """MASE denominators: each fold's in-sample seasonal-naive MAE on its training window
    (:func:`~tsforecast.evaluation.metrics.seasonal_naive_scales`, NaN when the window holds
    no more than a season)."""
    starts = np.array([f.train_start for f in folds])
    ends = np.array([f.train_end for f in folds])
    return seasonal_naive_scales(y.to_numpy(), starts, ends, season)
