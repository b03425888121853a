"""Features, scaling and sliding windows for the neural forecasters.

Per time step ``t`` the network's input channels are: the scaled target ``y_t``, the scaled
past covariates at ``t`` (known only up to the forecast origin, e.g. bus when forecasting
rail) and the known-in-advance features at ``t`` (calendar features and user columns such as
a day type). The head also receives the known features of the ``horizon`` steps it forecasts.

Windows are built with :meth:`torch.Tensor.unfold`, which returns *views*: a 100,000-point
series costs no more memory as windows than as a column; only a batch is ever copied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

__all__ = ["calendar_features", "Scaler", "WindowData"]


def calendar_features(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Known-in-advance calendar features for ``index``.

    Day-of-week one-hot (sub-weekly data), hour-of-day sine/cosine (sub-daily data), and
    day-of-year sine/cosine (sub-yearly data) for the annual cycle.
    """
    features: dict[str, np.ndarray] = {}
    step = (index[1] - index[0]) if len(index) > 1 else pd.Timedelta(days=1)
    if step < pd.Timedelta(days=7):
        dow = index.day_of_week.to_numpy()
        for day in range(7):
            features[f"dow{day}"] = (dow == day).astype("float32")
    if step < pd.Timedelta(days=1):
        hour = index.hour.to_numpy() + index.minute.to_numpy() / 60
        features["hour_sin"] = np.sin(2 * np.pi * hour / 24)
        features["hour_cos"] = np.cos(2 * np.pi * hour / 24)
    if step < pd.Timedelta(days=300):
        doy = index.day_of_year.to_numpy()
        features["doy_sin"] = np.sin(2 * np.pi * doy / 365.25)
        features["doy_cos"] = np.cos(2 * np.pi * doy / 365.25)
    return pd.DataFrame(features, index=index, dtype="float32")


@dataclass
class Scaler:
    """Per-column standardisation fitted on training data only."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> Scaler:
        values = np.asarray(values, dtype="float64").reshape(len(values), -1)
        scale = values.std(axis=0)
        return cls(values.mean(axis=0), np.where(scale > 0, scale, 1.0))

    def transform(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype="float64").reshape(len(values), -1)
        return ((values - self.mean) / self.scale).astype("float32")

    def inverse(self, values: np.ndarray, column: int = 0) -> np.ndarray:
        return np.asarray(values, dtype="float64") * self.scale[column] + self.mean[column]


class WindowData:
    """Training samples as views over one feature matrix.

    ``inputs`` is ``(N, C)``: column 0 the scaled target, then past and known features.
    ``known`` is ``(N, F)``. Sample ``i`` reads input rows ``i .. i+window-1`` and predicts the
    target at ``i+window .. i+window+horizon-1``.
    """

    def __init__(self, inputs: np.ndarray, known: np.ndarray, window: int, horizon: int) -> None:
        self.inputs = torch.from_numpy(np.ascontiguousarray(inputs, dtype="float32"))
        self.known = torch.from_numpy(np.ascontiguousarray(known, dtype="float32"))
        self.window = window
        self.horizon = horizon
        n = len(self.inputs)
        self.n_samples = n - window - horizon + 1
        target = self.inputs[:, 0]
        # (n - window + 1, C, window) view: windows starting at every row
        self._x = self.inputs.unfold(0, window, 1)
        # targets / known future of the direct head, aligned with window starts
        self._y = target[window:].unfold(0, horizon, 1)  # (n_samples, horizon)
        self._f = self.known[window:].unfold(0, horizon, 1)  # (n_samples, F, horizon)
        # every-step targets for sequence-to-sequence training: row t holds t+1 .. t+horizon
        self._y_seq = target[1:].unfold(0, horizon, 1)  # (n - horizon, horizon)
        self._f_seq = self.known[1:].unfold(0, horizon, 1)  # (n - horizon, F, horizon)

    def batch(
        self, starts: torch.Tensor, every_step: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Inputs ``(B, window, C)``, future known ``(B, [window,] horizon, F)``, targets."""
        x = self._x[starts].transpose(1, 2).contiguous()
        if not every_step:
            return x, self._f[starts].transpose(1, 2), self._y[starts]
        rows = starts[:, None] + torch.arange(self.window)
        return x, self._f_seq[rows].transpose(2, 3), self._y_seq[rows]

    def last_window(self) -> torch.Tensor:
        """The most recent ``window`` rows, as a batch of one: ``(1, window, C)``."""
        return self.inputs[-self.window :].unsqueeze(0)
