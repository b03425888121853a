"""Sliding training windows for the neural forecasters (features: :mod:`.features`).

The head receives the known features of the ``horizon`` steps it forecasts.

Several series (a global model's panel) are stacked into one feature matrix; a window is a
sample only when it lies inside one series (:func:`stack_series`), so nothing reads across a
boundary and one set of views serves the whole panel.

Windows are built with :meth:`torch.Tensor.unfold`, which returns *views*: a 100,000-point
series costs no more memory as windows than as a column; only a batch is ever copied.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["WindowData", "stack_series"]


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
