"""Fitting a neural forecaster on one series or on a panel (one network for many series).

Adam, Huber loss by default, gradient-norm clipping and early stopping
(:mod:`tsforecast.models.neural.training`) on the windows of every series, each series'
latest windows held out and split between early stopping and calibration
(:func:`~tsforecast.models.neural.windows.held_out_starts`). Prediction intervals are
split-conformal, locally scaled (:mod:`tsforecast.models.calibration`): each calibration
residual, per horizon step, is divided by the mean absolute seasonal difference of the window
the forecast read.

:meth:`GlobalTraining.fit_global` (and a backtest of several series, with the default
``scope="global"``) trains one network on the windows of many series: each series is
standardised on its own, the training windows of all series are drawn together (at most
``epoch_windows`` per epoch; with ``sample="series"``, the default, each series equally likely
however long its history, and every series' held-out tail weighs the same in early stopping;
each series is scaled by its seasonal-naive MAE so the loss weighs errors as MASE does, and with
``panel_scale="window"``, the default, every window is also read at its own scale, so a level
shift does not leave the latest windows at a scale training never saw), and the calibration
ratios, being unit-free, pool across series.
It returns a fitted forecaster per series sharing the network; fitted on one series it is
exactly :meth:`fit`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsforecast.core.errors import DataError, TsforecastError
from tsforecast.core.threads import torch_threads
from tsforecast.evaluation.metrics import seasonal_naive_scale
from tsforecast.models.calibration import calibration_ratios
from tsforecast.models.conformal import floor_scale, scale_lag
from tsforecast.models.features import Scaler

if TYPE_CHECKING:
    from tsforecast.models.neural.networks import NetworkConfig
    from tsforecast.models.neural.training import TrainConfig

__all__ = ["GlobalTraining"]


class GlobalTraining:
    """``fit``, :meth:`fit_global` and :meth:`fit_global_partial` of
    :class:`~tsforecast.models.neural.estimator.NeuralForecaster`: one training path for a
    single series and for a panel.

    The host model has the training parameters (``output_steps``, ``validation_fraction``,
    ``epoch_windows``, ``seed``, ``n_threads``, ``progress``, ``scope``), its input features
    (:class:`~tsforecast.models.neural.inputs.CovariateInputs`), the window rule
    (:class:`~tsforecast.models.window_rules.WindowRules`), the network parameters
    (``hidden``, ``dropout``, ``layer_norm``, ``normalize``, its ``kind`` and the settings of
    that kind, ``_network_extras``) and the optimisation parameters (``max_epochs`` ...).
    """

    short_name: str
    output_steps: int
    validation_fraction: float
    epoch_windows: int | None
    seed: int
    n_threads: int | None
    progress: Callable[[int, int, float, float], None] | None
    scope: str
    sample: str
    panel_scale: str
    season_: int
    kind: str
    hidden: int
    dropout: float
    layer_norm: bool
    normalize: str
    seq2seq: bool
    max_epochs: int
    min_epochs: int
    batch_size: int
    learning_rate: float
    loss: str
    patience: int

    def _network_extras(self) -> dict:
        """The settings of this kind of network (the estimator's subclasses give them)."""
        raise NotImplementedError

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
    ) -> dict[Hashable, Self]:
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
        views, problems = self.fit_global_partial(series, X)
        if problems:
            raise DataError(
                f"{self.short_name}: {len(problems)} of {len(views) + len(problems)} series cannot be fitted "
                "globally: " + "; ".join(f"{name!r}: {exc}" for name, exc in list(problems.items())[:5])
                + ("; ..." if len(problems) > 5 else "")
            )
        return views

    def fit_global_partial(
        self, series: Mapping[Hashable, object], X: Mapping[Hashable, object] | None = None
    ) -> tuple[dict[Hashable, Self], dict[Hashable, Exception]]:
        """:meth:`fit_global` on the series that can be used: returns (a fitted forecaster per
        usable series, the error that excluded each other series) instead of raising, so a
        backtest records the failures per series and forecasts the rest. Raises a DataError
        only when ``series`` is not a non-empty mapping; the model it is called on stays
        unfitted."""
        self.check_params()
        if not isinstance(series, Mapping) or not series:
            raise DataError("fit_global needs a mapping of at least one name to its series.")
        views: dict[Hashable, Self] = {}
        problems: dict[Hashable, Exception] = {}
        for name, y in series.items():
            view = clone(self)
            try:
                view.start_history(y, None if X is None else X[name])
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

        from tsforecast.models.neural.networks import build_network
        from tsforecast.models.neural.training import predict_windows, train
        from tsforecast.models.neural.windows import held_out_starts, series_weights, stack_series

        window, horizon = self._window_for(max(len(y) for y in ys)), self.output_steps
        columns = [] if Xs[0] is None else list(Xs[0].columns)
        past_columns, known_columns = self._split_columns(columns)
        known_scaler = Scaler.fit(np.concatenate([X[known_columns].to_numpy() for X in Xs])) if known_columns else None
        own: list[dict[str, Any]] = []
        inputs, known = [], []
        for y, X in zip(ys, Xs, strict=True):
            state = {
                "y_scaler_": self._target_scaler(y.to_numpy(), panel=len(ys) > 1),
                "past_scaler_": Scaler.fit(X[past_columns].to_numpy()) if past_columns else None,
            }
            series_inputs, series_known = self._series_inputs(
                y, X, state["y_scaler_"], state["past_scaler_"], past_columns, known_columns, known_scaler)
            own.append(state)
            inputs.append(series_inputs)
            known.append(series_known)
        data, sample_starts = stack_series(inputs, known, window, horizon)
        train_parts, stop_parts, calibration_parts = held_out_starts(sample_starts, self.validation_fraction, horizon)
        train_starts = torch.from_numpy(np.concatenate(train_parts))
        if len(train_starts) == 0:
            what = f"{len(ys[0])} observations leave" if len(ys) == 1 else f"none of the {len(ys)} series leaves"
            raise DataError(
                f"{self.short_name}: {what} training windows with window={window} and "
                f"output_steps={horizon}; provide more history."
            )
        stop_starts = torch.from_numpy(np.concatenate(stop_parts))
        stop_series = torch.from_numpy(np.repeat(np.arange(len(stop_parts)), [len(p) for p in stop_parts]))
        if self.epoch_windows is not None and len(stop_starts) > self.epoch_windows:
            # a panel's early-stopping set is thinned evenly to the size of an epoch
            keep = torch.linspace(0, len(stop_starts) - 1, self.epoch_windows).long()
            stop_starts, stop_series = stop_starts[keep], stop_series[keep]
        train_weights = stop_weights = None
        if len(ys) > 1 and self.sample == "series":
            # every series weighs the same, however many windows it has: a window's weight is
            # 1 / (its series' windows), in training draws and in the early-stopping loss
            train_weights = series_weights(
                torch.from_numpy(np.repeat(np.arange(len(train_parts)), [len(p) for p in train_parts])))
            stop_weights = series_weights(stop_series) if len(stop_series) else None
        calibration_starts = torch.from_numpy(np.concatenate(calibration_parts))
        config = self._network_config(data.inputs.shape[1], data.known.shape[1], len(past_columns), len(ys) > 1)
        with torch_threads(self.n_threads):
            torch.manual_seed(self.seed)
            network = build_network(config)
            history = train(network, data, train_starts, stop_starts, self._train_config(), self.progress,
                            train_weights, stop_weights)
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
            ratios.append(calibration_ratios(y.to_numpy(), errors, local_starts, window, lag, state["scale_floor_"]))
        calibration_errors = np.concatenate(ratios)
        shared = {
            "network_": network, "network_config_": config, "window_": window, "history_": history,
            "past_columns_": past_columns, "known_columns_": known_columns, "known_scaler_": known_scaler,
            "scale_lag_": lag, "calibration_errors_": calibration_errors,
            "conformity_scores_": np.abs(calibration_errors),
            "series_trained_": sum(len(part) > 0 for part in train_parts),
        }
        return shared, own

    def _target_scaler(self, values: np.ndarray, panel: bool) -> Scaler:
        """The target's scaler: standardisation, or on a panel with ``panel_scale="seasonal"``
        or ``"window"`` the series' mean over its seasonal-naive MAE (kept standardised where that scale is
        not positive: a series constant season to season)."""
        scaler = Scaler.fit(values)
        if panel and self.panel_scale in ("seasonal", "window"):
            scale = seasonal_naive_scale(values, self.season_)
            if np.isfinite(scale) and scale > 0:
                scaler = Scaler(scaler.mean, np.array([scale]))
        return scaler

    def _network_config(self, n_inputs: int, n_future: int, n_past: int, panel: bool = False) -> NetworkConfig:
        """The network for inputs of ``n_inputs`` channels (``n_past`` past covariates) and
        ``n_future`` known features per forecast step; on a ``panel`` with
        ``panel_scale="window"`` it also scales every window on its own."""
        from tsforecast.models.neural.networks import NetworkConfig

        return NetworkConfig(
            kind=self.kind,
            n_inputs=n_inputs,
            horizon=self.output_steps,
            n_future=n_future,
            hidden=self.hidden,
            dropout=self.dropout,
            layer_norm=self.layer_norm,
            level_channels=0 if self.normalize == "global" else 1 + n_past,
            level=self._level(),
            window_scale=panel and self.panel_scale == "window" and self.normalize != "global",
            **self._network_extras(),
        )

    def _level(self) -> str:
        """The network's centring for ``normalize`` (sequence-to-sequence needs a causal one)."""
        if self.normalize == "window":
            return "mean"
        return "causal_last" if self.seq2seq else "last"

    def _train_config(self) -> TrainConfig:
        """The training loop's settings from this model's parameters."""
        from tsforecast.models.neural.training import TrainConfig

        return TrainConfig(
            max_epochs=self.max_epochs, min_epochs=self.min_epochs, batch_size=self.batch_size,
            learning_rate=self.learning_rate, loss=self.loss, patience=self.patience,
            seq2seq=self.seq2seq, seed=self.seed, epoch_windows=self.epoch_windows,
        )
