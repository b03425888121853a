"""Sliding training windows for the neural forecasters (features: :mod:`tsforecast.models.features`).

The head receives the known features of the ``horizon`` steps it forecasts.

Each series' chronologically last windows are held out of training (:func:`held_out_starts`),
purged so that no training target lies inside them: their first half drives early stopping,
their second, most recent half calibrates the intervals. Calibration never reuses the windows
that chose the weights: their errors are optimistic by selection (on daily ridership that cost
several points of coverage).

Several series (a global model's panel) are stacked into one feature matrix; a window is a
sample only when it lies inside one series (:func:`stack_series`), so nothing reads across a
boundary and one set of views serves the whole panel.

Windows are built with :meth:`torch.Tensor.unfold`, which returns *views*: a 100,000-point
series costs no more memory as windows than as a column; only a batch is ever copied.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["WindowData", "stack_series", "held_out_starts", "series_weights"]


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


def stack_series(
    inputs: list[np.ndarray], known: list[np.ndarray], window: int, horizon: int
) -> tuple[WindowData, list[np.ndarray]]:
    """One :class:`WindowData` over the series' feature matrices stacked end to end, and per
    series the (stacked) starts of the samples that lie wholly inside it (empty for a series
    shorter than ``window + horizon``)."""
    data = WindowData(np.concatenate(inputs), np.concatenate(known), window, horizon)
    offsets = np.cumsum([0] + [len(part) for part in inputs])
    starts = [np.arange(offsets[i], offsets[i] + max(0, len(part) - window - horizon + 1))
              for i, part in enumerate(inputs)]
    return data, starts


def held_out_starts(
    sample_starts: list[np.ndarray], fraction: float, horizon: int
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per series, the starts of its (training, early-stopping, calibration) samples.

    The last ``fraction`` of a series' samples (at least 2) is held out and the ``horizon - 1``
    before it are dropped (no training target inside the tail); the tail's first half stops
    early, its latest half calibrates. A series left without a training sample contributes
    no sample at all."""
    train_parts, stop_parts, calibration_parts = [], [], []
    for starts in sample_starts:
        n = len(starts)
        n_val = max(2, int(round(n * fraction)))
        n_train = n - n_val - (horizon - 1)  # purge: no training target inside the tail
        if n_train < 1:
            starts = starts[:0]
            n, n_val, n_train = 0, 0, 0
        train_parts.append(starts[:n_train])
        stop_parts.append(starts[n - n_val : n - n_val + n_val // 2])
        calibration_parts.append(starts[n - n_val + n_val // 2 : n])
    return train_parts, stop_parts, calibration_parts


def series_weights(series: torch.Tensor) -> torch.Tensor:
    """Sample weights summing to 1 that give every series the same total, shared equally by
    its samples (``series``: each sample's series number). A global model draws its training
    windows and weighs its early-stopping loss with them, so a long history does not outweigh
    a short one."""
    counts = torch.bincount(series).double()
    present = int((counts > 0).sum())
    return (1.0 / (counts[series] * present)).float()
