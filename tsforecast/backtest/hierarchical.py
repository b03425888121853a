"""Backtest a hierarchy: every series of it forecast, and the forecasts reconciled per fold.

The aggregate series are built from the bottom ones (:mod:`tsforecast.hierarchy`), every
series is backtested with the public :func:`~tsforecast.backtest.api.backtest`, and at each
cutoff each model's base forecasts of all series are reconciled by every method asked for
(:mod:`tsforecast.hierarchy.reconcile`). A reconciled forecast is one more model in the
result, labelled ``<model>/<method>`` (``ets/mint_shrink``): the leaderboard, the report and
the CSV tables compare it with its base model on the same points, and
:func:`level_accuracy` gives MASE per level.

Each fold is its own backtest of one window, on the history up to that fold's last forecast
date, keeping the fitted models (``keep_fitted``): MinT's shrinkage covariance needs every
series' in-sample one-step residuals *at that cutoff*, and reading them from a model fitted
later would leak the future into the weights. Every fold is therefore a fresh fit (the
``refit=True`` of a plain backtest, the same forecasts). Where a model has no forecast for
some series at a cutoff (it failed there), its forecasts at that cutoff are not reconciled;
where it keeps no fitted models (a global network), ``mint_shrink`` is skipped for it and its
reconciled quantiles take the base errors as independent. The two top-down methods give point
forecasts only: their quantiles and intervals are left empty (NaN), see
:data:`~tsforecast.hierarchy.POINT_ONLY_METHODS`. All three are listed in
``metadata["hierarchy"]["not_reconciled"]``.

On Dask (``engine="dask"``) without a ``scheduler``, one LocalCluster serves every fold's
backtest: it starts once, before the first fold, and stops after the last.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from tsforecast.backtest.api import ModelSpec, backtest
from tsforecast.backtest.frame import quantile_column
from tsforecast.backtest.result import BASELINE, BacktestResult
from tsforecast.backtest.runner import progress_reporter
from tsforecast.backtest.splits import make_folds
from tsforecast.core import defaults
from tsforecast.core.errors import ConfigError, DataError
from tsforecast.evaluation.intervals import interval_bounds, normal_z
from tsforecast.evaluation.metrics import scaled_errors
from tsforecast.hierarchy import (
    METHODS,
    POINT_ONLY_METHODS,
    RESIDUAL_METHODS,
    Hierarchy,
    aggregate,
    aggregate_wide,
    check_methods,
    projection,
    reconcile_quantiles,
    residual_correlation,
)

__all__ = ["backtest_hierarchy", "level_accuracy", "SEPARATOR"]

#: between a base model's label and the reconciliation method's in a reconciled label
SEPARATOR = "/"


def backtest_hierarchy(
    data: pd.DataFrame | Hierarchy,
    models: Sequence[ModelSpec] | Mapping[str, ModelSpec],
    hierarchy: Sequence[Hashable] | None = None,
    *,
    methods: Sequence[str] = METHODS,
    id_col: Hashable | None = None,
    time_col: Hashable = "ds",
    target_col: Hashable = "y",
    missing: str = "error",
    horizon: int = defaults.HORIZON,
    n_windows: int = defaults.FOLDS,
    step: int | None = None,
    window_type: str = "expanding",
    window_size: int | None = None,
    coverage: float = defaults.COVERAGE,
    n_jobs: int = defaults.JOBS,
    seed: int | None = defaults.SEED,
    time_limit: float | None = None,
    progress: Callable[..., None] | None = None,
    diagnose: bool = True,
    engine: str = defaults.ENGINE,
    scheduler: str | None = None,
) -> BacktestResult:
    """Backtest ``models`` on every series of a hierarchy and reconcile their forecasts.

    ``data`` is a long table grouped by the ``hierarchy`` columns (top-down, e.g.
    ``["region", "store"]``; ``id_col``, ``time_col``, ``target_col`` as in
    :func:`~tsforecast.hierarchy.aggregate`, which also states the ``missing`` rule), or,
    without ``hierarchy``, a wide frame whose columns add up to a total (rail + bus), or a
    :class:`~tsforecast.hierarchy.Hierarchy` already built. ``methods``: the reconciliations
    (:data:`~tsforecast.hierarchy.METHODS`). The other parameters are
    :func:`~tsforecast.backtest.api.backtest`'s; every fold is refitted (see the module
    docstring). Returns the backtest's result with the reconciled models added and
    ``metadata["hierarchy"]`` (levels and their series, methods, what was not reconciled).
    """
    started = time.perf_counter()
    chosen = check_methods(methods)
    h = _hierarchy(data, hierarchy, id_col, time_col, target_col, missing)
    values = h.values
    # the cutoffs a plain backtest of these series would use (all share one span)
    folds = make_folds(len(values), horizon, n_windows, step, window_type, window_size)
    parts: list[BacktestResult] = []
    with contextlib.ExitStack() as stack:
        if engine == "dask" and scheduler is None:
            # one cluster for every fold: each fold's backtest connects to it as to a scheduler
            # the user gave, instead of starting (and stopping) a LocalCluster of its own
            from tsforecast.backtest.dask_engine import close_dask_clients, dask_client
            from tsforecast.backtest.executors import worker_count

            client = stack.enter_context(dask_client(None, worker_count(n_jobs, len(h.ids) * max(1, len(models)))))
            scheduler = client.scheduler_info()["address"]
            # the folds' runs keep a client for this address: closed before the cluster stops
            stack.callback(close_dask_clients, scheduler)
        for k, fold in enumerate(folds):
            last = k == len(folds) - 1
            parts.append(backtest(
                values.iloc[: fold.train_end + horizon], models, horizon=horizon, n_windows=1,
                window_type=window_type, window_size=window_size, refit=True, coverage=coverage, n_jobs=n_jobs,
                seed=seed, time_limit=time_limit, progress=_fold_progress(progress, k, len(folds)),
                diagnose=diagnose and last, keep_fitted=True, engine=engine, scheduler=scheduler))
    skipped = sorted({s["series"] for part in parts for s in part.metadata.get("skipped", [])})
    if skipped:
        raise DataError(f"series {', '.join(skipped)} of the hierarchy are too short to backtest; every level "
                        "needs every series. Fix: fewer folds or a shorter horizon.")
    labels = [m for m in parts[-1].models if m != BASELINE] or [BASELINE]
    reconciled, not_reconciled = [], []
    for label in labels:
        for method in (m for m in chosen if m in POINT_ONLY_METHODS):
            not_reconciled.append({
                "model": label, "cutoff": "every cutoff", "methods": f"{method} quantiles",
                "reason": "point forecasts only: a top-down split of the total's distribution leaves out the error "
                          "of the split, so its intervals would cover far less than they claim"})
    for part in parts:
        rows, missed = _reconcile_fold(h, part, labels, chosen, coverage)
        reconciled += rows
        not_reconciled += missed
    return _assemble(h, parts, reconciled, labels, chosen, not_reconciled, step or horizon, started)


def _hierarchy(data: object, hierarchy: Sequence[Hashable] | None, id_col: Hashable | None,
               time_col: Hashable, target_col: Hashable, missing: str) -> Hierarchy:
    if isinstance(data, Hierarchy):
        if hierarchy is not None:
            raise ConfigError("data is already a Hierarchy; leave hierarchy out.")
        return data
    if hierarchy is None:
        return aggregate_wide(data, missing=missing)
    return aggregate(data, hierarchy, id_column=id_col, time_column=time_col, target_column=target_col,
                     missing=missing)


def _fold_progress(progress: Callable[..., None] | None, k: int, n: int) -> Callable[..., None] | None:
    """The caller's progress, counted over all folds' backtests (called as the plain backtest
    calls it: :func:`~tsforecast.backtest.runner.progress_reporter`)."""
    if progress is None:
        return None
    report = progress_reporter(progress)

    def update(done: int, total: int, running: str = "") -> None:
        report(k * total + done, n * total, running)

    return update


def _residuals(h: Hierarchy, part: BacktestResult, label: str) -> np.ndarray | None:
    """The in-sample one-step residuals (time x series, rows with any NaN dropped) of the
    models fitted at this fold's cutoff; None where some series kept no fitted model."""
    columns = []
    for name in h.ids:
        model = part.fitted.get((name, label))
        if model is None:
            return None
        columns.append(model.residuals().rename(name))
    table = pd.concat(columns, axis=1).dropna()
    return table.to_numpy(dtype="float64") if len(table) >= 2 else None


