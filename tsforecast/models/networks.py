"""The PyTorch modules behind the neural forecasters.

A network is an *encoder* that turns an input window ``(batch, time, channels)`` into one
hidden vector per time step (or only the last, when that is all the head reads), and a :class:`ForecastHead` that maps a hidden vector plus the
known-in-advance features of the next ``horizon`` steps to ``horizon`` forecasts at once
(a direct multi-step head, like Keras' ``Dense(14)``). In sequence-to-sequence training the
head is applied at every time step; otherwise only at the last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["NetworkConfig", "RecurrentEncoder", "WaveNetEncoder", "ForecastHead", "Forecaster1D", "build_network"]


@dataclass(frozen=True)
class NetworkConfig:
    """Everything needed to build a network (kept with the fitted model for reloading)."""

    kind: str  # "rnn", "lstm", "gru" or "wavenet"
    n_inputs: int  # channels per time step: target, past covariates, known covariates
    horizon: int  # outputs of the direct head
    n_future: int  # known-in-advance features per future step fed to the head
    hidden: int = 32
    num_layers: int = 1
    dropout: float = 0.0
    layer_norm: bool = False
    dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)
    gated: bool = True
    residual: bool = True
    level_channels: int = 0  # leading input channels re-centred on their window mean (0: off)


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


class _CausalConv(nn.Conv1d):
    """Conv1d that only sees the past: left padding of ``dilation * (kernel - 1)``."""

    def __init__(self, channels_in: int, channels_out: int, dilation: int) -> None:
        super().__init__(channels_in, channels_out, kernel_size=2, dilation=dilation)
        self.left_pad = dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(nn.functional.pad(x, (self.left_pad, 0)))


class _WaveNetBlock(nn.Module):
    def __init__(self, channels: int, dilation: int, gated: bool, residual: bool, dropout: float):
        super().__init__()
        self.gated = gated
        self.residual = residual
        self.conv = _CausalConv(channels, 2 * channels if gated else channels, dilation)
        self.mix = nn.Conv1d(channels, channels, 1) if residual else nn.Identity()
        self.skip = nn.Conv1d(channels, channels, 1) if residual else nn.Identity()
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, last_only: bool) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.conv(x)
        if self.gated:
            filt, gate = z.chunk(2, dim=1)
            z = torch.tanh(filt) * torch.sigmoid(gate)
        else:
            z = torch.relu(z)
        z = self.dropout(z)
        if not self.residual:
            return z, z
        # with a last-step head only the last skip output is ever read
        return x + self.mix(z), self.skip(z[..., -1:] if last_only else z)


class WaveNetEncoder(nn.Module):
    """Dilated causal Conv1D stack (kernel 2), with gated activations and residual/skip
    connections by default; ``gated=False, residual=False`` gives the plain stack."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.residual = config.residual
        self.inp = nn.Conv1d(config.n_inputs, config.hidden, 1)
        self.blocks = nn.ModuleList(
            _WaveNetBlock(config.hidden, d, config.gated, config.residual, config.dropout)
            for d in config.dilations
        )
        self.norm = nn.LayerNorm(config.hidden) if config.layer_norm else nn.Identity()

    def forward(self, x: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        h = self.inp(x.transpose(1, 2))
        skips = 0
        for block in self.blocks:
            h, skip = block(h, last_only)
            skips = skips + skip
        out = torch.relu(skips) if self.residual else h
        if last_only:
            out = out[..., -1:]
        return self.norm(out.transpose(1, 2))


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
            # Window-level normalisation (like RevIN, centring only): the target and past
            # covariates are re-centred on their mean so far in the window, and the forecast
            # is a deviation from the target's level. The network then never sees a level it
            # was not trained on, which is what breaks globally scaled inputs on trending data.
            # The running (causal) mean keeps sequence-to-sequence targets out of the inputs.
            steps = torch.arange(1, x.shape[1] + 1, dtype=x.dtype, device=x.device)
            level = x[:, :, :n_level].cumsum(dim=1) / steps[:, None]
            x = torch.cat([x[:, :, :n_level] - level, x[:, :, n_level:]], dim=2)
        hidden = self.encoder(x, last_only=not every_step)
        if not every_step:
            hidden = hidden[:, -1]
        out = self.head(hidden, future)
        if n_level:
            target_level = level[:, :, 0] if every_step else level[:, -1, 0]
            out = out + target_level.unsqueeze(-1)
        return out


def build_network(config: NetworkConfig) -> Forecaster1D:
    """The network described by ``config``."""
    return Forecaster1D(config)
