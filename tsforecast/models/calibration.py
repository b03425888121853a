"""Calibrated intervals and path noise for the windowed models (``ridge`` and the networks).

Both fit, hold out their latest forecast origins, and calibrate on the errors of forecasts
from them (:mod:`tsforecast.models.conformal` gives the arithmetic). What they then share is
written here once:

- :func:`calibration_ratios`: each held-out error divided by the scale of the window its
  forecast read (unit-free, so a global network pools them across series);
- :class:`ConformalIntervals`: the interval of a forecast from the latest window (the
  conformal quantile of the ratios times that window's scale, widened past the first block of
  ``output_steps``) and the noise a simulated path draws at each step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tsforecast.models.conformal import block_widths, latest_scales, window_scales

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["calibration_ratios", "ConformalIntervals"]


def calibration_ratios(
    series: np.ndarray, errors: np.ndarray, starts: np.ndarray, window: int, lag: int, floor: float
) -> np.ndarray:
    """``errors`` (rows: forecasts, columns: steps) of the forecasts that read the windows
    ``series[s : s + window]`` for each ``s`` in ``starts``, divided by each window's scale
    (its mean absolute ``lag``-difference, never below ``floor``)."""
    scales = np.maximum(window_scales(series, starts, window, lag), floor)
    return errors / scales[:, None]


class ConformalIntervals:
    """Intervals and sample-path noise of a model calibrated by :func:`calibration_ratios`.

    The host model (a :class:`~tsforecast.models.base.Forecaster`) sets, when it fits:
    ``window_`` (the window a forecast reads), ``scale_lag_`` and ``scale_floor_`` (how a
    window's scale is measured, :func:`~tsforecast.models.conformal.scale_lag` and
    :func:`~tsforecast.models.conformal.floor_scale`), ``calibration_errors_`` (the signed
    ratios, rows: held-out forecasts, columns: the steps of a block) and
    ``conformity_scores_`` (their absolute values); ``output_steps`` is its block length,
    and its ``_predict`` gives the point forecast the interval is centred on.
    """

    window_: int
    scale_lag_: int
    scale_floor_: float
    calibration_errors_: np.ndarray
    conformity_scores_: np.ndarray
    output_steps: int
    y_: pd.Series

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The point forecast plus and minus the conformal half-width for the scale of the
        window it reads (steps past the first block add the variance of forecast inputs)."""
        point = self._predict(horizon, X)
        latest = self.y_.to_numpy(dtype="float64")[-self.window_ :]  # the window this forecast reads
        scale = latest_scales(latest, self.scale_lag_, self.scale_floor_)
        width = block_widths(self.conformity_scores_, coverage, float(scale), horizon, self.output_steps)
        return point - width, point + width

    def _path_noise(self, recent: np.ndarray, rng: np.random.Generator, temperature: float) -> np.ndarray:
        """One step's noise for each simulated path: a calibration ratio of a one-step
        forecast, drawn at random, times the scale of the path's latest window (a row of
        ``recent``, in original units) and ``temperature``."""
        scale = latest_scales(recent, self.scale_lag_, self.scale_floor_)
        return rng.choice(self.calibration_errors_[:, 0], size=len(scale)) * scale * temperature
