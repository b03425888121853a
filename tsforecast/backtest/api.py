"""``tsforecast.backtest``: evaluate models side by side on the same rolling-origin folds."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from numbers import Real

import pandas as pd
from sklearn.base import clone

from tsforecast.backtest.engine import fold_scales, plan_chains, quantile_levels, run_chains
from tsforecast.backtest.result import BASELINE, BacktestResult
from tsforecast.backtest.splits import make_folds
from tsforecast.base import Forecaster
from tsforecast.errors import ConfigError
from tsforecast.frequency import freq_label, infer_season
from tsforecast.models.baseline import SeasonalNaive
from tsforecast.params import check_jobs, check_seconds
from tsforecast.provenance import data_hash, versions
from tsforecast.registry import get_model
from tsforecast.validation import clean_series, exog_on_index, to_frame

__all__ = ["backtest", "data_hash"]

ModelSpec = str | Forecaster
_log = logging.getLogger(__name__)


def _labelled_models(
    models: Sequence[ModelSpec] | Mapping[str, ModelSpec], seed: int | None
) -> dict[str, Forecaster]:
    items = models.items() if isinstance(models, Mapping) else ((None, m) for m in models)
    labelled: dict[str, Forecaster] = {}
    for label, spec in items:
        model = get_model(spec) if isinstance(spec, str) else spec
        if not isinstance(model, Forecaster):
            raise ConfigError(
                f"models must be registered names or Forecaster instances, got {spec!r}."
            )
        model = clone(model)
        if seed is not None and "seed" in model.get_params():
            model.set_params(seed=seed)
        model.check_params()
        name = label or model.short_name
        unique, k = name, 2
        while unique in labelled:
            unique, k = f"{name}_{k}", k + 1
        labelled[unique] = model
    if not labelled:
        raise ConfigError("no models to backtest; give at least one model name.")
    # the baseline always runs so skill scores and MASE are always available
    if BASELINE not in labelled:
        labelled = {BASELINE: SeasonalNaive(), **labelled}
    return labelled


def backtest(
    data: pd.Series | pd.DataFrame,
    models: Sequence[ModelSpec] | Mapping[str, ModelSpec],
    *,
    horizon: int = 14,
    n_windows: int = 5,
    step: int | None = None,
    window_type: str = "expanding",
    window_size: int | None = None,
    refit: bool | int = True,
    X: pd.DataFrame | None = None,
    coverage: float = 0.8,
    n_jobs: int = 1,
    seed: int | None = 0,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    diagnose: bool = True,
) -> BacktestResult:
    """Backtest ``models`` on rolling-origin folds of ``data``.

    Parameters
    ----------
    data
        A Series, or a DataFrame whose numeric columns are each backtested as a series.
        Validated as in :mod:`tsforecast.validation`; repairs are recorded in the result.
    models
        Registered names (``"sarima"``), Forecaster instances, or a mapping label -> either.
        The seasonal-naive baseline (label ``snaive``) is always added.
    horizon
        Steps forecast from each cutoff; all steps 1..horizon are scored.
    n_windows
        Number of folds (cutoffs). The last fold's forecasts end at the last observation.
    step
        Observations between consecutive cutoffs (default ``horizon``: the scored periods
        do not overlap).
    window_type, window_size
        ``"expanding"``: each fit uses all data up to its cutoff. ``"sliding"``: only the last
        ``window_size`` observations up to it.
    refit
        ``True``: fit afresh at every cutoff. ``False``: fit at the first cutoff, then roll
        forward with ``update`` (new observations, same parameters). An integer N: refit at
        every N-th cutoff and roll forward in between.
    X
        Exogenous regressors known in advance for every timestamp (training and forecast
        periods), passed to models that use them.
    coverage
        Nominal coverage of the prediction intervals that are scored.
    n_jobs
        Worker processes (-1 for all cores, -2 all but one), never more than the cores or
        the chains of work (:mod:`tsforecast.backtest.executors`). Results are identical for
        any value.
    seed
        Given to every model that has a ``seed`` parameter (``None`` leaves them alone).
    time_limit
        Seconds a single fit or update may take before it is recorded as a failure. Enforced
        with an alarm in the process that runs the fit (a worker process when called from a
        thread other than the main one); statsmodels and PyTorch fits answer it within
        milliseconds.
    progress
        Called as ``progress(done, total)`` after each chunk of work.
    diagnose
        Check the in-sample residuals of every model fitted at the last cutoff
        (:attr:`BacktestResult.diagnostics`); ``False`` saves that work (``auto`` does, for
        its inner validation).
    """
    started = time.perf_counter()
    if not isinstance(coverage, Real) or not 0 < coverage < 1:
        raise ConfigError(f"coverage must be strictly between 0 and 1, got {coverage!r}.")
    if time_limit is not None:
        check_seconds(None, "time_limit", time_limit)
    check_jobs(None, "n_jobs", n_jobs)
    if isinstance(data, pd.DataFrame):
        frame, repairs = to_frame(data)
    else:
        cleaned = clean_series(data)
        frame = cleaned.series.to_frame()
        repairs = cleaned.repairs
    series = {str(column): frame[column] for column in frame.columns}
    labelled = _labelled_models(models, seed)
    index = frame.index
    if X is not None:
        X = exog_on_index(X, index)
    season = infer_season(index.freq)
    # The folds need only as much history as the seasonal-naive baseline. A model that needs
    # more than a fold trains on fails on that fold with its own clear DataError (recorded,
    # and the others are compared without those points), so one history-hungry model never
    # stops the backtest of all the others. A sliding window is the user's explicit choice:
    # one too small for some model can never work for it, so that is refused up front.
    needs = {label: model.required_length(index.freq) for label, model in labelled.items()}
    min_train = needs[BASELINE] if window_type != "sliding" else max(needs.values())
    folds = make_folds(len(index), horizon, n_windows, step, window_type, window_size, min_train)
    chains = plan_chains(list(series), list(labelled), folds, refit)
    _log.info("backtest: %d series x %d models x %d folds of horizon %d, %d chains of work",
              len(series), len(labelled), len(folds), horizon, len(chains))
    output = run_chains(
        chains, labelled, series, X, refit=refit, coverage=coverage, time_limit=time_limit,
        n_jobs=n_jobs, progress=progress, diagnose=diagnose,
    )
    forecasts = output.forecast_frame(quantile_levels(coverage))
    scales = pd.DataFrame(
        [
            {"series": name, "cutoff": y.index[f.train_end - 1], "scale": s}
            for name, y in series.items()
            for f, s in zip(folds, fold_scales(y, folds, season), strict=True)
        ]
    )
    forecasts = forecasts.merge(scales, on=["series", "cutoff"], how="left")
    order = {label: k for k, label in enumerate(labelled)}
    forecasts = forecasts.sort_values(
        ["series", "model", "cutoff", "step"], key=lambda c: c.map(order) if c.name == "model" else c
    ).reset_index(drop=True)
    timings = pd.DataFrame(output.timings, columns=[
        "series", "model", "cutoff", "fit_time", "predict_time", "refitted", "fitted"])
    failures = pd.DataFrame(output.failures, columns=[
        "series", "model", "cutoff", "stage", "error", "message"])
    diagnostics = pd.DataFrame(output.diagnostics, columns=[
        "series", "model", "cutoff", "n", "lags", "ljung_box_p", "acf"])
    parameters = {
        "horizon": horizon, "n_windows": n_windows, "step": step or horizon,
        "window_type": window_type, "window_size": window_size, "refit": refit,
        "coverage": coverage, "quantiles": list(quantile_levels(coverage)),
        "n_jobs": n_jobs, "seed": seed, "time_limit": time_limit,
        "exogenous": None if X is None else [str(c) for c in X.columns],
    }
    metadata = {
        "data_hash": data_hash(frame, X),
        "series": list(series),
        "start": str(index[0]), "end": str(index[-1]), "observations": len(index),
        "frequency": freq_label(index.freq), "season": season,
        "cutoffs": [str(index[f.train_end - 1]) for f in folds],
        "duration_seconds": round(time.perf_counter() - started, 3),
        "versions": versions(),
    }
    _log.info("backtest finished in %.1f s with %d failed fits", time.perf_counter() - started, len(failures))
    return BacktestResult(
        forecasts=forecasts,
        timings=timings,
        failures=failures,
        data=series,
        parameters=parameters,
        model_parameters={label: _plain_params(m) for label, m in labelled.items()},
        repairs=repairs,
        metadata=metadata,
        diagnostics=diagnostics,
    )


def _plain_params(model: Forecaster) -> dict:
    """A model's parameters as JSON-friendly values (callables by name)."""
    out = {"class": type(model).__name__}
    for key, value in model.get_params().items():
        out[key] = value if isinstance(value, (int, float, str, bool, type(None))) else (
            getattr(value, "__name__", None) or repr(value)
        )
    return out

