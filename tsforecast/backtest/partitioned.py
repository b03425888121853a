"""Backtests of panels too large for one process: partition by partition, summaries streamed.

``backtest(...)`` returns every forecast of every series, which is what a report needs and
what a panel of 100,000 series cannot fit comfortably in one client's memory. Here the panel
arrives as partitions (a function that loads partition ``i``: a slice of a warehouse table, a
file of a partitioned dataset, a generator), each partition is backtested where it is loaded
(a Dask worker, or a local worker process) with the ordinary engine, its forecasts are
written next to the others when an ``output`` directory is given (``part-00042.parquet``),
and only a small summary travels back: per model, the MASE of each series (8 bytes per series
and model) and counts. The client keeps those and at most a few partitions in flight
(:func:`~tsforecast.backtest.dask_engine.run_tasks_dask`), so its memory does not grow with the
panel's rows; the partitions' numbers are those of ``backtest`` on each of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tsforecast.backtest.api import ModelSpec, backtest
from tsforecast.backtest.executors import run_tasks, worker_count
from tsforecast.backtest.result import BASELINE
from tsforecast.backtest.runner import progress_reporter
from tsforecast.core.errors import ConfigError
from tsforecast.core.params import ENGINES, check_choice

__all__ = ["PartitionSummary", "PartitionedResult", "backtest_partitioned"]


@dataclass(frozen=True)
class PartitionSummary:
    """What one partition's backtest sends back: per model the MASE of each of its series
    (``mase``, indexed by series id), its failed fits, its series and skipped series, and the
    file its forecasts went to (or None)."""

    partition: int
    mase: dict[str, pd.Series]
    failures: dict[str, int]
    series: int
    skipped: int
    rows: int
    file: str | None


@dataclass
class PartitionedResult:
    """The summary of a partitioned backtest: ``leaderboard`` per model (``series`` scored,
    ``mean_mase``, ``median_mase``, ``beats_baseline``: the share of series whose MASE is below
    the seasonal-naive baseline's, ``failures``), the number of ``partitions``, ``series``,
    ``skipped`` series and forecast ``rows``, and the forecast ``files`` written."""

    leaderboard: pd.DataFrame
    partitions: int
    series: int
    skipped: int
    rows: int
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class _PartitionTask:
    load: Callable[[int], pd.DataFrame]
    partition: int
    models: Sequence[ModelSpec] | Mapping[str, ModelSpec]
    settings: Mapping[str, object]
    output: str | None

    @property
    def description(self) -> str:
        return f"partition {self.partition}"


def _run_partition(task: _PartitionTask) -> PartitionSummary:
    """Load one partition, backtest it here with one job, write its forecasts, summarise."""
    result = backtest(task.load(task.partition), task.models, n_jobs=1, **task.settings)
    file = None
    if task.output is not None:
        file = str(Path(task.output) / f"part-{task.partition:05d}.parquet")
        result.forecasts.to_parquet(file, index=False)
    scores = result.series_scores()
    # by series id: a model without a score for some series (its fits failed) is then still
    # compared with the baseline series by series, never by position
    mase = {str(model): group.set_index("series")["mase"].astype("float64")
            for model, group in scores.groupby("model", sort=False)}
    failures = result.failures.groupby("model").size().to_dict() if not result.failures.empty else {}
    return PartitionSummary(task.partition, mase, {str(k): int(v) for k, v in failures.items()},
                            len(result.data), len(result.metadata.get("skipped", [])), len(result.forecasts), file)


def backtest_partitioned(
    load: Callable[[int], pd.DataFrame],
    partitions: int,
    models: Sequence[ModelSpec] | Mapping[str, ModelSpec],
    *,
    settings: Mapping[str, object] | None = None,
    output: str | Path | None = None,
    engine: str = "dask",
    scheduler: str | None = None,
    n_jobs: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> PartitionedResult:
    """Backtest ``models`` on every partition ``load(0) .. load(partitions - 1)`` (each a
    panel :func:`~tsforecast.backtest.backtest` takes; series ids must not repeat across
    partitions), with the keyword arguments ``settings`` of ``backtest`` (``horizon``,
    ``n_windows``, ``id_col``, ...; not ``n_jobs``, ``engine`` or ``scheduler``, which are
    this function's). ``output``: a directory for each partition's forecasts as
    ``part-NNNNN.parquet``. ``engine="dask"`` runs the partitions on the cluster at
    ``scheduler`` (or a LocalCluster of ``n_jobs`` workers), ``"local"`` in ``n_jobs`` worker
    processes. ``progress(done, total, running)`` hears each partition as it is merged.

    ``load`` runs where the partition is backtested, so on Dask it must be importable there
    (or defined in the calling script: it travels pickled, as the models do)."""
    check_choice(None, "engine", engine, ENGINES)
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ConfigError(f"partitions must be a positive integer, got {partitions!r}.")
    settings = dict(settings or {})
    clash = sorted({"n_jobs", "engine", "scheduler"} & set(settings))
    if clash:
        raise ConfigError(f"settings may not hold {', '.join(clash)}: give them to backtest_partitioned itself.")
    if output is not None:
        Path(output).mkdir(parents=True, exist_ok=True)
    tasks = [_PartitionTask(load, k, models, settings, None if output is None else str(output))
             for k in range(partitions)]
    mase: dict[str, list[pd.Series]] = {}
    failures: dict[str, int] = {}
    series = skipped = rows = 0
    files: list[Path] = []
    report = progress_reporter(progress)
    with contextlib.ExitStack() as stack:
        if engine == "dask":
            from tsforecast.backtest.dask_engine import dask_client, run_tasks_dask

            client = stack.enter_context(dask_client(scheduler, worker_count(n_jobs, partitions)))
            results = run_tasks_dask(_run_partition, tasks, client)
        else:
            results = run_tasks(_run_partition, tasks, worker_count(n_jobs, partitions))
        for done, summary in enumerate(results, start=1):
            for model, values in summary.mase.items():
                mase.setdefault(model, []).append(values)
            for model, count in summary.failures.items():
                failures[model] = failures.get(model, 0) + count
            series, skipped, rows = series + summary.series, skipped + summary.skipped, rows + summary.rows
            if summary.file is not None:
                files.append(Path(summary.file))
            report(done, partitions, tasks[done].description if done < partitions else "")
    joined = {model: pd.concat(parts) for model, parts in mase.items()}
    baseline = joined.get(BASELINE)
    board = pd.DataFrame({
        "series": [int(np.isfinite(v).sum()) for v in joined.values()],
        "mean_mase": [float(np.nanmean(v)) if np.isfinite(v).any() else np.nan for v in joined.values()],
        "median_mase": [float(np.nanmedian(v)) if np.isfinite(v).any() else np.nan for v in joined.values()],
        "beats_baseline": [_share_below(v, baseline) for v in joined.values()],
        "failures": [failures.get(model, 0) for model in joined],
    }, index=pd.Index(list(joined), name="model"))
    return PartitionedResult(board.sort_values("mean_mase"), partitions, series, skipped, rows, files)


def _share_below(values: pd.Series, baseline: pd.Series | None) -> float:
    """The share of the series scored by both whose MASE is below the baseline's, matched by
    series id (NaN without a baseline or a series in common)."""
    if baseline is None:
        return np.nan
    both = pd.concat([values.rename("model"), baseline.rename("baseline")], axis=1, join="inner").dropna()
    return float((both["model"] < both["baseline"]).mean()) if len(both) else np.nan
