"""Exponential smoothing in state-space form (ETS) over statsmodels' ``ETSModel``.

``model`` names the error, trend and seasonal components in the conventional three letters
(R's ``forecast::ets``, statsforecast's ``AutoETS``): ``A`` additive, ``M`` multiplicative,
``N`` none, ``Z`` chosen automatically. The default ``"ZZZ"`` fits every admissible form and
keeps the one with the lowest AICc:

* error ``A`` or ``M`` (``M`` only for strictly positive data);
* trend ``N`` or ``A``, the additive trend also damped (``damped=None``; ``True``/``False``
  fixes it). Multiplicative trends are left out, as R does by default: they extrapolate
  explosively;
* seasonal ``N``, ``A`` or ``M`` when the series has a seasonal period of at most 24 (as R's
  ``ets``: one state per season makes longer periods, 52 weeks, slow and poorly estimated;
  use ``theta`` or ARIMA there) and at least two full seasons plus a few points (``M`` only
  for positive data). Additive error with
  multiplicative seasonality is left out (numerically unstable, excluded by R too).

Prediction intervals and quantiles come from simulating the fitted model forward
(``simulation_paths`` sample paths, seeded by ``seed``), which treats every form alike,
multiplicative ones included. :meth:`update` filters new observations with the fitted
parameters (no re-estimation). The chosen form is ``form_`` (e.g. ``"MAdM"``), every
candidate's AICc is in ``search_``.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd

from tsforecast.core.errors import ConfigError, ModelError
from tsforecast.core.params import check_bool, check_int, check_seed
from tsforecast.models.base import Forecaster

__all__ = ["ETS", "MAX_SIMULATION_PATHS"]

_COMPONENT = {"A": "add", "M": "mul", "N": None}
#: the most paths ETS simulates for its intervals (the default is 2,000)
MAX_SIMULATION_PATHS = 1_000_000
_EXTRA_POINTS = 3  # beyond two full seasons, before a seasonal form is tried
_MAX_SEASON = 24  # longest seasonal period given seasonal states


def _label(form: tuple[str, str, str, bool]) -> str:
    """``"MAdM"``: error, trend (``d`` when damped), seasonal."""
    error, trend, seasonal, damped = form
    return error + trend + ("d" if damped else "") + seasonal


class ETS(Forecaster):
    """ETS(error, trend, seasonal) with the form chosen by AICc (see the module docstring).

    Parameters
    ----------
    model
        Three letters for error, trend and seasonal: ``A``, ``M``, ``N`` or ``Z`` (automatic).
    damped
        Damp an additive trend: ``None`` tries both, ``True``/``False`` fixes it.
    season
        Observations per seasonal cycle (default: the frequency's, e.g. 7 for daily data).
    simulation_paths
        Sample paths simulated for prediction intervals.
    seed
        Seeds the simulation: the same seed gives the same intervals.
    """

    short_name = "ets"
    requires_variance = True

    def __init__(
        self,
        model: str = "ZZZ",
        damped: bool | None = None,
        season: int | None = None,
        simulation_paths: int = 2000,
        seed: int = 0,
    ) -> None:
        self.model = model
        self.damped = damped
        self.season = season
        self.simulation_paths = simulation_paths
        self.seed = seed

    @classmethod
    def test_params(cls) -> dict:
        return {"simulation_paths": 200}

    def check_params(self) -> None:
        name = self.short_name
        if not isinstance(self.model, str) or len(self.model) != 3 or not (
            self.model[0] in "AMZ" and self.model[1] in "ANZ" and self.model[2] in "AMNZ"
        ):
            raise ConfigError(
                f"{name}: model must be three letters for error (A, M, Z), trend (A, N, Z) and "
                f"seasonal (A, M, N, Z) components, e.g. 'ZZZ' or 'MAM', got {self.model!r}."
            )
        if self.damped is not None:
            check_bool(name, "damped", self.damped)
        check_int(name, "season", self.season, 1, allow_none=True)
        # bounded above too: the paths are simulated at every forecast (a million is 8 MB a step)
        check_int(name, "simulation_paths", self.simulation_paths, 100, high=MAX_SIMULATION_PATHS)
        check_seed(name, "seed", self.seed)

    def _min_length(self) -> int:
        return 2 * self.season_ + _EXTRA_POINTS if self.model[2] in "AM" else 8

    def _candidates(self, y: np.ndarray) -> list[tuple[str, str, str, bool]]:
        error, trend, seasonal = self.model
        positive = bool(np.all(y > 0))
        seasonal_ok = 1 < self.season_ <= _MAX_SEASON and len(y) >= 2 * self.season_ + _EXTRA_POINTS
        errors = [e for e in ("A", "M") if error in (e, "Z") and (e == "A" or positive)]
        trends = [t for t in ("N", "A") if trend in (t, "Z")]
        seasonals = [s for s in ("N", "A", "M") if seasonal in (s, "Z")
                     and (s == "N" or seasonal_ok) and (s != "M" or positive)]
        if not errors or not seasonals:
            raise ConfigError(
                f"{self.short_name}: model {self.model!r} does not fit this series (multiplicative "
                f"components need strictly positive values; seasonal ones a seasonal period of 2 to "
                f"{_MAX_SEASON} and at least {2 * self.season_ + _EXTRA_POINTS} observations)."
            )
        forms = []
        for e, t, s in itertools.product(errors, trends, seasonals):
            if e == "A" and s == "M" and self.model[0] == "Z":
                continue
            for damped in ([False, True] if self.damped is None else [self.damped]) if t == "A" else [False]:
                forms.append((e, t, s, damped))
        return forms

    def _statsmodels(self, y: np.ndarray, form: tuple[str, str, str, bool]):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        e, t, s, damped = form
        return ETSModel(
            y, error=_COMPONENT[e], trend=_COMPONENT[t], damped_trend=damped,
            seasonal=_COMPONENT[s], seasonal_periods=self.season_ if s != "N" else None,
        )

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        values = y.to_numpy()
        search: dict[str, float] = {}
        best = None
        for form in self._candidates(values):
            label = _label(form)
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    results = self._statsmodels(values, form).fit(disp=False)
                score = float(results.aicc)
            except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, OverflowError):
                score = np.inf
            search[label] = score if np.isfinite(score) else np.inf
            if np.isfinite(score) and (best is None or score < best[0]):
                best = (score, form, results)
        if best is None:
            raise ModelError(f"{self.short_name}: no ETS form could be fitted (tried {', '.join(search)}).")
        _, self.form_spec_, self.results_ = best
        self.form_, self.search_ = _label(self.form_spec_), search

    @property
    def label_(self) -> str:
        """The chosen form, e.g. ``"ETS(MAdM)"``."""
        return f"ETS({self.form_})"

    updates_in_place = True  # _update below rolls forward without refitting (Forecaster.updates_in_place)

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        # filter the whole history with the fitted parameters: no re-estimation
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            model = self._statsmodels(self.y_.to_numpy(), self.form_spec_)
            self.results_ = model.smooth(self.results_.params)

    def _rebuild_results(self, params: np.ndarray) -> None:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            self.results_ = self._statsmodels(self.y_.to_numpy(), self.form_spec_).smooth(params)

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return np.asarray(self.results_.forecast(horizon), dtype="float64")

    def _simulate(self, horizon: int, n: int | None = None, rng: np.random.Generator | None = None,
                  temperature: float = 1.0) -> np.ndarray:
        """Simulated future paths, shape ``(horizon, n)``: ``simulation_paths`` seeded with
        ``seed`` by default. The model's normal errors (standard deviation from the fit) are
        drawn here so that ``temperature`` can scale them."""
        n = self.simulation_paths if n is None else n
        rng = np.random.default_rng(self.seed) if rng is None else rng
        errors = rng.standard_normal((horizon, n)) * np.sqrt(self.results_.scale) * temperature
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            paths = self.results_.simulate(horizon, anchor="end", repetitions=n, random_errors=errors)
        return np.asarray(paths, dtype="float64").reshape(horizon, -1)

    def _fitted_values(self) -> np.ndarray:
        return np.asarray(self.results_.fittedvalues, dtype="float64")

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        return self._simulate(horizon, n, rng, temperature)

    def _predict_quantiles(self, horizon: int, levels: tuple[float, ...], X: pd.DataFrame | None) -> np.ndarray:
        # one simulation serves every level
        return np.nanquantile(self._simulate(horizon), levels, axis=1).T

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        paths = self._simulate(horizon)
        # the unrounded tails (0.09999999999999998 for 0.8), not interval_bounds' rounded
        # levels: nanquantile interpolates at the tail itself, and the saved forecasts of ETS
        # models stay the same to the last bit (a backtest's levels come from interval_bounds)
        tail = (1 - coverage) / 2
        lower, upper = np.nanquantile(paths, [tail, 1 - tail], axis=1)
        point = self._predict(horizon, X)
        # the simulated quantiles surround the mean forecast up to Monte Carlo error
        return np.minimum(lower, point), np.maximum(upper, point)
