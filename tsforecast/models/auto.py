"""``auto``: choose per series among candidate models by rolling-origin validation on the
training data alone, then forecast with the best one or a combination of the best few.

How it chooses (everything inside ``fit``, so a backtest of ``auto`` stays honest: the data a
fold is scored on is never seen by the choice):

1. **Candidates**, cheap first: ``snaive``, ``naive``, ``theta``, ``ets``, ``auto_arima``,
   then ``lstm`` when the history holds at least ``neural_min_length`` observations (and
   ``candidates`` is not given). A candidate that needs more history than there is, is left
   out (recorded).
2. **Validation**: the last ``n_windows`` (fewer if the history is short) blocks of
   ``horizon`` observations of the training data are forecast from rolling origins, each
   candidate on the same folds, fitted once at the first origin and rolled forward with
   ``update`` (same parameters, new observations) to the next; the score is MASE (each fold's errors over its in-sample
   seasonal-naive MAE, averaged). A candidate that fails on a fold, or whose turn comes after
   ``time_budget`` seconds of validation, is left out (recorded); the budget left when a
   candidate starts is the time limit of its one fit (a fit that runs out of time is not
   retried at later folds), so no candidate overruns the budget.
3. **Forecast**: ``combine="best"`` refits the winner on the whole history; ``"mean"`` and
   ``"median"`` refit the ``top_k`` best and average their forecasts.
4. **Intervals**: the candidates' own intervals, averaged and then calibrated on the
   validation folds (conformal): each validation error of the combination is divided by the
   combination's interval scale at that point, and a forecast's half-width is the conformal
   quantile of those ratios times its own scale. With fewer than 10 validation errors the
   average is used as it is.

``chosen_`` lists the models used, ``validation_`` every candidate with its score and what
became of it, ``horizon_`` and ``n_windows_`` the validation actually run.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.base import clone

from tsforecast.base import Forecaster
from tsforecast.errors import ConfigError, DataError
from tsforecast.models.conformal import conformal_quantile
from tsforecast.params import check_choice, check_int, check_names, check_seconds

__all__ = ["Auto", "DEFAULT_CANDIDATES"]

#: the statistical candidates, cheap first
DEFAULT_CANDIDATES = ("snaive", "naive", "theta", "ets", "auto_arima")
_NEURAL_CANDIDATE = "lstm"
_log = logging.getLogger(__name__)
_MIN_CALIBRATION = 10  # validation errors needed before intervals are recalibrated
_REFERENCE_COVERAGE = 0.8  # coverage of the validation intervals that set each point's scale


class Auto(Forecaster):
    """Choose and combine models per series by validation on the training data (see the
    module docstring).

    Parameters
    ----------
    candidates
        Registered model names to choose among (default: :data:`DEFAULT_CANDIDATES`, plus
        ``lstm`` on long histories).
    combine
        ``"best"``, ``"mean"`` or ``"median"`` of the ``top_k`` best candidates.
    top_k
        How many of the best candidates a combination uses.
    horizon
        Steps each validation fold forecasts (default: one season, at least 8, at most 24).
    n_windows
        Validation folds (fewer when the history is short).
    time_budget
        Seconds of validation after which the remaining candidates are skipped.
    neural_min_length
        Shortest history on which the default candidates include ``lstm``.
    seed
        Given to every candidate that has a ``seed``.
    """

    short_name = "auto"

    def __init__(
        self,
        candidates: tuple[str, ...] | None = None,
        combine: str = "mean",
        top_k: int = 3,
        horizon: int | None = None,
        n_windows: int = 3,
        time_budget: float = 60.0,
        neural_min_length: int = 1000,
        seed: int = 0,
    ) -> None:
        self.candidates = candidates
        self.combine = combine
        self.top_k = top_k
        self.horizon = horizon
        self.n_windows = n_windows
        self.time_budget = time_budget
        self.neural_min_length = neural_min_length
        self.seed = seed

    @classmethod
    def test_params(cls) -> dict:
        return {"candidates": ("snaive", "naive", "theta"), "n_windows": 2}

    def check_params(self) -> None:
        from tsforecast.registry import MODELS

        name = self.short_name
        if self.candidates is not None:
            names = check_names(name, "candidates", self.candidates)
            unknown = [c for c in names if c not in MODELS or c == name]
            if unknown or not names:
                raise ConfigError(
                    f"{name}: candidates must be registered model names other than 'auto', got {unknown or names}."
                )
        check_choice(name, "combine", self.combine, ("best", "mean", "median"))
        check_int(name, "top_k", self.top_k, 1)
        check_int(name, "horizon", self.horizon, 1, allow_none=True)
        check_int(name, "n_windows", self.n_windows, 1)
        check_seconds(name, "time_budget", self.time_budget)
        check_int(name, "neural_min_length", self.neural_min_length, 1)
        check_int(name, "seed", self.seed, low=None)

    def _min_length(self) -> int:
        return 2  # the shortest history a naive forecast needs; candidates decide the rest

    # ------------------------------------------------------------------ choice
    def _candidate_models(self, n: int) -> dict[str, Forecaster]:
        from tsforecast.registry import get_model

        if self.candidates is not None:
            names = list(check_names(self.short_name, "candidates", self.candidates))
        else:
            names = list(DEFAULT_CANDIDATES) + ([_NEURAL_CANDIDATE] if n >= self.neural_min_length else [])
        models = {}
        for name in names:
            model = get_model(name)
            if "seed" in model.get_params():
                model.set_params(seed=self.seed)
            models[name] = model
        return models

    def _validation_horizon(self) -> int:
        if self.horizon is not None:
            return int(self.horizon)
        return min(max(self.season_, 8), 24)

    def _validate(self, y: pd.Series, models: dict[str, Forecaster]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        """Each runnable candidate's validation forecasts on the same folds, cheap first."""
        from tsforecast.backtest import backtest
        from tsforecast.backtest.engine import TIMEOUT_ERROR

        n, horizon = len(y), self._validation_horizon()
        needed = {name: model.required_length(self.freq_) for name, model in models.items()}
        records, forecasts = [], {}
        shortest = min(needed.values())
        n_windows = min(self.n_windows, max(0, (n - max(shortest, self.season_ + 1)) // horizon))
        self.horizon_, self.n_windows_ = horizon, n_windows
        started = time.perf_counter()
        for name, model in models.items():
            record = {"candidate": name, "mase": np.nan, "seconds": 0.0}
            if n_windows == 0 or needed[name] > n - horizon * n_windows:
                records.append({**record, "status": f"skipped: needs {needed[name]} observations before "
                                                    f"{max(n_windows, 1)} validation fold(s)"})
                continue
            remaining = self.time_budget - (time.perf_counter() - started)
            if remaining <= 0:
                records.append({**record, "status": f"skipped: time budget of {self.time_budget:g} s spent"})
                continue
            began = time.perf_counter()
            # each candidate is fitted once, at the first validation cutoff, and rolled forward
            # over the later folds with update (new observations, same parameters): a third of
            # the cost of refitting at every fold (auto_arima on daily ridership: 7 s a fit),
            # and for a neural network, which reads only the latest window, update is free
            # the one fit may use all the budget left: if it runs out of time the engine does
            # not retry it at the later folds, so a candidate never overruns the budget by
            # more than its (cheap) roll-forward updates
            result = backtest(y, {name: model}, horizon=horizon, n_windows=n_windows, seed=None,
                              time_limit=remaining, refit=False, diagnose=False)
            record["seconds"] = time.perf_counter() - began
            if not result.failures.empty:
                first = result.failures.iloc[0]
                outcome = "skipped: ran out of the time budget" if first["error"] == TIMEOUT_ERROR else "failed"
                records.append({**record, "status": f"{outcome}: {first['error']}: {first['message']}"})
                continue
            rows = result.forecasts[result.forecasts["model"] == name]
            fold_mase = (rows["forecast"] - rows["actual"]).abs().groupby(rows["cutoff"]).mean() / (
                rows.groupby("cutoff")["scale"].first())
            record["mase"] = float(fold_mase.mean()) if np.isfinite(fold_mase).all() else np.nan
            records.append({**record, "status": "ok" if np.isfinite(record["mase"]) else "failed: no scale"})
            if np.isfinite(record["mase"]):
                forecasts[name] = rows.set_index(["cutoff", "step"])
        return pd.DataFrame(records).set_index("candidate"), forecasts

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        models = self._candidate_models(len(y))
        validation, forecasts = self._validate(y, models)
        ranked = validation[validation["status"] == "ok"].sort_values("mase").index.tolist()
        size = 1 if self.combine == "best" else self.top_k
        if not ranked:
            # no candidate could be validated (the history is too short for a fold): the first
            # candidate that fits the whole history, in the documented order, unvalidated
            ranked = list(models)
        fitted: dict[str, Forecaster] = {}
        for name in ranked:
            if len(fitted) == size:
                break
            try:
                fitted[name] = clone(models[name]).fit(y)
            except (DataError, ConfigError) as exc:
                validation.loc[name, "status"] = f"failed on the whole history: {exc}"
        if not fitted:
            raise DataError(
                f"auto: no candidate can forecast this series ({len(y)} observations): "
                + "; ".join(f"{name}: {status}" for name, status in validation["status"].items())
            )
        for name in validation.index:
            if name in fitted:
                validation.loc[name, "status"] = "chosen"
        self.models_, self.chosen_, self.validation_ = fitted, list(fitted), validation
        _log.info("auto on %d observations: %s; validation MASE %s", len(y), self.label_, ", ".join(
            f"{name} {row['mase']:.3f} ({row['status']})" for name, row in validation.iterrows()))
        self.calibration_scores_ = self._calibration_scores(forecasts)

    def _calibration_scores(self, forecasts: dict[str, pd.DataFrame]) -> np.ndarray:
        """Validation errors of the combination over its interval scale at each point."""
        used = [forecasts[name] for name in self.chosen_ if name in forecasts]
        if len(used) != len(self.chosen_):
            return np.empty(0)
        common = used[0].index
        for frame in used[1:]:
            common = common.intersection(frame.index)
        if len(common) < _MIN_CALIBRATION:
            return np.empty(0)
        point = self._combine(np.stack([f.loc[common, "forecast"].to_numpy() for f in used]))
        z = norm.ppf(0.5 + _REFERENCE_COVERAGE / 2)
        scale = np.mean([(f.loc[common, "upper"] - f.loc[common, "lower"]).to_numpy() / (2 * z) for f in used], axis=0)
        actual = used[0].loc[common, "actual"].to_numpy()
        return np.abs(actual - point) / np.maximum(scale, 1e-12)

    def _combine(self, stacked: np.ndarray) -> np.ndarray:
        return np.median(stacked, axis=0) if self.combine == "median" else stacked.mean(axis=0)

    # ---------------------------------------------------------------- forecast
    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        for model in self.models_.values():
            model.update(y_new)

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return self._combine(np.stack([m.predict(horizon).to_numpy() for m in self.models_.values()]))

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        point = self._predict(horizon, X)
        z = norm.ppf(0.5 + coverage / 2)
        bounds = [m.predict_interval(horizon, coverage) for m in self.models_.values()]
        scale = np.mean([(b["upper"] - b["lower"]).to_numpy() / (2 * z) for b in bounds], axis=0)
        factor = z
        if len(self.calibration_scores_) >= _MIN_CALIBRATION:
            factor = float(conformal_quantile(self.calibration_scores_[:, None], coverage)[0])
        return point - factor * scale, point + factor * scale

    def _fitted_values(self) -> np.ndarray:
        # the combination of the members' one-step forecasts (NaN until every member has one)
        return self._combine(np.stack([m.fitted_values().to_numpy() for m in self.models_.values()]))

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        # a combination of several models has no generative form of its own; one model has
        if len(self.models_) > 1:
            raise NotImplementedError
        (model,) = self.models_.values()
        return model._sample_paths(horizon, n, rng, temperature, X)

    @property
    def label_(self) -> str:
        """What was chosen, e.g. ``"mean of ets, theta, auto_arima"``."""
        return self.chosen_[0] if len(self.chosen_) == 1 else f"{self.combine} of {', '.join(self.chosen_)}"
