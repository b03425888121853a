"""The PyTorch modules behind the neural forecasters.

A network is an *encoder* that turns an input window ``(batch, time, channels)`` into one
hidden vector per time step (or only the last, when that is all the head reads), and a
:class:`ForecastHead` that maps a hidden vector plus the known-in-advance features of the
next ``horizon`` steps to ``horizon`` forecasts at once (a direct multi-step head, like
Keras' ``Dense(14)``). In sequence-to-sequence training the
head is applied at every time step; otherwise only at the last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from tsforecast.models.neural import defaults
from tsforecast.persistence.state import state_dataclass

__all__ = ["WINDOW_SCALE_FLOOR", "NetworkConfig", "RecurrentEncoder", "WaveNetEncoder", "ForecastHead",
           "Forecaster1D", "build_network"]


@state_dataclass  # saved in model files
@dataclass(frozen=True)
class NetworkConfig:
    """Everything needed to build a network (kept with the fitted model for reloading)."""

    kind: str  # "rnn", "lstm", "gru" or "wavenet"
    n_inputs: int  # channels per time step: target, past covariates, known covariates
    horizon: int  # outputs of the direct head
    n_future: int  # known-in-advance features per future step fed to the head
    hidden: int = defaults.HIDDEN
    num_layers: int = defaults.NUM_LAYERS
    dropout: float = defaults.DROPOUT
    layer_norm: bool = defaults.LAYER_NORM
    dilations: tuple[int, ...] = defaults.DILATIONS
    gated: bool = defaults.GATED
    residual: bool = defaults.RESIDUAL
    level_channels: int = 0  # leading input channels re-centred on their window mean (0: off)
    # what the level channels are centred on: "last" the window's last observation (inputs and
    # forecast); "mean" the running window mean (inputs and forecast); "causal_last" inputs on
    # the running mean, forecast on each step's own observation (for sequence-to-sequence)
    level: str = "last"
    # the level channels, once centred, are also divided by their window's mean absolute
    # deviation and the forecast's deviation multiplied back (RevIN's scaling; a global fit
    # with panel_scale="window"): a window is read at its own scale, whatever the series' level
    window_scale: bool = False


#: the smallest window scale (in the series-scaled units the network reads): a flat window is
#: divided by this, not by zero, and its forecast stays near its level
WINDOW_SCALE_FLOOR = 1e-2


class RecurrentEncoder(nn.Module):
    """A stack of ``num_layers`` Elman RNN, LSTM or GRU cells, optionally layer-normalised."""

    _CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        cell = self._CELLS[config.kind]
        self.rnn = cell(
            config.n_inputs,
            config.hidden,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.norm = nn.LayerNorm(config.hidden) if config.layer_norm else nn.Identity()
        self.out_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        out, _ = self.rnn(x)
        if last_only:
            out = out[:, -1:]
        return self.out_dropout(self.norm(out))


class _CausalConv(nn.Module):
    """Kernel-2 dilated causal convolution on ``(batch, time, channels)``.

    ``y_t = W [x_{t-d}; x_t] + b`` with zeros before the start, i.e. exactly a causal
    ``Conv1d(kernel_size=2, dilation=d)``. Written as one matrix product on channels-last
    tensors because at forecasting sizes (32 channels, a few dozen steps) oneDNN's Conv1d
    spends most of its time in per-call overhead; this is about twice as fast to train.
    """

    def __init__(self, channels_in: int, channels_out: int, dilation: int) -> None:
        super().__init__()
        self.dilation = dilation
        self.linear = nn.Linear(2 * channels_in, channels_out)

    def forward(self, x: torch.Tensor, n_out: int) -> torch.Tensor:
        """The last ``n_out`` output steps; steps before the input's start count as zeros."""
        need = n_out + self.dilation
        if x.shape[1] < need:
            x = nn.functional.pad(x, (0, 0, need - x.shape[1], 0))
        else:
            x = x[:, x.shape[1] - need :]
        return self.linear(torch.cat([x[:, :n_out], x[:, self.dilation :]], dim=-1))