def _reconcile_fold(h: Hierarchy, part: BacktestResult, labels: list[str], methods: list[str],
                    coverage: float) -> tuple[list[pd.DataFrame], list[dict]]:
    """The reconciled forecast rows of one fold's backtest, and what could not be reconciled."""
    rows, missed = [], []
    forecasts = part.forecasts
    levels = part.quantile_levels
    lower, upper = interval_bounds(coverage)
    index = {name: i for i, name in enumerate(h.ids)}
    # the history the models saw (validated, so any repaired gap is filled as they had it)
    seen = pd.DataFrame({name: part.data[name] for name in h.ids})
    history = seen.iloc[: len(seen) - int(part.parameters["horizon"])].to_numpy(dtype="float64")
    for label in labels:
        base_rows = forecasts[forecasts["model"] == label]
        cutoff = base_rows["cutoff"].iloc[0] if len(base_rows) else None
        base = base_rows.pivot(index="series", columns="step", values="forecast").reindex(h.ids)
        if base.isna().to_numpy().any() or base.empty:
            absent = [name for name in h.ids if name not in set(base_rows["series"])] or ["(some steps)"]
            missed.append({"model": label, "cutoff": str(cutoff), "methods": "all",
                           "reason": f"no forecast for {', '.join(absent[:5])}"})
            continue
        spread = base_rows.pivot(index="series", columns="step", values="upper").reindex(h.ids) - \
            base_rows.pivot(index="series", columns="step", values="lower").reindex(h.ids)
        sigma = spread.to_numpy(dtype="float64") / (2 * normal_z(coverage))
        residuals = _residuals(h, part, label)
        correlation = residual_correlation(residuals, len(h.ids))
        if residuals is None:
            missed.append({"model": label, "cutoff": str(cutoff), "methods": "quantiles",
                           "reason": "no in-sample residuals (no fitted model kept): base errors taken as independent"})
        y_hat = base.to_numpy(dtype="float64")
        order = np.lexsort((base_rows["step"].to_numpy(), base_rows["series"].map(index).to_numpy()))
        template = base_rows.iloc[order].reset_index(drop=True)  # series in h.ids order, then step
        for method in methods:
            if method in RESIDUAL_METHODS and residuals is None:
                missed.append({"model": label, "cutoff": str(cutoff), "methods": method,
                               "reason": "no in-sample residuals (no fitted model kept)"})
                continue
            P = projection(h, method, y_hat, history=history, residuals=residuals)
            mean, quantiles = reconcile_quantiles(h, P, y_hat, sigma, levels, correlation)
            if method in POINT_ONLY_METHODS:
                quantiles = np.full_like(quantiles, np.nan)  # see POINT_ONLY_METHODS: not given
            out = template.copy()
            out["model"] = f"{label}{SEPARATOR}{method}"
            out["forecast"] = mean.reshape(-1)
            for j, level in enumerate(levels):
                out[quantile_column(level)] = quantiles[:, :, j].reshape(-1)
            out["lower"] = out[quantile_column(lower)]
            out["upper"] = out[quantile_column(upper)]
            rows.append(out)
    return rows, missed


