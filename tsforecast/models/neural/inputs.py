"""What a neural forecaster's network reads at each time step: the scaled target, the past
covariates and the known-in-advance features (the sliding windows over them:
:mod:`tsforecast.models.neural.windows`).

Columns of ``X`` named in ``past_covariates`` are inputs known only up to the forecast origin
(e.g. bus when forecasting rail); every other column is known in advance (e.g. a day type) and
must be given for forecast timestamps too. ``calendar=True`` adds day-of-week, hour-of-day and
day-of-year features computed from the timestamps. The target and past covariates are scaled
per series; known columns over the whole panel (they mean the same in every series). Numpy and
pandas only: no import of PyTorch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsforecast.core.errors import ConfigError
from tsforecast.core.params import check_names
from tsforecast.data.exog import ExogSchema
from tsforecast.models.features import Scaler, calendar_features

__all__ = ["CovariateInputs"]


class CovariateInputs:
    """The input channels of :class:`~tsforecast.models.neural.estimator.NeuralForecaster`.

    The host model has the parameters ``past_covariates`` and ``calendar``; when fitted,
    ``exog_schema_``, ``past_columns_`` and ``known_columns_`` (encoded ``X`` columns),
    ``y_scaler_``, ``past_scaler_`` and ``known_scaler_``, ``window_`` and the history
    ``y_``/``X_``.
    """

    short_name: str
    past_covariates: tuple[str, ...]
    calendar: bool
    exog_schema_: ExogSchema | None
    past_columns_: list[str]
    known_columns_: list[str]
    y_scaler_: Scaler
    past_scaler_: Scaler | None
    known_scaler_: Scaler | None
    window_: int
    y_: pd.Series
    X_: pd.DataFrame | None

    def _past_names(self) -> tuple[str, ...]:
        """``past_covariates`` as a tuple of names (a single string is one name)."""
        return check_names(self.short_name, "past_covariates", self.past_covariates)

    def _split_columns(self, columns: list[str]) -> tuple[list[str], list[str]]:
        """Encoded X columns -> (past-only, known-in-advance)."""
        past_names = list(self._past_names())
        unknown = [c for c in past_names if c not in map(str, self.exog_schema_.columns)] if (
            self.exog_schema_ is not None
        ) else past_names
        if unknown:
            raise ConfigError(f"past_covariates {unknown} are not columns of X.")

        def is_past(column: str) -> bool:
            return any(column == name or column.startswith(f"{name}=") for name in past_names)

        past = [c for c in columns if is_past(c)]
        return past, [c for c in columns if not is_past(c)]

    def _forecast_exog_schema(self) -> ExogSchema:
        past = set(self._past_names())
        columns = tuple(c for c in self.exog_schema_.columns if str(c) not in past)
        return ExogSchema(columns, {c: v for c, v in self.exog_schema_.categories.items() if c in columns})

    def _known(
        self, index: pd.DatetimeIndex, X_known: pd.DataFrame | None, scaler: Scaler | None = None
    ) -> np.ndarray:
        """The known-in-advance features of ``index``: calendar, then the scaled known columns."""
        parts = []
        if self.calendar:
            parts.append(calendar_features(index).to_numpy())
        if X_known is not None and X_known.shape[1]:
            parts.append((scaler or self.known_scaler_).transform(X_known.to_numpy()))
        if not parts:
            return np.zeros((len(index), 0), dtype="float32")
        return np.concatenate(parts, axis=1).astype("float32")

    def _inputs(self, y: pd.Series, X: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
        """Input matrix (target, past covariates, known features) and the known features."""
        return self._series_inputs(y, X, self.y_scaler_, self.past_scaler_, self.past_columns_,
                                   self.known_columns_, self.known_scaler_)

    def _series_inputs(
        self, y: pd.Series, X: pd.DataFrame | None, y_scaler: Scaler, past_scaler: Scaler | None,
        past_columns: list[str], known_columns: list[str], known_scaler: Scaler | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_inputs` with the scalers and columns given (training sets them up)."""
        known = self._known(y.index, None if X is None else X[known_columns], known_scaler)
        parts = [y_scaler.transform(y.to_numpy())]
        if past_columns:
            parts.append(past_scaler.transform(X[past_columns].to_numpy()))
        parts.append(known)
        return np.concatenate(parts, axis=1), known

    def _future_known(self, index: pd.DatetimeIndex, X: pd.DataFrame | None) -> np.ndarray:
        """Known features for forecast timestamps. Rows that ``X`` does not cover get neutral
        values: they only pad the last block past the requested horizon, and the head reads
        each step's own features, so they cannot move the forecasts asked for."""
        frame = None
        if self.known_columns_:
            neutral = np.broadcast_to(self.known_scaler_.mean, (len(index), len(self.known_columns_)))
            frame = pd.DataFrame(neutral, index=index, columns=self.known_columns_)
            if X is not None:
                frame = X[self.known_columns_].reindex(index).fillna(frame)
        return self._known(index, frame)

    def _latest_inputs(self) -> np.ndarray:
        """The network's input matrix for the latest window: what a forecast now reads."""
        X = None if self.X_ is None else self.X_.iloc[-self.window_ :]
        return self._inputs(self.y_.iloc[-self.window_ :], X)[0]