class _WaveNetBlock(nn.Module):
    def __init__(self, channels: int, dilation: int, gated: bool, residual: bool, dropout: float):
        super().__init__()
        self.gated = gated
        self.residual = residual
        self.conv = _CausalConv(channels, 2 * channels if gated else channels, dilation)
        # the residual and skip 1x1 convolutions are per-step linear maps on channels-last
        # tensors, computed as one (channels -> 2 * channels) product: half the small calls
        self.mix_skip = nn.Linear(channels, 2 * channels) if residual else None
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(
        self, x: torch.Tensor, n_out: int, last_only: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(input to the next block, skip output or None in the plain stack)."""
        z = self.conv(x, n_out)
        if self.gated:
            filt, gate = z.chunk(2, dim=-1)
            z = torch.tanh(filt) * torch.sigmoid(gate)
        else:
            z = torch.relu(z)
        z = self.dropout(z)
        if not self.residual:
            return z, None
        mix, skip = self.mix_skip(z).chunk(2, dim=-1)
        # with a last-step head only the last skip output is ever read
        return x[:, -n_out:] + mix, skip[:, -1:] if last_only else skip


class WaveNetEncoder(nn.Module):
    """Dilated causal Conv1D stack (kernel 2), with gated activations and residual/skip
    connections by default; ``gated=False, residual=False`` gives the plain stack."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.residual = config.residual
        self.inp = nn.Linear(config.n_inputs, config.hidden)
        self.blocks = nn.ModuleList(
            _WaveNetBlock(config.hidden, d, config.gated, config.residual, config.dropout)
            for d in config.dilations
        )
        self.norm = nn.LayerNorm(config.hidden) if config.layer_norm else nn.Identity()

    def _output_lengths(self, steps: int, last_only: bool) -> list[int]:
        """How many trailing steps each layer must compute.

        For the last step only, layer ``k`` needs its outputs at the last ``1 + (dilations of
        the layers after k)`` steps (its share of the receptive field), not at all ``steps``:
        with dilations 1,2,4,8 x2 and a 56-step window that is 136 positions instead of
        448, and the result is exactly the same.
        """
        if not last_only:
            return [steps] * len(self.blocks)
        dilations = [block.conv.dilation for block in self.blocks]
        return [min(1 + sum(dilations[k + 1 :]), steps) for k in range(len(dilations))]

    def forward(self, x: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        lengths = self._output_lengths(x.shape[1], last_only)
        if last_only:
            receptive = 1 + sum(block.conv.dilation for block in self.blocks)
            x = x[:, -receptive:]
        h = self.inp(x)
        skips = 0
        for block, n_out in zip(self.blocks, lengths, strict=True):
            h, skip = block(h, n_out, last_only)
            if skip is not None:
                skips = skips + skip
        out = torch.relu(skips) if self.residual else h
        if last_only:
            out = out[:, -1:]
        return self.norm(out)


class ForecastHead(nn.Module):
    """Direct multi-step head: forecast ``k`` is linear in the hidden state and in the known
    features *of step k only*.

    Tying each step to its own known features (rather than flattening all ``horizon`` steps'
    features into one input) means a one-day forecast needs only that day's features (e.g.
    its day type), and a holiday on day 9 cannot move the forecast for day 1.
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.linear = nn.Linear(config.hidden, config.horizon)
        self.n_future = config.n_future
        bound = 1 / math.sqrt(config.hidden + max(config.n_future, 1))
        self.future_weight = nn.Parameter(
            torch.empty(config.horizon, config.n_future).uniform_(-bound, bound)
        )

    def forward(self, hidden: torch.Tensor, future: torch.Tensor | None) -> torch.Tensor:
        out = self.linear(hidden)
        if future is not None and self.n_future > 0:
            # future: (..., horizon, F) -> one contribution per step from its own features
            out = out + (future * self.future_weight).sum(dim=-1)
        return out


class Forecaster1D(nn.Module):
    """Encoder plus direct multi-step head.

    ``forward(x, future, every_step)``: ``x`` is ``(B, T, C)``; ``future`` the known features
    of the next ``horizon`` steps, ``(B, horizon, F)`` for the last step or
    ``(B, T, horizon, F)`` for every step; returns ``(B, horizon)`` or ``(B, T, horizon)``.
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        encoder = WaveNetEncoder if config.kind == "wavenet" else RecurrentEncoder
        self.encoder = encoder(config)
        self.head = ForecastHead(config)

    def forward(
        self, x: torch.Tensor, future: torch.Tensor | None = None, every_step: bool = False
    ) -> torch.Tensor:
        n_level = self.config.level_channels
        if n_level:
            # Window-level normalisation (RevIN-like, centring only): the target and past
            # covariates are re-centred, and the forecast is a deviation from an anchor, so the
            # network never sees a level it was not trained on (which is what breaks globally
            # scaled inputs on trending data). "last" is NLinear's choice (Zeng et al., 2023):
            # anchored on the last observation, a zero output is the naive forecast, which is
            # what a random walk needs and a good start for anything else. Sequence-to-sequence
            # training forecasts from every step, so it needs causal references instead.
            if self.config.level == "last":
                level = x[:, -1:, :n_level]
                anchor = level[:, :, 0].expand(-1, x.shape[1])
            else:
                steps = torch.arange(1, x.shape[1] + 1, dtype=x.dtype, device=x.device)
                level = x[:, :, :n_level].cumsum(dim=1) / steps[:, None]
                anchor = x[:, :, 0] if self.config.level == "causal_last" else level[:, :, 0]
            centred = x[:, :, :n_level] - level
            if self.config.window_scale:
                spread = self._window_spread(x[:, :, :n_level])
                centred = centred / spread
                spread = spread[:, :, 0]  # the target's: what the forecast's deviation is multiplied by
            x = torch.cat([centred, x[:, :, n_level:]], dim=2)
        hidden = self.encoder(x, last_only=not every_step)
        if not every_step:
            hidden = hidden[:, -1]
        out = self.head(hidden, future)
        if n_level:
            if self.config.window_scale:
                out = out * (spread if every_step else spread[:, -1]).unsqueeze(-1)
            out = out + (anchor if every_step else anchor[:, -1]).unsqueeze(-1)
        return out

    def _window_spread(self, values: torch.Tensor) -> torch.Tensor:
        """Each window's scale per level channel, ``(B, 1, n)`` or causal ``(B, T, n)``: the
        mean absolute deviation from the window's mean ("last": the whole window; otherwise
        running, so that a step's scale reads no later step), at least
        :data:`WINDOW_SCALE_FLOOR`."""
        if self.config.level == "last":
            spread = (values - values.mean(dim=1, keepdim=True)).abs().mean(dim=1, keepdim=True)
        else:
            steps = torch.arange(1, values.shape[1] + 1, dtype=values.dtype, device=values.device)[:, None]
            running = values.cumsum(dim=1) / steps
            spread = (values - running).abs().cumsum(dim=1) / steps
        return spread.clamp_min(WINDOW_SCALE_FLOOR)


def build_network(config: NetworkConfig) -> Forecaster1D:
    """The network described by ``config``."""
    return Forecaster1D(config)
