"""``tsforecast.backtest``: evaluate models side by side on the same rolling-origin folds."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsforecast.backtest.assemble import in_plan_order, tidy_forecasts
from tsforecast.backtest.chains import chain_tasks, plan_chains, series_arrays
from tsforecast.backtest.frame import FAILURE_COLUMNS, ChainOutput
from tsforecast.backtest.global_chains import global_tasks, plan_global_chains
from tsforecast.backtest.result import BASELINE, BacktestResult
from tsforecast.backtest.runner import run_chains
from tsforecast.backtest.splits import Fold, make_folds
from tsforecast.core import defaults
from tsforecast.core.errors import ConfigError
from tsforecast.core.frequency import freq_label, infer_season
from tsforecast.core.params import ENGINES, check_choice, check_coverage, check_jobs, check_seconds, check_seed
from tsforecast.core.provenance import data_hash, panel_hash, plain_parameters, versions
from tsforecast.data.panel import Panel, panel_from_long, panel_from_series, panel_from_wide
from tsforecast.evaluation.intervals import quantile_levels
from tsforecast.models.base import Forecaster
from tsforecast.models.baseline import SeasonalNaive
from tsforecast.registry import get_model

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


def _panel(
    data: object, X: pd.DataFrame | None, id_col: Hashable | None, time_col: Hashable | None,
    target_col: Hashable | None, exog_columns: Sequence[Hashable],
) -> Panel:
    if id_col is not None:
        if X is not None:
            raise ConfigError("with id_col, regressors are columns of the long table: pass exog_columns, not X.")
        return panel_from_long(data, id_col, time_col or "ds", target_col or "y", exog_columns)
    if time_col is not None or target_col is not None or exog_columns:
        raise ConfigError("time_col, target_col and exog_columns describe a long table; give id_col too.")
    if isinstance(data, pd.DataFrame):
        return panel_from_wide(data, X)
    return panel_from_series(data, X)


def backtest(
    data: pd.Series | pd.DataFrame,
    models: Sequence[ModelSpec] | Mapping[str, ModelSpec],
    *,
    horizon: int = defaults.HORIZON,
    n_windows: int = defaults.FOLDS,
    step: int | None = None,
    window_type: str = "expanding",
    window_size: int | None = None,
    refit: bool | int = defaults.REFIT,
    X: pd.DataFrame | None = None,
    coverage: float = defaults.COVERAGE,
    n_jobs: int = defaults.JOBS,
    seed: int | None = defaults.SEED,
    time_limit: float | None = None,
    progress: Callable[..., None] | None = None,
    diagnose: bool = True,
    keep_fitted: bool = False,
    id_col: Hashable | None = None,
    time_col: Hashable | None = None,
    target_col: Hashable | None = None,
    exog_columns: Sequence[Hashable] = (),
    engine: str = defaults.ENGINE,
    scheduler: str | None = None,
    block_size: int | None = None,
) -> BacktestResult:
    """Backtest ``models`` on rolling-origin folds of ``data``.

    Parameters
    ----------
    data
        A Series; a wide DataFrame whose numeric columns are each a series; or, with
        ``id_col``, a long DataFrame with one row per (series, time) (see
        :mod:`tsforecast.data.panel`). Every series is validated on its own (repairs are recorded
        in the result) and keeps its own span: folds are cut per series from its own end, and
        a series too short for them is skipped and listed in ``metadata["skipped"]``.
    models
        Registered names (``"sarima"``), Forecaster instances, or a mapping label -> either.
        The seasonal-naive baseline (label ``snaive``) is always added. On several series, a
        global model (the neural models, unless ``scope="local"``) is trained once per fold
        across all of them (:mod:`tsforecast.backtest.global_chains`); the others are fitted
        per series.
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
        milliseconds. With ``refit=False`` a fit that runs out of time is not retried at the
        later folds (they are recorded as not tried): each would take the whole limit again.
    progress
        Called as ``progress(done, total, running)`` after each chunk of work (a model on one
        series and its folds), ``running`` naming the chunk now awaited ("lstm on rail"); a
        callable of two arguments is called as ``progress(done, total)``.
    id_col, time_col, target_col, exog_columns
        For long-format ``data``: the column naming each row's series, its time, the value to
        forecast (defaults ``ds`` and ``y``, Nixtla's names) and the known-in-advance
        regressors that ride along per series.
    engine, scheduler
        ``"local"``: this machine (``n_jobs`` worker processes). ``"dask"``: a Dask cluster
        (``pip install "tsforecast[dask]"``), the work distributed by series; ``scheduler`` is
        the address of a running cluster (``"tcp://10.0.0.5:8786"``), or None for a
        LocalCluster of ``n_jobs`` worker processes started for the run. The numbers are the
        same with either engine (see :mod:`tsforecast.backtest.dask_engine`). ``time_limit`` is
        not enforced on Dask (its tasks run in worker threads, which an alarm cannot stop).
    block_size
        Chains of work (a model on one series and its folds) per task sent to a worker or a
        Dask cluster (default: about eight blocks per worker, at most 500 chains each; see
        :mod:`tsforecast.backtest.runner`). The numbers are the same for any value.
    diagnose
        Check the in-sample residuals of every model fitted at the last cutoff
        (:attr:`BacktestResult.diagnostics`); ``False`` saves that work (``auto`` does, for
        its inner validation).
    keep_fitted
        Keep every per-series model as it stood at its series' last cutoff (refitted or
        rolled forward, as ``refit`` says) in :attr:`BacktestResult.fitted`, keyed by
        (series, model); global models are not kept. ``auto`` rolls its chosen candidates
        forward from there instead of refitting them. One model per series and model stays in
        memory, so it is off by default.
    """
    started = time.perf_counter()
    check_coverage(coverage)
    if time_limit is not None:
        check_seconds(None, "time_limit", time_limit)
    if seed is not None:
        check_seed(None, "seed", seed)
    check_jobs(None, "n_jobs", n_jobs)
    _check_engine(engine, scheduler, time_limit)
    panel = _panel(data, X, id_col, time_col, target_col, exog_columns)
    series = panel.series
    labelled = _labelled_models(models, seed)
    freq = panel.freq
    season = infer_season(freq)
    # The folds need only as much history as the seasonal-naive baseline. A model that needs
    # more than a fold trains on fails on that fold with its own clear DataError (recorded,
    # and the others are compared without those points), so one history-hungry model never
    # stops the backtest of all the others. A sliding window is the user's explicit choice:
    # one too small for some model can never work for it, so that is refused up front.
    needs = {label: model.required_length(freq) for label, model in labelled.items()}
    min_train = needs[BASELINE] if window_type != "sliding" else max(needs.values())
    # folds are cut per series from its own end; a series too short for them is skipped and
    # reported (alone, it is an error), after those the panel found too short to validate
    folds: dict[str, list[Fold]] = {}
    skipped = list(panel.skipped)
    by_length: dict[int, list[Fold]] = {}  # folds depend on the length alone: cut once per length
    lengths = panel.lengths()  # without building a Series (a clean long table builds them on demand)
    for name, n in lengths.items():
        try:
            if n not in by_length:
                by_length[n] = make_folds(n, horizon, n_windows, step, window_type, window_size, min_train)
            folds[name] = by_length[n]
        except ConfigError as exc:
            if len(series) == 1 and not panel.skipped:
                raise
            skipped.append({"series": name, "observations": n, "reason": str(exc)})
    if not folds:
        raise ConfigError(f"every series is too short for {n_windows} folds of horizon {horizon}: "
                          f"{skipped[0]['reason']}")
    # global models (the neural ones by default) train once per fold across all series of a
    # panel; the others run per series
    global_labels = [label for label, m in labelled.items() if m.is_global and len(folds) > 1]
    chains = plan_chains(folds, [label for label in labelled if label not in global_labels], refit)
    settings = {"refit": refit, "coverage": coverage, "time_limit": time_limit, "diagnose": diagnose}
    # the long global fits go first, so workers start on them while the short chains fill in
    # values and stamps of each series, read once (sliced from the long table's when kept)
    arrays = series_arrays(series, folds, panel.arrays)
    tasks = global_tasks(plan_global_chains(n_windows, global_labels, refit), labelled, series, panel.X, folds,
                         **settings) if global_labels else []
    tasks += chain_tasks(chains, labelled, series, panel.X, **settings, keep_fitted=keep_fitted, arrays=arrays)
    _log.info("backtest: %d series x %d models x %d folds of horizon %d, %d tasks of work, %d series skipped",
              len(folds), len(labelled), n_windows, horizon, len(tasks), len(skipped))
    output = run_chains(tasks, n_jobs=n_jobs, limited=time_limit is not None, progress=progress,
                        engine=engine, scheduler=scheduler, block_size=block_size)
    stamps = {name: own[1] for name, own in arrays.items()}
    labels, names, levels = list(labelled), list(folds), quantile_levels(coverage)
    exogenous = None if panel.X is None else [str(c) for c in next(iter(panel.X.values())).columns]
    parameters = {
        "horizon": horizon, "n_windows": n_windows, "step": step or horizon,
        "window_type": window_type, "window_size": window_size, "refit": refit,
        "coverage": coverage, "quantiles": list(levels),
        "n_jobs": n_jobs, "seed": seed, "time_limit": time_limit, "exogenous": exogenous,
        # the models that read the regressors (the others forecast from the series alone)
        "exogenous_models": [label for label, m in labelled.items() if m.supports_exog] if exogenous else [],
        "engine": engine,
    }
    used = panel.subset(names)  # each Series built when first read (see PanelSeries)
    # the span and cutoffs from datetime64 values (no Timestamp per series or fold, one value
    # read per series); each series' folds ascend, so its first and last cutoffs bound the panel's
    tz = panel.tz
    earliest = np.array([stamps[name][fs[0].train_end - 1] for name, fs in folds.items()])
    latest = np.array([stamps[name][fs[-1].train_end - 1] for name, fs in folds.items()])
    metadata = {
        "data_hash": panel_hash(panel.series, panel.X, panel.arrays),
        "series": names,
        "start": _stamp_text(np.array([stamps[name][0] for name in names]).min(), tz),
        "end": _stamp_text(np.array([stamps[name][-1] for name in names]).max(), tz),
        "observations": int(sum(lengths[name] for name in names)),
        "frequency": freq_label(freq), "season": season,
        # one series: its cutoffs; a panel (each series cut from its own end): their span and
        # count, as each series' own are in the forecasts (10,000 series would be 50,000 stamps)
        "cutoffs": [str(used[names[0]].index[f.train_end - 1]) for f in folds[names[0]]] if len(names) == 1
        else {"earliest": _stamp_text(earliest.min(), tz), "latest": _stamp_text(latest.max(), tz),
              "per_series": sorted({len(own) for own in folds.values()})},
        "skipped": skipped,
        "duration_seconds": round(time.perf_counter() - started, 3),
        "versions": versions(),
    }
    _log.info("backtest finished in %.1f s with %d failed fits", time.perf_counter() - started,
              len(output.failures))
    # the tables are assembled from the engine's arrays when first read (BacktestResult); each
    # builder holds only its own arrays, so a table read (and the arrays it was built from
    # freed) leaves nothing of it behind in the others
    block = output.forecast_block()  # compacts the output: one block, one timing table
    timed = ChainOutput(timing_blocks=output.timing_blocks)
    diagnosed = ChainOutput(diagnostic_blocks=output.diagnostic_blocks, diagnostics=output.diagnostics,
                            residuals=output.residuals)
    failed = output.failures
    return BacktestResult(
        forecasts=lambda: tidy_forecasts(block, levels, folds, stamps, {name: own[0] for name, own in arrays.items()},
                                         season, labels),
        timings=lambda: in_plan_order(timed.timing_frame(), names, labels),
        failures=lambda: pd.DataFrame(failed, columns=FAILURE_COLUMNS),
        data=used,
        parameters=parameters,
        model_parameters={label: plain_parameters(m) for label, m in labelled.items()},
        repairs=panel.repairs,
        metadata=metadata,
        diagnostics=lambda: in_plan_order(diagnosed.diagnostic_frame(), names, labels),
        fitted=output.fitted,
    )


def _stamp_text(value: np.datetime64, tz: object) -> str:
    """A datetime64 value (UTC when ``tz`` is set) as the text of its Timestamp."""
    stamp = pd.Timestamp(value)
    return str(stamp if tz is None else stamp.tz_localize("UTC").tz_convert(tz))


def _check_engine(engine: object, scheduler: object, time_limit: float | None) -> None:
    check_choice(None, "engine", engine, ENGINES)
    if scheduler is not None and engine != "dask":
        raise ConfigError("scheduler is the address of a Dask cluster; it needs engine='dask'.")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise ConfigError(f"scheduler must be an address such as 'tcp://10.0.0.5:8786', got {scheduler!r}.")
    if engine == "dask" and time_limit is not None:
        raise ConfigError(
            "time_limit is not enforced on the Dask engine (its tasks run in worker threads, which an alarm "
            "cannot stop). Fix: drop time_limit, or use engine='local'."
        )
