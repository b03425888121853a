"""``auto``: choose per series among candidate models by rolling-origin validation on the
training data alone, then forecast with the best one or a combination of the best few.

How it chooses (everything inside ``fit``, so a backtest of ``auto`` stays honest: the data a
fold is scored on is never seen by the choice):

1. **The plan** (:mod:`tsforecast.selection.plan`, ``plan_``): the candidates validated and
   the folds follow from the series alone (length, frequency, intermittency), so with default
   parameters ``auto`` makes the same choice and forecasts on any machine, load, ``n_jobs``
   and engine. Candidates (:mod:`tsforecast.selection.candidates`): ``snaive``, ``naive``,
   ``theta``, ``ridge``, ``auto_arima`` (the fallback), ``ets``; on intermittent demand also
   ``mean``, ``croston_sba``, ``tsb``, ``imapa`` and not ``ets``, ranked by RMSSE instead of MASE
   (``metric_``); on long or several seasons also ``mstl`` and ``ridge_fourier``; ``lstm``
   when ``neural_min_length`` is set and reached; each only when the history before the
   folds holds what it needs (otherwise recorded as skipped). The fixed combination
   ``combo`` (:mod:`tsforecast.selection.combo`) is not a default candidate: ranked as one
   on the development set it chose worse (``benchmarks/README.md``); name it to add it.
2. **Validation**: the last ``n_windows`` (fewer if the history is short) blocks of
   ``horizon`` observations of the training data are forecast from rolling origins, each
   candidate on the same folds, fitted once at the first origin and rolled forward with
   ``update`` (same parameters, new observations) to the next; the score is MASE or RMSSE
   (:mod:`tsforecast.selection.scores`, per fold, averaged). A candidate that fails on
   a fold is left out (recorded). **A wall-clock limit** is an explicit option
   (``time_budget`` seconds, default ``None``): a candidate whose turn comes after that much
   validation is left out, and the budget left when a candidate starts is the time limit of
   its one fit. The choice may then depend on the machine: ``auto`` warns (``FitWarning``).
3. **Forecast**: ``combine="mean"`` (or ``"median"``) averages the best candidates whose
   validation score is within ``within`` times the best one's (at most ``top_k``): one far
   behind only dilutes (sunspots: 2.74 MASE against auto_arima's 1.34 alone). The default
   1.2 was chosen on the development set (``benchmarks/auto_rules.py``).
   ``combine="best"`` uses the winner alone. The chosen models are refitted on the whole
   history, except when validation held back at most a twentieth of it: then the validated
   models are rolled forward over the last fold with ``update`` (``rolled_forward_``).
   **Short histories**: the plan runs fewer folds when that lets the ``fallback`` candidate
   (``auto_arima``) be validated (one fold of 8 steps on 20 yearly observations rather than
   two without it). When the history is too short for even one such fold, only the simplest
   candidates would be scored,
   and choosing among them loses to the fallback itself (dev set: 1.62 against 1.21 mean
   MASE); ``auto`` then forecasts with the fallback unvalidated (or, if it cannot fit
   either, with the first candidate that can).
4. **Intervals**: the candidates' own intervals, averaged, then calibrated halfway towards
   the validation folds (conformal): each validation error of the combination is divided by
   the combination's interval scale at that point, and a forecast's half-width is its own
   scale times the mean of the normal quantile (the members' width) and the conformal
   quantile of those ratios. The conformal quantile alone under-covers (80% intervals: 0.744,
   chosen *because* their few errors were small), the members' widths alone over-cover
   (0.849 on the open suite); halfway covers 0.786 and 0.823 (``benchmarks/README.md``).
   With fewer than 10 validation errors the members' average is used as it is.

``plan_`` holds the plan, ``chosen_`` the models used, ``validation_`` every candidate with its
``mase``, its ``score`` (``metric_``) and what became of it, ``horizon_`` and ``n_windows_``
the validation actually run.
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsforecast.core.errors import ConfigError, DataError, FitWarning
from tsforecast.core.params import check_choice, check_float, check_int, check_names, check_seconds, check_seed
from tsforecast.evaluation.intervals import normal_z
from tsforecast.models.base import Forecaster
from tsforecast.models.conformal import conformal_quantile
from tsforecast.selection.candidates import candidate_set
from tsforecast.selection.plan import (
    DEFAULT_CANDIDATES,
    NEURAL_CANDIDATE,
    ValidationPlan,
    clock_warning,
    plan_validation,
)
from tsforecast.selection.scores import calibration_ratios, validation_score

__all__ = ["Auto", "DEFAULT_CANDIDATES"]

_NEURAL_MIN_BUDGET = 60.0  # seconds of time_budget below which the default network is not validated
_log = logging.getLogger(__name__)
_MIN_CALIBRATION = 10  # validation errors needed before intervals are recalibrated
_REFERENCE_COVERAGE = 0.8  # coverage of the validation intervals that set each point's scale
_ROLL_FORWARD_SHARE = 0.05  # largest share of the history held back by validation that is rolled over


class Auto(Forecaster):
    """Choose and combine models per series by validation on the training data (see the
    module docstring).

    Parameters
    ----------
    candidates
        Registered model names to choose among (default: :data:`DEFAULT_CANDIDATES`, plus
        ``lstm`` on histories of ``neural_min_length`` or more).
    combine
        ``"best"`` (the winner alone), or the ``"mean"`` or ``"median"`` of the best
        candidates (see ``within`` and ``top_k``).
    top_k
        How many of the best candidates a combination uses at most.
    within
        A combination uses only the candidates whose validation MASE is at most ``within``
        times the best one's.
    horizon
        Steps each validation fold forecasts (default: one season, at least 8, at most 24).
    n_windows
        Validation folds (fewer when the history is short).
    time_budget
        ``None`` (default; ``inf`` in a TOML config file): no clock, the plan alone decides
        the work, and the choice is the same on every machine. Seconds: a wall-clock limit on
        top of the plan, after which the remaining candidates are skipped; the choice then
        depends on the machine's speed and load, and ``auto`` warns (one
        :class:`~tsforecast.core.errors.FitWarning` per fit, naming any candidate it cut).
    neural_min_length
        Shortest history on which the default candidates include ``lstm``; ``None`` (default)
        leaves the network out of the plan (its validation costs tens of seconds a fit).
    fallback
        The candidate the validation folds are planned around (fewer folds on a short
        history, so that it is validated), and used unvalidated when the history is too short
        for even one fold (``None``: choose among whatever could be validated).
    seed
        Given to every candidate that has a ``seed``.
    """

    short_name = "auto"
    updates_in_place = True  # _update rolls the chosen models forward (Forecaster.updates_in_place)

    def __init__(
        self,
        candidates: tuple[str, ...] | None = None,
        combine: str = "mean",
        top_k: int = 3,
        within: float = 1.2,
        horizon: int | None = None,
        n_windows: int = 3,
        time_budget: float | None = None,
        neural_min_length: int | None = None,
        fallback: str | None = "auto_arima",
        seed: int = 0,
    ) -> None:
        self.candidates = candidates
        self.combine = combine
        self.top_k = top_k
        self.within = within
        self.horizon = horizon
        self.n_windows = n_windows
        self.time_budget = time_budget
        self.neural_min_length = neural_min_length
        self.fallback = fallback
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
                raise ConfigError(f"{name}: candidates must be registered model names other than 'auto', "
                                  f"got {unknown or names}.")
        check_choice(name, "combine", self.combine, ("best", "mean", "median"))
        check_int(name, "top_k", self.top_k, 1)
        check_float(name, "within", self.within, 1.0)
        if self.fallback is not None and (self.fallback not in MODELS or self.fallback == name):
            raise ConfigError(f"{name}: fallback must be a registered model name other than 'auto' or None, "
                              f"got {self.fallback!r}.")
        check_int(name, "horizon", self.horizon, 1, allow_none=True)
        check_int(name, "n_windows", self.n_windows, 1)
        if self._budget() is not None:
            check_seconds(name, "time_budget", self.time_budget)
        check_int(name, "neural_min_length", self.neural_min_length, 1, allow_none=True)
        check_seed(name, "seed", self.seed)

    def _budget(self) -> float | None:
        """The validation budget in seconds, or None for no limit (``None``, or ``inf`` as a
        TOML config file writes it)."""
        return None if self.time_budget is None or self.time_budget == float("inf") else self.time_budget

    def _min_length(self) -> int:
        return 2  # the shortest history a naive forecast needs; candidates decide the rest

    # ------------------------------------------------------------------ choice
    def _candidate_models(self, y: pd.Series) -> dict[str, Forecaster]:
        """The candidates for the training series ``y`` by label, and (``metric_``) the error
        they are ranked by (:mod:`tsforecast.selection.candidates`)."""
        from tsforecast.registry import get_model

        if self.candidates is not None:
            entries = {name: (name, {}) for name in check_names(self.short_name, "candidates", self.candidates)}
            self.metric_ = "mase"
        else:
            chosen = candidate_set(y, self.freq_, self.neural_min_length)
            entries, self.metric_ = chosen.models, chosen.metric
        models = {}
        for name, (registered, params) in entries.items():
            model = get_model(registered, **params)
            if "seed" in model.get_params():
                model.set_params(seed=self.seed)
            models[name] = model
        return models

    def _plan(self, n: int, models: dict[str, Forecaster]) -> ValidationPlan:
        """The validation plan for ``n`` observations (:func:`~tsforecast.selection.plan.plan_validation`)."""
        needed = {name: model.required_length(self.freq_) for name, model in models.items()}
        return plan_validation(n, self.season_, needed, self.n_windows, self.horizon,
                               bound_costly=self.candidates is None, fallback=self.fallback)

    def _validate(
        self, y: pd.Series, models: dict[str, Forecaster]
    ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, Forecaster]]:
        """Each runnable candidate's validation score and forecasts on the same folds, cheap
        first, and the validated models as they stand at the last validation cutoff."""
        from tsforecast.backtest import backtest
        from tsforecast.backtest.fold_work import TIMEOUT_ERROR

        n = len(y)
        self.plan_ = plan = self._plan(n, models)
        horizon, n_windows = plan.horizon, plan.n_windows
        self.horizon_, self.n_windows_ = horizon, n_windows
        records, forecasts, validated = [], {}, {}
        budget, cut = self._budget(), []  # cut: the candidates the wall-clock budget left out
        started = time.perf_counter()
        for name, model in models.items():
            record = {"candidate": name, "mase": np.nan, "score": np.nan, "seconds": 0.0}
            if name in plan.left_out:
                records.append({**record, "status": plan.left_out[name]})
                continue
            if name == NEURAL_CANDIDATE and self.candidates is None and budget is not None and (
                    budget < _NEURAL_MIN_BUDGET):
                records.append({**record, "status": f"skipped: time_budget {self.time_budget:g} s is below the "
                                                    f"{_NEURAL_MIN_BUDGET:g} s the network needs on a long history"})
                continue
            remaining = None if budget is None else budget - (time.perf_counter() - started)
            if remaining is not None and remaining <= 0:
                records.append({**record, "status": f"skipped: time budget of {budget:g} s spent"})
                cut.append(name)
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
                              time_limit=remaining, refit=False, diagnose=False, keep_fitted=self._rolls_forward(n))
            record["seconds"] = time.perf_counter() - began
            if not result.failures.empty:
                first = result.failures.iloc[0]
                timed_out = first["error"] == TIMEOUT_ERROR
                outcome = "skipped: ran out of the time budget" if timed_out else "failed"
                if timed_out:
                    cut.append(name)
                records.append({**record, "status": f"{outcome}: {first['error']}: {first['message']}"})
                continue
            rows = result.forecasts[result.forecasts["model"] == name]
            record["mase"] = validation_score(rows, y, "mase")
            record["score"] = validation_score(rows, y, self.metric_)
            records.append({**record, "status": "ok" if np.isfinite(record["score"]) else "failed: no scale"})
            if np.isfinite(record["score"]):
                forecasts[name] = rows.set_index(["cutoff", "step"])
                kept = [fitted for (_, label), fitted in result.fitted.items() if label == name]
                if kept:  # fitted at the first validation cutoff, rolled forward to the last
                    validated[name] = kept[0]
        self._warn_of_the_clock(cut)
        return pd.DataFrame(records).set_index("candidate"), forecasts, validated

    def _warn_of_the_clock(self, cut: list[str]) -> None:
        """A wall-clock budget makes the choice depend on the machine: say so, once per fit."""
        if self._budget() is not None:
            warnings.warn(clock_warning(self.time_budget, cut), FitWarning, stacklevel=5)

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        models = self._candidate_models(y)
        validation, forecasts, validated = self._validate(y, models)
        order, size, why = self._choice_order(validation, list(models))
        roll = self._rolls_forward(len(y))
        fitted: dict[str, Forecaster] = {}
        self.rolled_forward_ = []
        for name in order:
            if len(fitted) == size:
                break
            try:
                if roll and name in validated:
                    fitted[name] = validated[name]
                    fitted[name].update(y.iloc[len(y) - self.horizon_:])
                    self.rolled_forward_.append(name)
                else:
                    fitted[name] = clone(models[name]).fit(y)
            except (DataError, ConfigError) as exc:
                validation.loc[name, "status"] = f"failed on the whole history: {exc}"
        if not fitted:
            raise DataError(
                f"auto: no candidate can forecast this series ({len(y)} observations): "
                + "; ".join(f"{name}: {status}" for name, status in validation["status"].items())
            )
        for name in fitted:
            validation.loc[name, "status"] = f"chosen: {why}"
        self.models_, self.chosen_, self.validation_ = fitted, list(fitted), validation
        _log.info("auto on %d observations: %s; validation MASE %s", len(y), self.label_, ", ".join(
            f"{name} {row['mase']:.3f} ({row['status']})" for name, row in validation.iterrows()))
        self.calibration_scores_ = self._calibration_scores(forecasts)

    def _rolls_forward(self, n: int) -> bool:
        """Whether the chosen models continue from their validation fits (``update`` over the
        last fold) instead of being refitted: when validation held back at most a twentieth
        of the ``n`` observations, so the parameters come from 95%+ of them, while refits
        would double auto's cost (on the 1,447 days of ridership, lstm's and auto_arima's
        refits were 25 of an auto fit's 63 s; at a tenth, sunspots lost 1.83 against 1.34)."""
        return self.n_windows_ * self.horizon_ <= _ROLL_FORWARD_SHARE * n

    def _choice_order(self, validation: pd.DataFrame, names: list[str]) -> tuple[list[str], int, str]:
        """The candidates to fit on the whole history, in order of preference, how many of
        them to keep, and why (recorded in ``validation_``)."""
        ranked = validation[validation["status"] == "ok"].sort_values("score", kind="stable")
        metric = self.metric_.upper()
        fallback = self.fallback if self.fallback in validation.index else None
        if fallback is not None and validation.loc[fallback, "status"].startswith("skipped: needs"):
            # validation would only compare the simplest candidates: trust the fallback instead
            return [fallback, *names], 1, "the history is too short to validate it, used unvalidated"
        if ranked.empty:
            # nothing could be validated (a candidate failed or the budget ran out on every
            # one): the first candidate that fits, the fallback first, in the documented order
            return ([fallback] if fallback else []) + names, 1, "nothing could be validated, used unvalidated"
        if self.combine == "best":
            return ranked.index.tolist(), 1, f"best validation {metric}"
        near = ranked[ranked["score"] <= self.within * ranked["score"].iloc[0]]
        return near.index.tolist(), self.top_k, f"validation {metric} within {self.within:g}x of the best"

    def _calibration_scores(self, forecasts: dict[str, pd.DataFrame]) -> np.ndarray:
        """Validation errors of the combination over its interval scale at each point."""
        if not all(name in forecasts for name in self.chosen_):
            return np.empty(0)
        ratios = calibration_ratios([forecasts[name] for name in self.chosen_], self.combine == "median",
                                    _REFERENCE_COVERAGE)
        return ratios if len(ratios) >= _MIN_CALIBRATION else np.empty(0)

    def _combine(self, stacked: np.ndarray) -> np.ndarray:
        return np.median(stacked, axis=0) if self.combine == "median" else stacked.mean(axis=0)

    # ---------------------------------------------------------------- forecast
    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        for model in self.models_.values():
            model.update(y_new)

    def _floor(self, values: np.ndarray) -> np.ndarray:
        # demand is not negative: on intermittent data (ranked by RMSSE) a trending member's
        # forecast is floored at zero (files saved before #26 have no metric_: no floor)
        return np.maximum(values, 0.0) if getattr(self, "metric_", "mase") == "rmsse" else values

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return self._floor(self._combine(np.stack([m.predict(horizon).to_numpy() for m in self.models_.values()])))

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        point = self._predict(horizon, X)
        z = normal_z(coverage)
        bounds = [m.predict_interval(horizon, coverage) for m in self.models_.values()]
        scale = np.mean([(b["upper"] - b["lower"]).to_numpy() / (2 * z) for b in bounds], axis=0)
        factor = z
        if len(self.calibration_scores_) >= _MIN_CALIBRATION:
            conformal = float(conformal_quantile(self.calibration_scores_[:, None], coverage)[0])
            # shrunk halfway to the members' own width: the validation errors are few and
            # optimistic (see the module docstring, point 4)
            factor = (z + conformal) / 2
        return self._floor(point - factor * scale), self._floor(point + factor * scale)

    def _fitted_values(self) -> np.ndarray:
        # the combination of the members' one-step forecasts (NaN until every member has one)
        return self._combine(np.stack([m.fitted_values().to_numpy() for m in self.models_.values()]))

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        if len(self.models_) > 1:  # a combination of several models has no generative form of its own
            raise NotImplementedError
        (model,) = self.models_.values()
        # the member's paths from auto's generator (default_rng hands a Generator back as it is)
        return self._floor(model.sample_paths(horizon, n, seed=rng, X=X, temperature=temperature).to_numpy())

    @property
    def label_(self) -> str:
        """What was chosen, e.g. ``"mean of auto_arima, ets, theta"`` (members sorted: one combination, one label)."""
        return self.chosen_[0] if len(self.chosen_) == 1 else f"{self.combine} of {', '.join(sorted(self.chosen_))}"
