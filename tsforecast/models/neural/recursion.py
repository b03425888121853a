"""Forecasts past the network's head, sample paths and batched forecasts from past cutoffs.

The network outputs the next ``output_steps`` values at once (a direct multi-step head).
Forecasts longer than that continue recursively: the forecast block is appended to the input
as if observed and the next block is predicted (not possible with past covariates, whose
future values are unknown). Sample paths go one step at a time instead, each step's value
being its one-step forecast plus calibrated noise
(:meth:`~tsforecast.models.calibration.ConformalIntervals._path_noise`), fed back as the newest
observation. :meth:`RecursiveForecasts.predict_at` forecasts from many cutoffs in the history
in one batched forward pass (for backtests and validation curves).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tsforecast.core.errors import ConfigError, DataError
from tsforecast.core.frequency import future_index
from tsforecast.core.params import check_horizon
from tsforecast.core.threads import torch_threads
from tsforecast.data.exog import align_exog

if TYPE_CHECKING:
    import torch

    from tsforecast.models.features import Scaler

__all__ = ["RecursiveForecasts"]

# PyTorch is imported inside the methods that use it: importing tsforecast (or asking the CLI
# for --help) must not pay the seconds torch takes to load.


class RecursiveForecasts:
    """Point forecasts, sample paths, fitted values and :meth:`predict_at` of a fitted
    :class:`~tsforecast.models.neural.estimator.NeuralForecaster`.

    Reads the host's ``network_``, ``y_scaler_``, ``window_``, ``output_steps``,
    ``past_columns_``, ``known_columns_``, ``n_threads``, the history and its input features
    (:class:`~tsforecast.models.neural.inputs.CovariateInputs`) and, for paths, its
    calibration (:class:`~tsforecast.models.calibration.ConformalIntervals`).
    """

    short_name: str
    output_steps: int
    n_threads: int | None
    network_: torch.nn.Module
    y_scaler_: Scaler
    window_: int
    past_columns_: list[str]
    known_columns_: list[str]
    cutoff_: pd.Timestamp
    freq_: pd.DateOffset

    def _check_recursion(self, horizon: int) -> int:
        """Number of ``output_steps`` blocks a ``horizon`` needs (more than one is recursive)."""
        block = self.output_steps
        n_blocks = math.ceil(horizon / block)
        if n_blocks > 1 and self.past_columns_:
            raise ConfigError(
                f"{self.short_name} was trained for {block} steps with past covariates, whose "
                f"future values are unknown; forecast at most {block} steps, or train with "
                f"output_steps={horizon}."
            )
        return n_blocks

    def _forecast_batch(self, windows: torch.Tensor, future_known: torch.Tensor, horizon: int) -> np.ndarray:
        """Forecasts in original units, ``(B, horizon)``, for input ``windows`` ``(B, W, C)``
        and the known features of the ``n_blocks * output_steps`` steps after each window."""
        import torch

        block = self.output_steps
        n_blocks = math.ceil(horizon / block)
        outputs = []
        with torch_threads(self.n_threads), torch.no_grad():
            for b in range(n_blocks):
                future = future_known[:, b * block : (b + 1) * block]
                step = self.network_(windows, future)
                outputs.append(step)
                if b == n_blocks - 1:
                    break
                # recursive continuation: the block becomes input, with its known features
                new_rows = torch.cat([step.unsqueeze(-1), future], dim=2)
                windows = torch.cat([windows[:, block:], new_rows], dim=1)
        scaled = torch.cat(outputs, dim=1)[:, :horizon].numpy()
        return self.y_scaler_.inverse(scaled)

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        import torch

        n_blocks = self._check_recursion(horizon)
        inputs = self._latest_inputs()
        extended = future_index(self.cutoff_, self.freq_, n_blocks * self.output_steps)
        future_known = torch.from_numpy(self._future_known(extended, X)).unsqueeze(0)
        return self._forecast_batch(torch.from_numpy(inputs).unsqueeze(0), future_known, horizon)[0]

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        """Paths built one step at a time: forecast the next value from each path's window,
        add an error drawn from the calibration errors of one-step forecasts (relative to
        their window's scale, times this window's scale and ``temperature``), feed the value
        back as the newest observation, repeat."""
        import torch

        if self.past_columns_:
            raise ConfigError(
                f"{self.short_name} uses past covariates, whose future values are unknown; it "
                "cannot simulate paths. Use predict_quantiles."
            )
        block = self.output_steps
        extended = future_index(self.cutoff_, self.freq_, horizon + block)
        future_known = torch.from_numpy(self._future_known(extended, X)).unsqueeze(0).expand(n, -1, -1)
        inputs = self._latest_inputs()
        windows = torch.from_numpy(inputs).unsqueeze(0).repeat(n, 1, 1)
        recent = np.repeat(self.y_.to_numpy()[None, -self.window_ :], n, axis=0)  # original units
        paths = np.empty((horizon, n))
        with torch_threads(self.n_threads), torch.no_grad():
            for t in range(horizon):
                future = future_known[:, t : t + block]
                point = self.y_scaler_.inverse(self.network_(windows, future)[:, :1].numpy())[:, 0]
                values = point + self._path_noise(recent, rng, temperature)
                paths[t] = values
                recent = np.concatenate([recent[:, 1:], values[:, None]], axis=1)
                scaled = torch.from_numpy(self.y_scaler_.transform(values).reshape(n, 1, 1))
                new_row = torch.cat([scaled.to(windows.dtype), future[:, :1]], dim=2)
                windows = torch.cat([windows[:, 1:], new_row], dim=1)
        return paths

    def _fitted_values(self) -> np.ndarray:
        # one batched pass: the one-step forecast from every origin that has a full window
        y = self.y_
        fitted = np.full(len(y), np.nan)
        if len(y) > self.window_:
            fitted[self.window_ :] = self.predict_at(y.index[self.window_ - 1 : -1], 1).iloc[:, 0].to_numpy()
        return fitted

    def predict_at(self, cutoffs: object, horizon: int, X: object | None = None) -> pd.DataFrame:
        """Forecasts from many origins inside the history, in one batched forward pass.

        ``cutoffs`` are timestamps of the training data (including rows added by
        :meth:`update`); each forecast uses the ``window`` observations up to its cutoff, as
        :meth:`predict` would have right after that cutoff, without re-running the model
        origin by origin. Returns a frame indexed by cutoff with columns ``1 .. horizon``
        (steps ahead). ``X`` is needed only for known-in-advance columns of steps past the
        end of the history.
        """
        import torch

        from tsforecast.models.neural.training import INFERENCE_CHUNK

        self._check_fitted()
        steps = check_horizon(horizon)
        n_blocks = self._check_recursion(steps)
        n_ahead = n_blocks * self.output_steps
        try:
            origins = pd.DatetimeIndex(cutoffs)
        except (TypeError, ValueError) as exc:
            raise DataError(f"cutoffs must be timestamps, got {cutoffs!r}.") from exc
        if len(origins) == 0:
            raise DataError("cutoffs is empty: give at least one timestamp of the training data.")
        history = self.y_
        positions = history.index.get_indexer(origins)
        if (positions < 0).any():
            raise DataError(
                f"cutoffs {list(origins[positions < 0][:3].astype(str))} are not timestamps of "
                f"the training data ({history.index[0]} .. {history.index[-1]}); update the "
                "model with the observations first."
            )
        if (positions < self.window_ - 1).any():
            raise DataError(
                f"cutoffs before {history.index[self.window_ - 1]} have fewer than "
                f"window={self.window_} observations before them."
            )
        beyond = future_index(self.cutoff_, self.freq_, n_ahead)
        n_needed = int(positions.max()) + steps - (len(history) - 1)
        future_X = None
        if n_needed > 0 and self.known_columns_:
            if X is None:
                raise DataError(
                    f"forecasts from the last cutoffs reach past {self.cutoff_}; give X with "
                    f"the known columns for {beyond[0]} .. {beyond[n_needed - 1]}."
                )
            future_X = align_exog(X, beyond[:n_needed], self._forecast_exog_schema())
        inputs, known = self._inputs(history, self.X_)
        all_known = torch.from_numpy(np.concatenate([known, self._future_known(beyond, future_X)]))
        # views, as in training: windows ending at each cutoff, known features after it; only
        # a chunk of cutoffs is copied out of them at a time
        window_views = torch.from_numpy(inputs).unfold(0, self.window_, 1)
        future_views = all_known.unfold(0, n_ahead, 1)
        forecasts = np.concatenate([
            self._forecast_batch(
                window_views[starts - self.window_ + 1].transpose(1, 2),
                future_views[starts + 1].transpose(1, 2),
                steps,
            )
            for starts in torch.from_numpy(positions).split(INFERENCE_CHUNK)
        ])
        return pd.DataFrame(
            forecasts,
            index=pd.DatetimeIndex(origins, name="cutoff"),
            columns=pd.RangeIndex(1, steps + 1, name="step"),
        )
