"""One fold's forecasts as arrays, and the tidy forecast frame they are assembled into.

Each fold's forecasts come back as arrays (one per column, timestamps as datetime64 values),
assembled into the tidy frame once at the end of a backtest; nothing is built row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # for annotations only: the frame needs no model code to be built or read
    from tsforecast.models.base import Forecaster

__all__ = ["FORECAST_COLUMNS", "FoldForecast", "ChainOutput", "quantile_column", "utc_values"]

#: the columns of a backtest's tidy forecast frame, in order (then one per quantile level)
FORECAST_COLUMNS = ["series", "model", "cutoff", "timestamp", "step", "actual", "forecast", "lower", "upper"]


def quantile_column(level: float) -> str:
    """The forecast frame's column for quantile ``level``: ``q0.025``, ``q0.5``, ..."""
    return f"q{level:g}"


@dataclass(frozen=True)
class FoldForecast:
    """One fold's forecasts as arrays over its ``horizon`` steps; ``timestamps`` are
    datetime64 values (UTC for a timezone-aware series, whose zone is ``tz``)."""

    series: str
    model: str
    cutoff: pd.Timestamp
    timestamps: np.ndarray
    actual: np.ndarray
    forecast: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    quantiles: np.ndarray  # (horizon, levels)
    tz: object = None


@dataclass
class ChainOutput:
    """What one chain produced: fold forecasts, timings, failures and, for the chains that
    end at the last cutoff, the residual diagnostics of the model fitted there (and, when the
    task asks to keep it, that model itself, by (series, model))."""

    forecasts: list[FoldForecast] = field(default_factory=list)
    timings: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    diagnostics: list[dict] = field(default_factory=list)
    fitted: dict[tuple[str, str], Forecaster] = field(default_factory=dict)

    def extend(self, other: ChainOutput) -> None:
        """Append everything ``other`` produced (outputs are merged in task order)."""
        self.forecasts += other.forecasts
        self.timings += other.timings
        self.failures += other.failures
        self.diagnostics += other.diagnostics
        self.fitted.update(other.fitted)

    def forecast_frame(self, levels: tuple[float, ...]) -> pd.DataFrame:
        """The tidy frame (:data:`FORECAST_COLUMNS`, then a column per quantile of
        ``levels``), assembled from the fold arrays at once."""
        quantile_names = [quantile_column(level) for level in levels]
        if not self.forecasts:
            dtypes = ["object", "object", "datetime64[ns]", "datetime64[ns]", "int64"] + ["float64"] * (
                4 + len(levels))
            return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in zip(
                FORECAST_COLUMNS + quantile_names, dtypes, strict=True)})
        lengths = np.array([len(f.actual) for f in self.forecasts])
        quantiles = np.concatenate([f.quantiles for f in self.forecasts])
        return pd.DataFrame({
            "series": np.repeat(np.array([f.series for f in self.forecasts], dtype=object), lengths),
            "model": np.repeat(np.array([f.model for f in self.forecasts], dtype=object), lengths),
            "cutoff": pd.DatetimeIndex([f.cutoff for f in self.forecasts]).repeat(lengths),
            "timestamp": _stamps(np.concatenate([f.timestamps for f in self.forecasts]), self.forecasts[0].tz),
            "step": np.concatenate([np.arange(1, n + 1) for n in lengths]),
            "actual": np.concatenate([f.actual for f in self.forecasts]),
            "forecast": np.concatenate([f.forecast for f in self.forecasts]),
            "lower": np.concatenate([f.lower for f in self.forecasts]),
            "upper": np.concatenate([f.upper for f in self.forecasts]),
            **{name: quantiles[:, j] for j, name in enumerate(quantile_names)},
        })


def utc_values(index: pd.DatetimeIndex) -> np.ndarray:
    """Timestamps as datetime64 values (UTC for a timezone-aware index)."""
    return (index if index.tz is None else index.tz_convert(None)).to_numpy()


def _stamps(values: np.ndarray, tz: object) -> pd.DatetimeIndex:
    """datetime64 values back to timestamps, in their zone when the series had one."""
    index = pd.DatetimeIndex(values)
    return index if tz is None else index.tz_localize("UTC").tz_convert(tz)
