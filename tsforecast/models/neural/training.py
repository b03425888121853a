"""A lean, explicit training loop: seeded, clipped, early-stopped, learning-rate scheduled."""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from tsforecast.models.features import LOSS_NAMES
from tsforecast.models.neural import defaults
from tsforecast.models.neural.windows import WindowData
from tsforecast.persistence.state import state_dataclass

__all__ = ["TrainConfig", "TrainHistory", "train", "predict_windows", "LOSSES", "INFERENCE_CHUNK", "epoch_order"]

#: loss name (the names are listed once, in :data:`LOSS_NAMES`) -> loss module
LOSSES: dict[str, Callable[[], nn.Module]] = dict(
    zip(LOSS_NAMES, (nn.HuberLoss, nn.MSELoss, nn.L1Loss), strict=True)
)

_log = logging.getLogger(__name__)

#: progress callback: (epoch, max_epochs, train_loss, validation_loss)
ProgressCallback = Callable[[int, int, float, float], None]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (see :class:`tsforecast.models.neural.estimator.NeuralForecaster`);
    the defaults are the estimators' (:mod:`tsforecast.models.neural.defaults`)."""

    max_epochs: int = defaults.MAX_EPOCHS
    min_epochs: int = defaults.MIN_EPOCHS
    batch_size: int = defaults.BATCH_SIZE
    learning_rate: float = defaults.LEARNING_RATE
    loss: str = defaults.LOSS
    clip_norm: float = 1.0  # gradient-norm clipping
    patience: int = defaults.PATIENCE
    lr_patience: int = 6  # epochs without progress before the learning rate is cut...
    lr_factor: float = 0.5  # ...by this factor
    seq2seq: bool = defaults.SEQ2SEQ
    seed: int = defaults.SEED
    epoch_windows: int | None = defaults.EPOCH_WINDOWS  # training windows drawn per epoch (None: all of them)


@state_dataclass  # saved in model files
@dataclass
class TrainHistory:
    """Per-epoch losses and where the restored (best) weights came from."""

    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0


#: windows per forward pass outside training: large enough to be fast, small enough that a
#: long history (100,000 points) never needs its validation windows in memory at once
INFERENCE_CHUNK = 1024


def predict_windows(model: nn.Module, data: WindowData, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Direct (last-step) forecasts and targets of the samples at ``starts``, in chunks."""
    model.eval()
    predicted, targets = [], []
    with torch.no_grad():
        for chunk in starts.split(INFERENCE_CHUNK):
            x, future, y = data.batch(chunk, every_step=False)
            predicted.append(model(x, future))
            targets.append(y)
    return torch.cat(predicted), torch.cat(targets)


def _loss_on(model: nn.Module, data: WindowData, starts: torch.Tensor, loss_fn,
             weights: torch.Tensor | None = None) -> float:
    """The loss of the direct forecasts at ``starts``: the plain mean, or with ``weights``
    (one per start, summing to 1) the weighted mean of each window's loss."""
    predicted, targets = predict_windows(model, data, starts)
    if weights is None:
        return float(loss_fn(predicted, targets))
    per_window = type(loss_fn)(reduction="none")(predicted, targets).mean(dim=1)
    return float((per_window * weights).sum())


def epoch_order(
    train_starts: torch.Tensor, weights: torch.Tensor | None, epoch_windows: int | None, shuffle: torch.Generator
) -> torch.Tensor:
    """The training samples one epoch visits, in order. Unweighted: a fresh permutation, cut
    to ``epoch_windows``. Weighted (a panel sampled by series): as many draws, with
    replacement, each sample with its weight's probability."""
    if weights is None:
        return train_starts[torch.randperm(len(train_starts), generator=shuffle)][:epoch_windows]
    count = len(train_starts) if epoch_windows is None else min(epoch_windows, len(train_starts))
    return train_starts[torch.multinomial(weights, count, replacement=True, generator=shuffle)]


def train(
    model: nn.Module,
    data: WindowData,
    train_starts: torch.Tensor,
    validation_starts: torch.Tensor,
    config: TrainConfig,
    progress: ProgressCallback | None = None,
    train_weights: torch.Tensor | None = None,
    validation_weights: torch.Tensor | None = None,
) -> TrainHistory:
    """Train ``model`` in place on the samples starting at ``train_starts``.

    Early stopping watches the loss of the direct (last-step) forecast on the chronologically
    later ``validation_starts``; the best weights from epoch ``min_epochs`` on are restored at
    the end (earlier epochs are a warm-up). Each epoch visits ``config.epoch_windows`` of the
    training samples, drawn afresh (all of them when None or fewer). With ``train_weights``
    (one per training sample) an epoch draws that many samples with replacement, each with
    its weight's probability; ``validation_weights`` (one per validation sample, summing to 1)
    weigh the early-stopping loss (a global model gives every series the same weight in
    both). The loop is deterministic for a given ``config.seed`` on CPU.
    """
    torch.manual_seed(config.seed)
    shuffle = torch.Generator().manual_seed(config.seed)
    loss_fn = LOSSES[config.loss]()
    # fused: one kernel for all parameters instead of a dozen small ops per tensor, which at
    # these model sizes is a sizeable share of each step on a CPU
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate, fused=True)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimiser, factor=config.lr_factor, patience=config.lr_patience
    )
    history = TrainHistory()
    best_loss, best_state, waited = math.inf, copy.deepcopy(model.state_dict()), 0
    warm_up = min(config.min_epochs, config.max_epochs)  # the first epoch whose weights count
    for epoch in range(1, config.max_epochs + 1):
        model.train()
        order = epoch_order(train_starts, train_weights, config.epoch_windows, shuffle)
        running, seen = 0.0, 0
        for chunk in order.split(config.batch_size):
            x, future, y = data.batch(chunk, every_step=config.seq2seq)
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(model(x, future, every_step=config.seq2seq), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm, foreach=True)
            optimiser.step()
            running += loss.detach().item() * len(chunk)
            seen += len(chunk)
        train_loss = running / max(seen, 1)
        if len(validation_starts):
            val_loss = _loss_on(model, data, validation_starts, loss_fn, validation_weights)
        else:
            val_loss = train_loss
        history.train_loss.append(train_loss)
        history.validation_loss.append(val_loss)
        scheduler.step(val_loss)
        if progress is not None:
            progress(epoch, config.max_epochs, train_loss, val_loss)
        _log.debug("epoch %d/%d: train loss %.5f, validation loss %.5f", epoch, config.max_epochs, train_loss, val_loss)
        if epoch < warm_up:
            continue  # warm-up: no early stop, and these weights are never restored
        if val_loss < best_loss - 1e-6 or epoch == warm_up:
            best_loss, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
            history.best_epoch = epoch
        else:
            waited += 1
            if waited >= config.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    _log.info("trained %d epochs; restored the weights of epoch %d", len(history.train_loss), history.best_epoch)
    return history
