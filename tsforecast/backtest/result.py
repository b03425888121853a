"""The result of a backtest: a tidy frame of forecasts and everything derived from it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tsforecast.atomic import atomic_write
from tsforecast.metrics import METRICS, mae
from tsforecast.significance import diebold_mariano

__all__ = ["BacktestResult", "BASELINE"]

#: the label of the seasonal-naive baseline that every backtest runs
BASELINE = "snaive"
_KEYS = ["series", "cutoff", "step"]


@dataclass
class BacktestResult:
    """Everything a backtest produced.

    ``forecasts`` is tidy: one row per (series, model, cutoff, step) with ``timestamp``,
    ``actual``, ``forecast``, ``lower``, ``upper`` (the ``coverage`` prediction interval) and
    ``scale`` (the fold's in-sample seasonal-naive MAE, the MASE denominator). ``timings``
    holds fit and predict seconds per fold; ``failures`` every fit/update/predict that raised.
    """

    forecasts: pd.DataFrame
    timings: pd.DataFrame
    failures: pd.DataFrame
    data: dict[str, pd.Series]
    parameters: dict
    model_parameters: dict[str, dict]
    repairs: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        return float(self.parameters["coverage"])

    @property
    def models(self) -> list[str]:
        """Model labels in the order they were given (the baseline first)."""
        return list(self.model_parameters)

    # --------------------------------------------------------------- metrics
    def _metric_row(self, group: pd.DataFrame) -> dict[str, float]:
        true, pred = group["actual"].to_numpy(), group["forecast"].to_numpy()
        row = {
            name: METRICS[name](true, pred, lower=group["lower"].to_numpy(),
                                upper=group["upper"].to_numpy(), coverage=self.coverage)
            for name in ("mae", "rmse", "mape", "smape", "coverage", "winkler")
        }
        # MASE with a per-fold scale: the MAE of errors divided by each fold's own scale
        scale = group["scale"].to_numpy()
        row["mase"] = mae(true / scale, pred / scale) if np.all(scale > 0) else float("nan")
        row["n"] = len(group)
        return row

    def leaderboard(self, by: str = "model") -> pd.DataFrame:
        """Metrics per ``model`` (default), or per model and ``series``, ``step`` or ``fold``.

        The per-model table is sorted by MAE and adds: ``skill`` (1 - MAE / seasonal-naive
        MAE on the same points), mean ``fit_time`` in seconds, failures, and Diebold-Mariano
        p-values against the best model and against the baseline.
        """
        groups = {"model": ["model"], "series": ["model", "series"], "step": ["model", "step"],
                  "fold": ["model", "series", "cutoff"]}
        if by not in groups:
            raise ValueError(f"by must be one of {', '.join(groups)}, got {by!r}.")
        columns = ["mae", "rmse", "mape", "smape", "mase", "coverage", "winkler", "n"]
        if self.forecasts.empty:
            return pd.DataFrame(columns=groups[by] + columns)
        table = pd.DataFrame(
            [
                {**dict(zip(groups[by], key if isinstance(key, tuple) else (key,), strict=True)),
                 **self._metric_row(group)}
                for key, group in self.forecasts.groupby(groups[by], sort=False)
            ]
        )
        if by != "model":
            return table
        table = table.set_index("model")
        baseline_mae = table["mae"].get(BASELINE, np.nan)
        table["skill"] = 1 - table["mae"] / baseline_mae
        table["fit_time"] = self.timings.groupby("model")["fit_time"].mean().reindex(table.index)
        table["failures"] = (
            self.failures.groupby("model").size().reindex(table.index).fillna(0).astype(int)
            if not self.failures.empty else 0
        )
        significance = self.significance()
        table["p_vs_best"] = significance["p_vs_best"].reindex(table.index)
        table["p_vs_baseline"] = significance["p_vs_baseline"].reindex(table.index)
        return table.sort_values("mae")

    def _errors(self) -> pd.DataFrame:
        wide = self.forecasts.assign(error=self.forecasts["forecast"] - self.forecasts["actual"])
        return wide.pivot_table(index=_KEYS, columns="model", values="error", sort=True)

    def significance(self) -> pd.DataFrame:
        """Diebold-Mariano tests (absolute-error loss) of each model against the model with the
        lowest MAE and against the seasonal-naive baseline, on the points both forecast."""
        errors = self._errors()
        horizon = int(self.parameters["horizon"])
        maes = errors.abs().mean()
        best = maes.idxmin() if len(maes) else None
        rows = []
        for model in errors.columns:
            row = {"model": model}
            for name, other in (("best", best), ("baseline", BASELINE)):
                if other is None or other not in errors.columns or other == model:
                    row[f"p_vs_{name}"] = np.nan
                    continue
                pair = errors[[model, other]].dropna()
                test = diebold_mariano(pair[model], pair[other], horizon=horizon, power=1)
                row[f"p_vs_{name}"] = test.p_value
            rows.append(row)
        return pd.DataFrame(rows).set_index("model") if rows else pd.DataFrame(
            columns=["p_vs_best", "p_vs_baseline"])

    def best_model(self) -> str | None:
        """The label with the lowest MAE (the baseline included)."""
        board = self.leaderboard()
        return None if board.empty else str(board.index[0])

    # --------------------------------------------------------------- export
    def to_csv(self, folder: str | os.PathLike[str], stem: str = "backtest") -> list[Path]:
        """Write ``<stem>_forecasts.csv``, ``<stem>_leaderboard.csv`` and, if any,
        ``<stem>_failures.csv`` into ``folder``; returns the paths."""
        folder = Path(folder)
        written = []
        parts = {"forecasts": self.forecasts, "leaderboard": self.leaderboard().reset_index()}
        if not self.failures.empty:
            parts["failures"] = self.failures
        for name, frame in parts.items():
            path = folder / f"{stem}_{name}.csv"
            atomic_write(path, frame.to_csv(index=False))
            written.append(path)
        return written

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the leaderboard, failures, parameters and metadata as JSON."""
        path = Path(path)
        board = self.leaderboard().reset_index()
        payload = {
            "metadata": self.metadata,
            "parameters": self.parameters,
            "model_parameters": self.model_parameters,
            "repairs": self.repairs,
            "leaderboard": json.loads(board.to_json(orient="records")),
            "failures": json.loads(self.failures.to_json(orient="records", date_format="iso")),
        }
        atomic_write(path, json.dumps(payload, indent=2, default=str))
        return path

    def to_html(self, path: str | os.PathLike[str]) -> Path:
        """Write the self-contained HTML report (see :mod:`tsforecast.report`)."""
        from tsforecast.report import render_report

        path = Path(path)
        atomic_write(path, render_report(self))
        return path
