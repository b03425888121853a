"""Windowed neural forecasters: SimpleRNN, LSTM, GRU and WaveNet, one training path.

Each model reads the last ``window`` observations (default: 8 seasons, 56 for daily data,
adapted to long seasons and short histories: :mod:`tsforecast.models.window_rules`) and
outputs the next ``output_steps`` values at once (a direct multi-step head); longer forecasts
continue recursively. Scaling is fitted on the training data only. With ``normalize="last"``
(the default, NLinear's choice) the target and past covariates are also re-centred on each
window's last observation and the network forecasts the change from it: a zero output is the
naive forecast, which a random walk (a stock price) needs, and a series that drifts to levels
never seen in training (ridership falling year after year) is not extrapolated by a network
that has only seen the training range. ``"window"`` centres on the window's running mean
instead; ``"global"`` uses the training-data standardisation alone. Sequence-to-sequence
training forecasts from every step, so there ``"last"`` centres the inputs on the running mean
and anchors each step's forecast on that step's observation, which stays causal.
The head ties forecast step ``k`` to the known features of step ``k`` only.

:meth:`update` only appends observations: the network needs nothing but the latest window,
so a trained model rolls forward without retraining.

The estimator is composed of one part per concern, each in its own module:

- :mod:`~tsforecast.models.neural.inputs`: covariates and features, what the network reads;
- :mod:`~tsforecast.models.neural.windows`: training windows and the held-out tail;
- :mod:`~tsforecast.models.neural.fitting`: fitting one series or a panel (``fit_global``);
- :mod:`~tsforecast.models.neural.training`: the training loop;
- :mod:`tsforecast.models.calibration`: intervals and path noise (shared with ``ridge``);
- :mod:`~tsforecast.models.neural.recursion`: recursive forecasts, sample paths, ``predict_at``;
- :mod:`~tsforecast.models.neural.networks`: the PyTorch modules;
- :mod:`~tsforecast.models.neural.defaults`: every default setting, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsforecast.core.errors import ConfigError, ModelFileError
from tsforecast.core.params import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_int_sequence,
    check_seed,
)
from tsforecast.models.base import Forecaster
from tsforecast.models.calibration import ConformalIntervals
from tsforecast.models.features import LOSS_NAMES
from tsforecast.models.neural import defaults
from tsforecast.models.neural.fitting import GlobalTraining
from tsforecast.models.neural.inputs import CovariateInputs
from tsforecast.models.neural.recursion import RecursiveForecasts
from tsforecast.models.window_rules import WindowRules

__all__ = ["NeuralForecaster", "SimpleRNN", "LSTM", "GRU", "WaveNet", "SCOPES"]

#: the values of ``scope``: one network across a panel's series, or one per series
SCOPES = ("global", "local")

# PyTorch is imported inside the methods that use it: importing tsforecast (or asking the CLI
# for --help) must not pay the seconds torch takes to load.


class NeuralForecaster(
    GlobalTraining, RecursiveForecasts, CovariateInputs, ConformalIntervals, WindowRules, Forecaster
):
    """Shared windowed training and forecasting; subclasses choose the network ``kind``.

    Parameters
    ----------
    window
        Input length. Default (None): 8 seasons (56 for daily data), capped for long seasons
        (:func:`~tsforecast.models.window_rules.default_window`) and shortened on short histories so
        that at least ``MIN_TRAINING_WINDOWS`` training windows remain (not below ``min_window``);
        the window used is ``window_``.
    output_steps
        Outputs of the direct head; longer horizons continue recursively.
    hidden, num_layers, dropout, layer_norm
        Size of the recurrent stack.
    seq2seq
        Train on a horizon-long target at every time step instead of the last only.
    past_covariates
        Columns of ``X`` known only up to the forecast origin; other columns of ``X`` are
        known in advance and needed for forecast timestamps.
    calendar
        Add day-of-week, hour-of-day and day-of-year features.
    normalize
        ``"last"`` (default): inputs and forecast relative to the window's last observation
        (as NLinear), so a zero output is the naive forecast; ``"window"``: relative to the
        window's running mean; ``"global"``: the training-data standardisation only.
    max_epochs, min_epochs, batch_size, learning_rate, loss, patience, validation_fraction
        Training: Adam, ``"huber"``/``"mse"``/``"mae"`` loss; the chronologically last
        ``validation_fraction`` of the windows is held out, its first half for early stopping
        and its second half for interval calibration. The first
        ``min_epochs`` are a warm-up: early stopping neither stops in them nor restores their
        weights (on short series a noisy validation loss often favoured the first epoch,
        leaving the network untrained).
    epoch_windows
        Training windows drawn at random (without replacement) for each epoch; None: all of
        them. The default, 8,192, leaves any series of up to about 9,000 observations trained
        on all its windows every epoch, and bounds an epoch's cost on a panel of thousands of
        series (a global model) or a very long series; the early-stopping set is thinned
        evenly to the same size.
    scope
        ``"global"`` (default): given several series at once (:meth:`fit_global`, or a
        backtest of a panel), one network is trained on the windows of all of them, each
        series standardised on its own; ``"local"``: a network per series. On a single
        series the two are the same fit.
    sample
        How a global fit draws an epoch's training windows: ``"series"`` (default) picks each
        window's series uniformly, then a window of that series, so a series of four years
        weighs as much as one of four months (the early-stopping loss weighs every series'
        held-out tail equally too); ``"windows"`` draws every window alike, as a single series
        is always trained.
    panel_scale
        How a global fit scales each series (after centring it on its mean): ``"seasonal"``
        divides by its mean absolute seasonal difference, the MASE denominator, so the
        training loss weighs each series' errors as MASE scores them (a standard deviation
        inflated by a trend or a level shift would shrink that series' errors); ``"window"``
        (default) does that and also divides every window the network reads by the window's
        own mean absolute deviation (after ``normalize``'s centring; RevIN's scaling, what
        neuralforecast's per-window scalers do), multiplying the forecast's deviation back, so
        a series whose level and swings changed (CTA ridership after 2020: a third of the
        level it trained on) is read at the scale the network learned (with
        ``normalize="global"`` there is no window centring and so no window scaling);
        ``"std"`` by its standard deviation, as a single series always is.
    seed
        Seeds initialisation and shuffling: the same seed gives the same numbers on CPU.
    n_threads
        ``torch.set_num_threads`` while fitting and forecasting. The default, 1, makes the
        numbers independent of the machine and of a backtest's ``n_jobs``: PyTorch splits its
        reductions by thread, so 1 and 2 threads differ in the last digits, which training
        amplifies (lstm on ridership: 29,429 vs 29,479 MAE). At these model sizes a second
        thread saves under 10%. None leaves PyTorch's setting alone.
    progress
        Called after every epoch with ``(epoch, max_epochs, train_loss, validation_loss)``.

    Defaults come from :mod:`tsforecast.models.neural.defaults`.
    """

    supports_exog = True
    requires_variance = True
    kind: ClassVar[str] = "lstm"

    def __init__(
        self,
        window: int | None = None,
        output_steps: int = defaults.OUTPUT_STEPS,
        hidden: int = defaults.HIDDEN,
        num_layers: int = defaults.NUM_LAYERS,
        dropout: float = defaults.DROPOUT,
        layer_norm: bool = defaults.LAYER_NORM,
        seq2seq: bool = defaults.SEQ2SEQ,
        past_covariates: tuple[str, ...] = (),
        calendar: bool = defaults.CALENDAR,
        normalize: str = defaults.NORMALIZE,
        max_epochs: int = defaults.MAX_EPOCHS,
        min_epochs: int = defaults.MIN_EPOCHS,
        batch_size: int = defaults.BATCH_SIZE,
        learning_rate: float = defaults.LEARNING_RATE,
        loss: str = defaults.LOSS,
        patience: int = defaults.PATIENCE,
        validation_fraction: float = defaults.VALIDATION_FRACTION,
        epoch_windows: int | None = defaults.EPOCH_WINDOWS,
        scope: str = defaults.SCOPE,
        sample: str = defaults.SAMPLE,
        panel_scale: str = defaults.PANEL_SCALE,
        seed: int = defaults.SEED,
        n_threads: int | None = defaults.N_THREADS,
        progress: Callable[[int, int, float, float], None] | None = None,
    ) -> None:
        self.window = window
        self.output_steps = output_steps
        self.hidden = hidden
        self.num_layers = num_layers
        self.dropout = dropout
        self.layer_norm = layer_norm
        self.seq2seq = seq2seq
        self.past_covariates = past_covariates
        self.calendar = calendar
        self.normalize = normalize
        self.max_epochs = max_epochs
        self.min_epochs = min_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.loss = loss
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.epoch_windows = epoch_windows
        self.scope = scope
        self.sample = sample
        self.panel_scale = panel_scale
        self.seed = seed
        self.n_threads = n_threads
        self.progress = progress

    @classmethod
    def test_params(cls) -> dict:
        return {"window": 14, "output_steps": 7, "hidden": 8, "max_epochs": 2}

    # --------------------------------------------------------------- configuration
    def check_params(self) -> None:
        name = self.short_name
        check_int(name, "window", self.window, 2, allow_none=True)
        for param in ("output_steps", "hidden", "max_epochs", "min_epochs", "batch_size", "patience"):
            check_int(name, param, getattr(self, param), 1)
        check_int(name, "n_threads", self.n_threads, 1, allow_none=True)
        check_seed(name, "seed", self.seed)
        check_float(name, "dropout", self.dropout, 0, 1, high_open=True)
        check_float(name, "learning_rate", self.learning_rate, 0, low_open=True)
        check_float(name, "validation_fraction", self.validation_fraction, 0, 0.5, low_open=True, high_open=True)
        check_int(name, "epoch_windows", self.epoch_windows, 1, allow_none=True)
        check_choice(name, "scope", self.scope, SCOPES)
        check_choice(name, "sample", self.sample, defaults.SAMPLES)
        check_choice(name, "panel_scale", self.panel_scale, defaults.PANEL_SCALES)
        for param in ("layer_norm", "seq2seq", "calendar"):
            check_bool(name, param, getattr(self, param))
        check_choice(name, "loss", self.loss, LOSS_NAMES)
        check_choice(name, "normalize", self.normalize, ("last", "window", "global"))
        self._past_names()
        if self.progress is not None and not callable(self.progress):
            raise ConfigError(f"{name}: progress must be a function or None, got {self.progress!r}.")
        self._check_network_params()

    def _check_network_params(self) -> None:
        check_int(self.short_name, "num_layers", self.num_layers, 1)

    def _held_out_fraction(self) -> float:
        return self.validation_fraction

    def _network_extras(self) -> dict:
        """The network settings of this kind of network (the recurrent depth)."""
        return {"num_layers": self.num_layers}

    # ------------------------------------------------------------ saving, rolling forward
    @classmethod
    def state_dataclasses(cls) -> tuple[type, ...]:
        """The network's configuration and training history: their modules import PyTorch,
        which importing this class does not."""
        from tsforecast.models.neural.networks import NetworkConfig
        from tsforecast.models.neural.training import TrainHistory

        return (NetworkConfig, TrainHistory)

    def _saved_state(self) -> dict[str, Any]:
        # the network as its weights (float32 arrays); rebuilt from network_config_ on load
        state = super()._saved_state()
        state["network_"] = {name: tensor.detach().cpu().numpy() for name, tensor in self.network_.state_dict().items()}
        return state

    def _restore_state(self, state: dict[str, Any]) -> None:
        import torch

        from tsforecast.models.neural.networks import build_network

        weights = state.pop("network_")
        super()._restore_state(state)
        config = self.network_config_
        # every layer has weights of its own: more layers than saved weights is a crafted file,
        # refused before building even a meta network (its cost grows with the layer count)
        layers = len(config.dilations) if config.kind == "wavenet" else config.num_layers
        if layers > len(weights):
            raise ModelFileError(
                f"the model file's network configuration has {layers} layers but only {len(weights)} saved "
                "weights; it was modified or damaged."
            )
        # the configuration is checked against the saved weights on PyTorch's meta device (shapes,
        # no memory) before the network is built: a file whose configuration asks for a network
        # of gigabytes is refused before it can allocate them
        with torch.device("meta"):
            expected = {name: tuple(t.shape) for name, t in build_network(self.network_config_).state_dict().items()}
        saved = {name: tuple(np.shape(array)) for name, array in weights.items()}
        if expected != saved:
            differ = sorted(set(expected) ^ set(saved)) or [n for n in expected if expected[n] != saved[n]]
            raise ModelFileError(
                f"the model file's network configuration does not match its saved weights (first difference: "
                f"{differ[0]!r}); it was modified or damaged."
            )
        network = build_network(self.network_config_)
        network.load_state_dict({name: torch.from_numpy(np.array(array)) for name, array in weights.items()})
        self.network_ = network.eval()

    updates_in_place = True  # _update below rolls forward without refitting (Forecaster.updates_in_place)

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        """Nothing to re-estimate: forecasts read the latest window of the extended history."""


class SimpleRNN(NeuralForecaster):
    """Elman recurrent network (``nn.RNN``, tanh) stacked ``num_layers`` deep."""

    short_name = "rnn"
    kind = "rnn"


class LSTM(NeuralForecaster):
    """Long short-term memory network stacked ``num_layers`` deep."""

    short_name = "lstm"
    kind = "lstm"


class GRU(NeuralForecaster):
    """Gated recurrent unit network stacked ``num_layers`` deep."""

    short_name = "gru"
    kind = "gru"


class WaveNet(NeuralForecaster):
    """WaveNet-style stack of dilated causal Conv1D layers (kernel 2).

    ``dilations`` default to 1, 2, 4, 8 twice; ``gated`` and ``residual`` switch the gated
    activations and residual/skip connections (both off: a plain ReLU conv stack). The other
    parameters are :class:`NeuralForecaster`'s (listed again because scikit-learn reads them
    from the signature), with the same defaults.
    """

    short_name = "wavenet"
    kind = "wavenet"

    def __init__(
        self,
        window: int | None = None,
        output_steps: int = defaults.OUTPUT_STEPS,
        hidden: int = defaults.HIDDEN,
        dilations: tuple[int, ...] = defaults.DILATIONS,
        gated: bool = defaults.GATED,
        residual: bool = defaults.RESIDUAL,
        dropout: float = defaults.DROPOUT,
        layer_norm: bool = defaults.LAYER_NORM,
        seq2seq: bool = defaults.SEQ2SEQ,
        past_covariates: tuple[str, ...] = (),
        calendar: bool = defaults.CALENDAR,
        normalize: str = defaults.NORMALIZE,
        max_epochs: int = defaults.MAX_EPOCHS,
        min_epochs: int = defaults.MIN_EPOCHS,
        batch_size: int = defaults.BATCH_SIZE,
        learning_rate: float = defaults.LEARNING_RATE,
        loss: str = defaults.LOSS,
        patience: int = defaults.PATIENCE,
        validation_fraction: float = defaults.VALIDATION_FRACTION,
        epoch_windows: int | None = defaults.EPOCH_WINDOWS,
        scope: str = defaults.SCOPE,
        sample: str = defaults.SAMPLE,
        panel_scale: str = defaults.PANEL_SCALE,
        seed: int = defaults.SEED,
        n_threads: int | None = defaults.N_THREADS,
        progress: Callable[[int, int, float, float], None] | None = None,
    ) -> None:
        self.window = window
        self.output_steps = output_steps
        self.hidden = hidden
        self.dilations = dilations
        self.gated = gated
        self.residual = residual
        self.dropout = dropout
        self.layer_norm = layer_norm
        self.seq2seq = seq2seq
        self.past_covariates = past_covariates
        self.calendar = calendar
        self.normalize = normalize
        self.max_epochs = max_epochs
        self.min_epochs = min_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.loss = loss
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.epoch_windows = epoch_windows
        self.scope = scope
        self.sample = sample
        self.panel_scale = panel_scale
        self.seed = seed
        self.n_threads = n_threads
        self.progress = progress

    def _network_extras(self) -> dict:
        return {"dilations": tuple(self.dilations), "gated": self.gated, "residual": self.residual}

    def _check_network_params(self) -> None:
        check_int_sequence(self.short_name, "dilations", self.dilations, low=1)
        check_bool(self.short_name, "gated", self.gated)
        check_bool(self.short_name, "residual", self.residual)

    @classmethod
    def test_params(cls) -> dict:
        return {"window": 14, "output_steps": 7, "hidden": 8, "max_epochs": 2, "dilations": (1, 2)}