def _assemble(h: Hierarchy, parts: list[BacktestResult], reconciled: list[pd.DataFrame], labels: list[str],
              methods: list[str], not_reconciled: list[dict], step: int, started: float) -> BacktestResult:
    """One result from the folds' backtests and the reconciled rows."""
    last = parts[-1]
    names = [*last.models, *(f"{label}{SEPARATOR}{m}" for label in labels for m in methods)]
    order = {name: k for k, name in enumerate(names)}
    forecasts = pd.concat([p.forecasts for p in parts] + reconciled, ignore_index=True)
    forecasts = forecasts.sort_values(
        ["series", "model", "cutoff", "step"], key=lambda c: c.map(order) if c.name == "model" else c
    ).reset_index(drop=True)
    model_parameters = dict(last.model_parameters)
    for label in labels:
        for method in methods:
            model_parameters[f"{label}{SEPARATOR}{method}"] = {"base": label, "reconciliation": method}
    # every series of a hierarchy shares the cutoffs: recorded as a plain panel backtest records them
    cutoffs = [str(p.forecasts["cutoff"].min()) for p in parts if not p.forecasts.empty]
    cutoffs = {"earliest": min(cutoffs), "latest": max(cutoffs), "per_series": [len(cutoffs)]} if cutoffs else []
    parameters = {**last.parameters, "n_windows": len(parts), "refit": True, "step": step}
    metadata = {
        **last.metadata, "cutoffs": cutoffs,
        "hierarchy": {
            "levels": {name: [h.ids[i] for i in rows] for name, rows in h.levels.items()},
            "methods": methods, "bottom_series": h.n_bottom, "not_reconciled": not_reconciled,
        },
        "duration_seconds": round(time.perf_counter() - started, 3),
    }
    repairs = list(dict.fromkeys(r for p in parts for r in p.repairs))
    return BacktestResult(
        forecasts=forecasts,
        timings=pd.concat([p.timings for p in parts], ignore_index=True),
        failures=pd.concat([p.failures for p in parts], ignore_index=True),
        data=last.data, parameters=parameters, model_parameters=model_parameters, repairs=repairs,
        metadata=metadata, diagnostics=last.diagnostics,
    )


def level_accuracy(result: BacktestResult) -> pd.DataFrame:
    """MASE per level of a hierarchical backtest (rows: levels top-down; columns: models in
    the result's order), over the points every model forecast. Each point's error is scaled by
    its own series' fold scale, so levels of very different sizes are comparable. Empty when
    the result is not a hierarchy's."""
    levels = result.metadata.get("hierarchy", {}).get("levels")
    scored = result.scored()
    if not levels or scored.empty:
        return pd.DataFrame()
    level_of = {name: level for level, names in levels.items() for name in names}
    errors = scaled_errors(scored["actual"], scored["forecast"], scored["scale"])
    table = pd.DataFrame({"level": scored["series"].map(level_of).to_numpy(), "model": scored["model"].to_numpy(),
                          "error": errors})
    mase = table.groupby(["level", "model"], sort=False)["error"].mean().unstack("model")
    return mase.reindex(index=list(levels), columns=[m for m in result.models if m in mase.columns])
