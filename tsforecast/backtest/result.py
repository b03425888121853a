"""The result of a backtest: a tidy frame of forecasts and everything derived from it.

Every model is scored on the same points: a (series, cutoff, step) counts only where every
model that produced forecasts produced one there. A model that failed on some folds therefore
shrinks the comparison for all models instead of being scored on easier points than the
baseline; the leaderboard's ``n`` says how many points were scored and ``failures`` why some
were not. A model that failed everywhere is listed with no scores.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tsforecast.backtest.frame import quantile_column
from tsforecast.backtest.result_tables import ResultTables
from tsforecast.core.files import atomic_write, spreadsheet_safe
from tsforecast.evaluation.intervals import central_coverage, interval_bounds
from tsforecast.evaluation.metrics import METRICS, interval_coverage, mase_with_scale, scaled_errors
from tsforecast.evaluation.scoring import crps_from_quantiles, pinball_loss
from tsforecast.evaluation.significance import loss_differential_test, origin_lags

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BacktestResult", "BASELINE", "SIGNIFICANCE_LEVEL"]

#: the label of the seasonal-naive baseline that every backtest runs
BASELINE = "snaive"
#: the level at which a Diebold-Mariano p-value counts as a significant difference
SIGNIFICANCE_LEVEL = 0.05
# an MAE this small against the data's mean absolute value is an exact forecast: the rounding
# of a forecast computed in floating point (a sine's values a season apart differ by 1e-14)
_EXACT = 1e-9
_KEYS = ["series", "cutoff", "step"]
_POINT_METRICS = ("mae", "rmse", "mape", "smape", "coverage", "winkler")


class BacktestResult(ResultTables):
    """Everything a backtest produced.

    ``forecasts`` is tidy: one row per (series, model, cutoff, step) with ``timestamp``,
    ``actual``, ``forecast``, ``lower``, ``upper`` (the ``coverage`` prediction interval),
    forecast quantiles ``q0.025`` ... ``q0.975`` (:attr:`quantile_levels`) and ``scale`` (the
    fold's in-sample seasonal-naive MAE, the MASE denominator). ``timings``
    holds fit and predict seconds per fold; ``failures`` every fit/update/predict that raised;
    ``diagnostics`` the residual checks of the models fitted at the last cutoff; ``data`` the
    series backtested, by id.

    **Built when first read.** A backtest hands over the engine's arrays: ``forecasts``,
    ``timings``, ``failures`` and ``diagnostics`` are assembled into DataFrames the first time
    they are read (each table given as a function of no arguments is called once; a DataFrame
    is kept as given), and ``data`` of a panel from a clean long table is a
    :class:`~tsforecast.data.panel_series.PanelSeries`, which builds a series' pandas Series
    when that series is first read. The values are those an eager build gives; what is never
    read is never built (the Series of a panel whose result is only scored, as ``auto``'s
    inner validation and a partition's scores are; every table of a run that is discarded).
    """

    @property
    def coverage(self) -> float:
        return float(self.parameters["coverage"])

    @property
    def models(self) -> list[str]:
        """Model labels in the order they were given (the baseline first)."""
        return list(self.model_parameters)

    # --------------------------------------------------------------- metrics
    def scored(self) -> pd.DataFrame:
        """The forecast rows every metric is computed on: the points that every model with
        any forecast forecast (see the module docstring)."""
        def compute() -> pd.DataFrame:
            rows = self.forecasts
            if rows.empty:
                return rows
            n_models = rows["model"].nunique()
            counts = rows.groupby(_KEYS, sort=False)["model"].transform("size")
            return rows[counts.to_numpy() == n_models]

        return self._once("scored", compute)

    @property
    def quantile_levels(self) -> list[float]:
        """The forecast quantile levels recorded in :attr:`forecasts` (columns ``q<level>``)."""
        return [float(level) for level in self.parameters.get("quantiles", [])]

    def _metric_row(self, group: pd.DataFrame) -> dict[str, float]:
        true, pred = group["actual"].to_numpy(), group["forecast"].to_numpy()
        lower, upper = group["lower"].to_numpy(), group["upper"].to_numpy()
        row = {
            name: METRICS[name](true, pred, lower=lower, upper=upper, coverage=self.coverage)
            for name in _POINT_METRICS
        }
        levels = self.quantile_levels
        if levels:
            quantiles = group[[quantile_column(level) for level in levels]].to_numpy()
            row["pinball"] = pinball_loss(true, quantiles, levels)
            row["crps"] = crps_from_quantiles(true, quantiles, levels)
        else:
            row["pinball"] = row["crps"] = float("nan")
        # MASE with a per-fold scale: each point's error over its own fold's scale
        row["mase"] = mase_with_scale(true, pred, group["scale"].to_numpy())
        row["n"] = len(group)
        return row

    def plot(self, kind: str = "forecasts", series: str | None = None, ax: Axes | None = None) -> Axes:
        """Draw one of the report's charts on ``ax`` (or a new figure) and return the Axes.

        ``kind``: ``"forecasts"`` (every fold's forecasts against the actuals), ``"last"``
        (the last cutoff with prediction intervals), ``"step"`` (MAE by steps ahead),
        ``"fold"`` (MAE per fold) or ``"calibration"`` (observed against nominal coverage).
        ``series`` picks one series of a multi-series backtest (default: the first).
        """
        from tsforecast import plotting

        kinds = ("forecasts", "last", "step", "fold", "calibration")
        if kind not in kinds:
            raise ValueError(f"kind must be one of {', '.join(kinds)}, got {kind!r}.")
        name = next(iter(self.data)) if series is None else series
        if name not in self.data:
            raise ValueError(f"series {name!r} is not in this backtest; it has {', '.join(self.data)}.")
        rows = self.forecasts[self.forecasts["series"] == name]
        horizon = int(self.parameters["horizon"])
        ax = plotting.new_axes() if ax is None else ax
        if kind == "forecasts":
            plotting.draw_backtest_forecasts(ax, self.data[name], rows, horizon)
        elif kind == "last":
            plotting.draw_last_cutoff(ax, self.data[name], rows, self.coverage, horizon)
        elif kind == "step":
            table = self.leaderboard(by="step") if len(self.data) == 1 else self.series_table(name, "step")
            plotting.draw_error_lines(ax, table, "step", rows, "steps ahead", "Error by forecast step")
        elif kind == "fold":
            table = self.leaderboard(by="fold")
            plotting.draw_error_lines(ax, table[table["series"] == name], "cutoff", rows, "cutoff",
                                      "Error per fold over time")
        else:
            plotting.draw_calibration(ax, self.calibration(), self.forecasts)
        if kind in ("forecasts", "last", "fold"):
            ax.figure.autofmt_xdate()
        return ax

    def series_table(self, name: str, by: str = "cutoff") -> pd.DataFrame:
        """The leaderboard's metrics on one series: a row per model and ``by`` (``"cutoff"``:
        per fold, or ``"step"``: per step ahead), columns ``model``, ``by``, the metrics and
        ``n``, on the common points (:meth:`scored`). What a report charts per series."""
        if by not in ("cutoff", "step"):
            raise ValueError(f"by must be 'cutoff' or 'step', got {by!r}.")
        scored = self.scored()
        scored = scored[scored["series"] == name]
        return pd.DataFrame([{"model": model, by: key, **self._metric_row(group)}
                             for (model, key), group in scored.groupby(["model", by], sort=False)])

    def calibration(self) -> pd.DataFrame:
        """Observed coverage of every central interval the recorded quantiles bound (50%,
        80%, 90%, 95% by default), per model, on the common points: rows models, columns the
        nominal coverage. A calibrated model's row reads its column labels."""
        levels = self.quantile_levels
        # the coverages whose two bounds are both recorded
        nominal = sorted({c for q in levels if q > 0.5 and interval_bounds(c := central_coverage(q))[0] in levels})
        scored = self.scored()
        rows = {}
        for model, group in scored.groupby("model", sort=False):
            # NaN where a model gives no interval (a top-down reconciliation): a missing bound is not a miss
            rows[model] = {
                c: interval_coverage(group["actual"].to_numpy(),
                                     lower=group[quantile_column(interval_bounds(c)[0])].to_numpy(),
                                     upper=group[quantile_column(interval_bounds(c)[1])].to_numpy())
                for c in nominal
            }
        table = pd.DataFrame.from_dict(rows, orient="index", columns=nominal)
        table.index.name, table.columns.name = "model", "nominal"
        return table.reindex([m for m in self.models if m in table.index])

    def _exact_tolerance(self) -> float:
        scored = self.scored()
        scale = float(scored["actual"].abs().mean()) if len(scored) else 0.0
        return _EXACT * scale if np.isfinite(scale) else 0.0

    def exact_models(self) -> list[str]:
        """The models whose MAE on the scored points is 0, to floating-point rounding (a
        constant series forecast by seasonal naive, say)."""
        board = self.leaderboard()
        return [str(m) for m in board.index[board["mae"] <= self._exact_tolerance()]]

    def leaderboard(self, by: str = "model") -> pd.DataFrame:
        """Metrics per ``model`` (default), or per model and ``series``, ``step`` or ``fold``,
        on the common points (:meth:`scored`).

        The per-model table is sorted by MAE and adds: ``skill`` (1 - MAE / seasonal-naive
        MAE), mean ``fit_time`` in seconds, ``failures``, and Diebold-Mariano tests per series
        (:meth:`significance`): with one series the p-values against the best model and the
        baseline; with any number, ``better``/``worse``: on how many series the model's MAE is
        significantly lower/higher than the baseline's at the 5% level. Nothing is pooled
        across series.
        """
        groups = {"model": ["model"], "series": ["model", "series"], "step": ["model", "step"],
                  "fold": ["model", "series", "cutoff"]}
        if by not in groups:
            raise ValueError(f"by must be one of {', '.join(groups)}, got {by!r}.")
        return self._once(f"leaderboard:{by}", lambda: self._leaderboard(by, groups))

    def _leaderboard(self, by: str, groups: dict[str, list[str]]) -> pd.DataFrame:
        columns = [*_POINT_METRICS[:4], "mase", *_POINT_METRICS[4:], "pinball", "crps", "n"]
        scored = self.scored()
        table = pd.DataFrame(
            [
                {**dict(zip(groups[by], key if isinstance(key, tuple) else (key,), strict=True)),
                 **self._metric_row(group)}
                for key, group in scored.groupby(groups[by], sort=False)
            ],
            columns=groups[by] + columns,
        )
        if by != "model":
            return table
        table = table.set_index("model").reindex(self.models)
        table["n"] = table["n"].fillna(0).astype(int)
        baseline_mae = table["mae"].get(BASELINE, np.nan)
        # against a baseline that forecast every point exactly a skill is undefined (0 / 0, or a
        # ratio of rounding errors): NaN, which the CLI, the report and the CSV show as such
        exact = baseline_mae <= self._exact_tolerance()
        table["skill"] = np.nan if exact else 1 - table["mae"] / baseline_mae
        table["fit_time"] = self.timings.groupby("model")["fit_time"].mean().reindex(table.index)
        table["failures"] = (
            self.failures.groupby("model").size().reindex(table.index).fillna(0).astype(int)
            if not self.failures.empty else 0
        )
        tests = self.significance()
        if len(self.data) == 1 and not tests.empty:
            single = tests.droplevel("series")
            table["p_vs_best"] = single["p_vs_best"].reindex(table.index)
            table["p_vs_baseline"] = single["p_vs_baseline"].reindex(table.index)
        else:
            table["p_vs_best"] = table["p_vs_baseline"] = np.nan
        significant = tests["p_vs_baseline"] < SIGNIFICANCE_LEVEL
        for column, better in (("better", True), ("worse", False)):
            hits = significant & ((tests["mean_difference"] < 0) == better)
            counts = hits.groupby(level="model").sum() if len(hits) else pd.Series(dtype=int)
            table[column] = counts.reindex(table.index).fillna(0).astype(int)
        return table.sort_values("mae", na_position="last")

    def significance(self) -> pd.DataFrame:
        """Diebold-Mariano tests per series (absolute-error loss) of each model against the
        series' lowest-MAE model and against the seasonal-naive baseline.

        The test runs on the loss differential it assumes: one value per forecast origin (the
        mean over the horizon's steps of ``|e_model| - |e_other|``), in time order, with
        autocovariances up to the overlap of consecutive forecasts (``ceil(horizon / step) - 1``
        lags). Rows are indexed by (series, model); ``mean_difference`` is the mean per-origin
        loss difference against the baseline (negative: the model is better). With fewer than
        three origins there is no test (NaN).
        """
        return self._once("significance", self._significance)

    def _significance(self) -> pd.DataFrame:
        scored = self.scored()
        columns = ["p_vs_best", "p_vs_baseline", "mean_difference"]
        if scored.empty:
            return pd.DataFrame(columns=columns, index=pd.MultiIndex.from_tuples([], names=["series", "model"]))
        lags = origin_lags(int(self.parameters["horizon"]), int(self.parameters["step"]))
        loss = scored.assign(loss=(scored["forecast"] - scored["actual"]).abs())
        # per origin: the mean loss over the horizon's steps; rows cutoffs in time order
        per_origin = loss.pivot_table(index=["series", "cutoff"], columns="model", values="loss", sort=True)
        rows = []
        for series, table in per_origin.groupby(level="series", sort=False):
            best = table.mean().idxmin()
            for model in table.columns:
                row = {"series": series, "model": model}
                for name, other in (("best", best), ("baseline", BASELINE)):
                    if other not in table.columns or other == model:
                        row[f"p_vs_{name}"] = np.nan
                        continue
                    test = loss_differential_test((table[model] - table[other]).to_numpy(), lags)
                    row[f"p_vs_{name}"] = test.p_value
                    if name == "baseline":
                        row["mean_difference"] = test.mean_difference
                rows.append(row)
        return pd.DataFrame(rows).set_index(["series", "model"]).reindex(columns=columns)

    def series_scores(self) -> pd.DataFrame:
        """MAE, MASE and points scored per (series, model) on the common points, in one
        vectorised pass (a panel of 10,000 series is one groupby, not 10,000 tables). Rows in
        series order, then model order; MASE is NaN for a series whose scale is not positive
        (a constant training window)."""
        return self._once("series_scores", self._series_scores)

    def _series_scores(self) -> pd.DataFrame:
        scored = self.scored()
        if scored.empty:
            return pd.DataFrame(columns=["series", "model", "mae", "mase", "n"])
        error = (scored["forecast"] - scored["actual"]).abs()
        scaled = scaled_errors(scored["actual"], scored["forecast"], scored["scale"])
        frame = pd.DataFrame({"series": scored["series"], "model": scored["model"], "error": error,
                              "scaled": scaled, "bad_scale": ~(scored["scale"] > 0)})
        table = frame.groupby(["series", "model"], sort=False).agg(
            mae=("error", "mean"), mase=("scaled", "mean"), n=("error", "size"), bad=("bad_scale", "any"))
        table.loc[table["bad"], "mase"] = np.nan
        order = {m: k for k, m in enumerate(self.models)}
        table = table.drop(columns="bad").reset_index()
        table["_order"] = table["model"].map(order)
        return table.sort_values(["series", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)

    def across_series(self) -> pd.DataFrame:
        """The leaderboard over series, for panels: per model the number of ``series`` scored,
        the ``mean_mase`` and ``median_mase`` of its per-series MASE, ``wins`` (series on which
        it has the lowest MASE; a tie counts for every tied model) and ``beats_baseline`` (the
        share of series on which its MASE is below the seasonal-naive baseline's). Sorted by
        mean MASE."""
        scores = self.series_scores()
        columns = ["series", "mean_mase", "median_mase", "wins", "beats_baseline"]
        if scores.empty:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="model"))
        mase = scores.pivot(index="series", columns="model", values="mase")
        best = mase.min(axis=1)
        table = pd.DataFrame({
            "series": mase.notna().sum(),
            "mean_mase": mase.mean(),
            "median_mase": mase.median(),
            "wins": mase.eq(best, axis=0).sum(),
        })
        if BASELINE in mase.columns:
            table["beats_baseline"] = mase.lt(mase[BASELINE], axis=0).sum() / mase[BASELINE].notna().sum()
        else:
            table["beats_baseline"] = np.nan
        table.index.name = "model"
        return table.reindex([m for m in self.models if m in table.index]).sort_values("mean_mase")

    def best_model(self) -> str | None:
        """The label with the lowest MAE (the baseline included)."""
        board = self.leaderboard()
        return None if board["mae"].isna().all() else str(board.index[0])

    # --------------------------------------------------------------- export
    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV tables of a run: ``forecasts``, ``leaderboard`` and, if any, ``failures``."""
        parts = {"forecasts": self.forecasts, "leaderboard": self.leaderboard().reset_index()}
        if not self.failures.empty:
            parts["failures"] = self.failures
        return parts

    def summary(self) -> dict:
        """Leaderboard, failures, parameters and metadata as JSON-ready data."""
        return {
            "metadata": self.metadata,
            "parameters": self.parameters,
            "model_parameters": self.model_parameters,
            "repairs": self.repairs,
            "leaderboard": json.loads(self.leaderboard().reset_index().to_json(orient="records")),
            "failures": json.loads(self.failures.to_json(orient="records", date_format="iso")),
            "diagnostics": json.loads(self.diagnostics.to_json(orient="records", date_format="iso")),
            "fit_notes": json.loads(self.fit_notes().to_json(orient="records", date_format="iso")),
        }

    def fit_notes(self) -> pd.DataFrame:
        """The fits that finished with a note from the model (``FitWarning``: an optimiser
        that stopped before converging, say): series, model, cutoff and the note. Their
        forecasts are scored like any other."""
        columns = ["series", "model", "cutoff", "notes"]
        if "notes" not in self.timings.columns:
            return pd.DataFrame(columns=columns)
        noted = self.timings[self.timings["notes"].fillna("") != ""]
        return noted[columns].reset_index(drop=True)

    def to_csv(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write :meth:`tables` as ``<name>.csv`` files into ``folder``; returns the paths.
        Text cells that a spreadsheet would run as a formula are neutralised."""
        return [
            atomic_write(Path(folder) / f"{name}.csv", spreadsheet_safe(frame).to_csv(index=False))
            for name, frame in self.tables().items()
        ]

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`summary` as JSON."""
        return atomic_write(path, json.dumps(self.summary(), indent=2, default=str))

    def _repr_html_(self) -> str:
        """The leaderboard, for notebooks."""
        return self.leaderboard().to_html(float_format=lambda v: f"{v:,.4g}", na_rep="–")
