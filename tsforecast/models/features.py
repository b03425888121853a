"""Features and scaling for the neural forecasters, in numpy and pandas only.

Per time step ``t`` the network's input channels are: the scaled target ``y_t``, the scaled
past covariates at ``t`` (known only up to the forecast origin, e.g. bus when forecasting
rail) and the known-in-advance features at ``t`` (calendar features and user columns such as
a day type). Kept apart from :mod:`tsforecast.models.neural.windows` so that checking a neural
model's parameters or computing features does not import PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsforecast.persistence.state import state_dataclass

__all__ = ["calendar_features", "Scaler", "LOSS_NAMES"]

#: the training losses a neural model accepts (see :data:`tsforecast.models.neural.training.LOSSES`)
LOSS_NAMES = ("huber", "mse", "mae")


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


@state_dataclass  # saved in model files (ridge, neural)
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
