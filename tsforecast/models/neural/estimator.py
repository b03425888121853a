"""Windowed neural forecasters: SimpleRNN, LSTM, GRU and WaveNet, one training path.

How they forecast
-----------------
Each model reads the last ``window`` observations (default: 8 seasons, 56 for daily data,
adapted to long seasons and short histories: :mod:`tsforecast.models.window_rules`) and
outputs the next ``output_steps`` values at once (a direct multi-step head). Forecasts longer
than ``output_steps`` continue recursively: the forecast block is appended to the input as if
observed and the next block is predicted (not possible with ``past_covariates``, whose future
values are unknown). Scaling is fitted on the training data only. With ``normalize="last"``
(the default, NLinear's choice) the target and past covariates are also re-centred on each
window's last observation and the network forecasts the change from it: a zero output is the
naive forecast, which a random walk (a stock price) needs, and a series that drifts to levels
never seen in training (ridership falling year after year) is not extrapolated by a network
that has only seen the training range. ``"window"`` centres on the window's running mean
instead; ``"global"`` uses the training-data standardisation alone. Sequence-to-sequence
training forecasts from every step, so there ``"last"`` centres the inputs on the running mean
and anchors each step's forecast on that step's observation, which stays causal.
The head ties forecast step ``k`` to the known features of step ``k`` only.

:meth:`NeuralForecaster.predict_at` forecasts from many cutoffs in the history in one
batched forward pass (for backtests and validation curves).

Covariates
----------
Columns of ``X`` named in ``past_covariates`` are inputs known only up to the forecast
origin (e.g. bus when forecasting rail); every other column is known in advance (e.g. a day
type) and must be given for forecast timestamps too. ``calendar=True`` adds day-of-week and
day-of-year features computed from the timestamps.

Training and intervals
----------------------
Adam, Huber loss by default, gradient-norm clipping, and a chronological held-out tail
(``validation_fraction`` of the windows, purged so no training target overlaps it) cut in two:
its first half drives early stopping (best-weight restore, a plateau learning-rate schedule),
its second, most recent half calibrates the intervals. Calibration never reuses the windows
that chose the weights: their errors are optimistic by selection (on daily ridership that cost
several points of coverage). Prediction intervals are split-conformal, locally scaled
(:mod:`tsforecast.models.conformal`): each calibration residual, per horizon step, is divided
by the mean absolute seasonal difference of the window the forecast read, and a forecast's
half-width is the conformal quantile of those ratios times its own window's scale, so
intervals widen when the series turns volatile. Step ``j`` past ``output_steps`` (block
``b``) is forecast from forecasts, so its variance adds ``b`` times the last in-block step's
to that of its position in the block.

:meth:`update` only appends observations: the network needs nothing but the latest window,
so a trained model rolls forward without retraining.

Global models
-------------
:meth:`NeuralForecaster.fit_global` (and a backtest of several series, with the default
``scope="global"``) trains one network on the windows of many series: each series is
standardised on its own, its latest windows are held out (purged) and split between early
stopping and calibration as above, the training windows of all series are shuffled together
(at most ``epoch_windows`` per epoch), and the calibration ratios, being unit-free, pool
across series. It returns a fitted forecaster per series sharing the network; fitted on one
series it is exactly :meth:`fit`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsforecast.core.errors import ConfigError, DataError, ModelFileError, TsforecastError
from tsforecast.core.frequency import future_index
from tsforecast.core.params import (
    check_bool,
    check_choice,
    check_float,
    check_horizon,
    check_int,
    check_int_sequence,
    check_names,
    check_seed,
)
from tsforecast.data.exog import ExogSchema, align_exog
from tsforecast.models.base import Forecaster
from tsforecast.models.conformal import block_widths, floor_scale, latest_scales, scale_lag, window_scales
from tsforecast.models.features import LOSS_NAMES, Scaler, calendar_features
from tsforecast.models.window_rules import WindowRules

__all__ = ["NeuralForecaster", "SimpleRNN", "LSTM", "GRU", "WaveNet", "SCOPES"]

#: the values of ``scope``: one network across a panel's series, or one per series
SCOPES = ("global", "local")

if TYPE_CHECKING:
    import torch

# PyTorch is imported inside the methods that use it: importing tsforecast (or asking the CLI
# for --help) must not pay the seconds torch takes to load.


@contextlib.contextmanager
def _torch_threads(n_threads: int | None) -> Iterator[None]:
    """Use ``n_threads`` intra-op threads inside the block, then restore the previous value."""
    if n_threads is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class NeuralForecaster(WindowRules, Forecaster):
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
    """

    supports_exog = True
    requires_variance = True
    kind: ClassVar[str] = "lstm"

    def __init__(
        self,
        window: int | None = None,
        output_steps: int = 14,
        hidden: int = 32,
        num_layers: int = 1,
        dropout: float = 0.0,
        layer_norm: bool = False,
        seq2seq: bool = False,
        past_covariates: tuple[str, ...] = (),
        calendar: bool = True,
        normalize: str = "last",
        max_epochs: int = 200,
        min_epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 3e-3,
        loss: str = "huber",
        patience: int = 15,
        validation_fraction: float = 0.15,
        epoch_windows: int | None = 8192,
        scope: str = "global",
        seed: int = 0,
        n_threads: int | None = 1,
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
        self.seed = seed
        self.n_threads = n_threads
        self.progress = progress

    @classmethod
    def test_params(cls) -> dict:
        return {"window": 14, "output_steps": 7, "hidden": 8, "max_epochs": 2}

    # --------------------------------------------------------------- configuration
    def _held_out_fraction(self) -> float:
        return self.validation_fraction

    def _network_extras(self) -> dict:
        return {"num_layers": self.num_layers}

    def _level(self) -> str:
        """The network's centring for ``normalize`` (sequence-to-sequence needs a causal one)."""
        if self.normalize == "window":
            return "mean"
        return "causal_last" if self.seq2seq else "last"

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

    def _past_names(self) -> tuple[str, ...]:
        """``past_covariates`` as a tuple of names (a single string is one name)."""
        return check_names(self.short_name, "past_covariates", self.past_covariates)

    # ------------------------------------------------------------------ features
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

    # ---------------------------------------------------------------------- fit
    @property
    def is_global(self) -> bool:
        """True with ``scope="global"``: a backtest of several series trains one network per
        fold across all of them (:meth:`fit_global`)."""
        return self.scope == "global"

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        shared, (own,) = self._train([y], [X])
        vars(self).update(shared)
        vars(self).update(own)

    def fit_global(
        self, series: Mapping[Hashable, object], X: Mapping[Hashable, object] | None = None
    ) -> dict[Hashable, NeuralForecaster]:
        """Train one network on the windows of several series and return, per series, a
        fitted forecaster that uses it (``predict``, ``predict_interval``, ``update``,
        ``save`` as after ``fit``).

        ``series`` maps a name to a Series (all of one frequency, each validated as ``fit``
        does, of any lengths); ``X`` maps the same names to their regressors (the same columns
        for every series). Each series is standardised on its own; the window is chosen for
        the longest series (:mod:`~tsforecast.models.window_rules`), and a series needs at least that many
        observations to be forecast. A series too short for a training window of its own is
        still forecast, from the windows of the others. Raises a DataError naming every
        series that cannot be used (wrong frequency, too short, other regressor columns).
        """
        views, problems = self._fit_views(series, X)
        if problems:
            raise DataError(
                f"{self.short_name}: {len(problems)} of {len(views) + len(problems)} series cannot be fitted "
                "globally: " + "; ".join(f"{name!r}: {exc}" for name, exc in list(problems.items())[:5])
                + ("; ..." if len(problems) > 5 else "")
            )
        return views

    def _fit_views(
        self, series: Mapping[Hashable, object], X: Mapping[Hashable, object] | None
    ) -> tuple[dict[Hashable, NeuralForecaster], dict[Hashable, Exception]]:
        """:meth:`fit_global`, reporting the series that cannot be used instead of raising
        (a backtest records them per series and forecasts the rest)."""
        self.check_params()
        if not isinstance(series, Mapping) or not series:
            raise DataError("fit_global needs a mapping of at least one name to its series.")
        views: dict[Hashable, NeuralForecaster] = {}
        problems: dict[Hashable, Exception] = {}
        for name, y in series.items():
            view = clone(self)
            try:
                clean = view._clean(y)
                view._set_frequency(clean.index.freq)
                view._history_parts = [(clean, view._training_exog(None if X is None else X[name], clean.index))]
            except (TsforecastError, KeyError) as exc:
                problems[name] = exc if isinstance(exc, TsforecastError) else DataError(f"no X for series {name!r}")
                continue
            views[name] = view
        if views:
            first = next(iter(views.values()))
            for name, view in list(views.items()):
                if view.freq_ != first.freq_:
                    problems[name] = DataError(f"its frequency {view.freq_.freqstr} differs from {first.freq_.freqstr}")
                elif (view.exog_schema_ is None) != (first.exog_schema_ is None) or (
                        view.exog_schema_ is not None and view.exog_schema_.columns != first.exog_schema_.columns):
                    problems[name] = DataError("its X columns differ from the first series'")
            views = {name: view for name, view in views.items() if name not in problems}
        if not views:
            return views, problems
        # the first series' model (frequency, season, regressor schema set) plans the
        # training; the model fit_global was called on stays as it was
        first = next(iter(views.values()))
        window = first._window_for(max(len(view.y_) for view in views.values()))
        for name, view in list(views.items()):
            if len(view.y_) < window:
                problems[name] = DataError(
                    f"{len(view.y_)} observations, fewer than the window of {window} a forecast reads")
                del views[name]
        if not views:
            return views, problems
        shared, own = first._train([v.y_ for v in views.values()], [v.X_ for v in views.values()])
        for view, state in zip(views.values(), own, strict=True):
            vars(view).update(shared)
            vars(view).update(state)
            view.cutoff_ = view.y_.index[-1]
        return views, problems

    def _train(
        self, ys: list[pd.Series], Xs: list[pd.DataFrame | None]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Train one network on the windows of every series in ``ys`` (one series: a local
        fit; several: a global one). Returns the fitted state all series share (the network,
        the window, the pooled conformity scores) and each series' own (its scalers, scale
        floor and calibration residuals). A series too short for a training window of its own
        contributes none, and is forecast with what the others taught the network.

        Per series, as for a single series: the target and past covariates are standardised
        on that series alone, and the chronologically last ``validation_fraction`` of its
        windows is held out (purged), its first half for early stopping and its latest half
        for calibration; the training windows of all series are pooled and shuffled together.
        Known-in-advance regressors are standardised over the whole panel (they mean the same
        in every series). Calibration errors, divided by the scale of the window each forecast
        read, are unit-free, so they pool across series too.
        """
        import torch

        from tsforecast.models.neural.networks import NetworkConfig, build_network
        from tsforecast.models.neural.training import TrainConfig, predict_windows, train
        from tsforecast.models.neural.windows import stack_series

        window, horizon = self._window_for(max(len(y) for y in ys)), self.output_steps
        columns = [] if Xs[0] is None else list(Xs[0].columns)
        past_columns, known_columns = self._split_columns(columns)
        known_scaler = Scaler.fit(np.concatenate([X[known_columns].to_numpy() for X in Xs])) if known_columns else None
        own: list[dict[str, Any]] = []
        inputs, known = [], []
        for y, X in zip(ys, Xs, strict=True):
            state = {
                "y_scaler_": Scaler.fit(y.to_numpy()),
                "past_scaler_": Scaler.fit(X[past_columns].to_numpy()) if past_columns else None,
            }
            series_inputs, series_known = self._series_inputs(
                y, X, state["y_scaler_"], state["past_scaler_"], past_columns, known_columns, known_scaler)
            own.append(state)
            inputs.append(series_inputs)
            known.append(series_known)
        data, sample_starts = stack_series(inputs, known, window, horizon)
        train_parts, stop_parts, calibration_parts = [], [], []
        for starts in sample_starts:
            n = len(starts)
            n_val = max(2, int(round(n * self.validation_fraction)))
            n_train = n - n_val - (horizon - 1)  # purge: no training target inside the tail
            if n_train < 1:
                starts = starts[:0]
                n, n_val, n_train = 0, 0, 0
            train_parts.append(starts[:n_train])
            # the held-out tail: early stopping on its first half, calibration on its latest half
            stop_parts.append(starts[n - n_val : n - n_val + n_val // 2])
            calibration_parts.append(starts[n - n_val + n_val // 2 : n])
        train_starts = torch.from_numpy(np.concatenate(train_parts))
        if len(train_starts) == 0:
            what = f"{len(ys[0])} observations leave" if len(ys) == 1 else f"none of the {len(ys)} series leaves"
            raise DataError(
                f"{self.short_name}: {what} training windows with window={window} and "
                f"output_steps={horizon}; provide more history."
            )
        stop_starts = torch.from_numpy(np.concatenate(stop_parts))
        if self.epoch_windows is not None and len(stop_starts) > self.epoch_windows:
            # a panel's early-stopping set is thinned evenly to the size of an epoch
            stop_starts = stop_starts[torch.linspace(0, len(stop_starts) - 1, self.epoch_windows).long()]
        calibration_starts = torch.from_numpy(np.concatenate(calibration_parts))
        config = NetworkConfig(
            kind=self.kind,
            n_inputs=data.inputs.shape[1],
            horizon=horizon,
            n_future=data.known.shape[1],
            hidden=self.hidden,
            dropout=self.dropout,
            layer_norm=self.layer_norm,
            level_channels=0 if self.normalize == "global" else 1 + len(past_columns),
            level=self._level(),
            **self._network_extras(),
        )
        with _torch_threads(self.n_threads):
            torch.manual_seed(self.seed)
            network = build_network(config)
            history = train(
                network, data, train_starts, stop_starts,
                TrainConfig(
                    max_epochs=self.max_epochs, min_epochs=self.min_epochs, batch_size=self.batch_size,
                    learning_rate=self.learning_rate, loss=self.loss, patience=self.patience,
                    seq2seq=self.seq2seq, seed=self.seed, epoch_windows=self.epoch_windows,
                ),
                self.progress,
            )
            predicted, target = predict_windows(network, data, calibration_starts)
        lag = scale_lag(self.season_, window)
        ratios, done = [], 0
        for k, (y, state) in enumerate(zip(ys, own, strict=True)):
            count = len(calibration_parts[k])
            state["scale_floor_"] = floor_scale(y.to_numpy(), lag)
            if count == 0:
                state["residuals_"] = np.empty((0, horizon))
                continue
            scaler = state["y_scaler_"]
            actual = scaler.inverse(target[done : done + count].numpy())
            errors = actual - scaler.inverse(predicted[done : done + count].numpy())
            done += count
            # conformity scores: residuals relative to the scale of the window each forecast
            # read; the signed ratios are what sample paths draw their noise from
            state["residuals_"] = np.abs(errors)
            local_starts = calibration_parts[k] - sample_starts[k][0]
            scales = window_scales(y.to_numpy(), local_starts, window, lag)
            ratios.append(errors / np.maximum(scales, state["scale_floor_"])[:, None])
        calibration_errors = np.concatenate(ratios)
        shared = {
            "network_": network, "network_config_": config, "window_": window, "history_": history,
            "past_columns_": past_columns, "known_columns_": known_columns, "known_scaler_": known_scaler,
            "scale_lag_": lag, "calibration_errors_": calibration_errors,
            "conformity_scores_": np.abs(calibration_errors),
            "series_trained_": sum(len(part) > 0 for part in train_parts),
        }
        return shared, own

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

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        """Nothing to re-estimate: forecasts read the latest window of the extended history."""

    # ------------------------------------------------------------------ predict
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

    def _forecast_batch(self, windows: torch.Tensor, future_known: torch.Tensor, horizon: int) -> np.ndarray:
        """Forecasts in original units, ``(B, horizon)``, for input ``windows`` ``(B, W, C)``
        and the known features of the ``n_blocks * output_steps`` steps after each window."""
        import torch

        block = self.output_steps
        n_blocks = math.ceil(horizon / block)
        outputs = []
        with _torch_threads(self.n_threads), torch.no_grad():
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

    def _latest_inputs(self) -> np.ndarray:
        """The network's input matrix for the latest window: what a forecast now reads."""
        X = None if self.X_ is None else self.X_.iloc[-self.window_ :]
        return self._inputs(self.y_.iloc[-self.window_ :], X)[0]

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
        one_step = self.calibration_errors_[:, 0]
        paths = np.empty((horizon, n))
        lag = self.scale_lag_
        with _torch_threads(self.n_threads), torch.no_grad():
            for t in range(horizon):
                future = future_known[:, t : t + block]
                point = self.y_scaler_.inverse(self.network_(windows, future)[:, :1].numpy())[:, 0]
                scale = latest_scales(recent, lag, self.scale_floor_)
                values = point + rng.choice(one_step, size=n) * scale * temperature
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

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        point = self._predict(horizon, X)
        latest = self.y_.to_numpy()[-self.window_ :]  # the window this forecast reads
        scale = latest_scales(latest, self.scale_lag_, self.scale_floor_)
        width = block_widths(self.conformity_scores_, coverage, float(scale), horizon, self.output_steps)
        return point - width, point + width


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
    activations and residual/skip connections (both off: a plain ReLU conv stack).
    """

    short_name = "wavenet"
    kind = "wavenet"

    def __init__(
        self,
        window: int | None = None,
        output_steps: int = 14,
        hidden: int = 32,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8),
        gated: bool = True,
        residual: bool = True,
        dropout: float = 0.0,
        layer_norm: bool = False,
        seq2seq: bool = False,
        past_covariates: tuple[str, ...] = (),
        calendar: bool = True,
        normalize: str = "last",
        max_epochs: int = 200,
        min_epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 3e-3,
        loss: str = "huber",
        patience: int = 15,
        validation_fraction: float = 0.15,
        epoch_windows: int | None = 8192,
        scope: str = "global",
        seed: int = 0,
        n_threads: int | None = 1,
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
