"""The ETS forecaster: every admissible form fitted by a compiled likelihood, the best by AICc.

See the package docstring (:mod:`tsforecast.models.ets`) for the model; this module holds the
estimator class and :class:`ETSFit`, a fitted form (parameters, states, residuals).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd

from tsforecast.core.errors import ConfigError, FitWarning, ModelError, ModelFileError
from tsforecast.core.params import check_bool, check_int, check_seed
from tsforecast.models.base import Forecaster
from tsforecast.models.ets import likelihood as lik
from tsforecast.models.ets.forms import (
    CODE,
    LOWER,
    UPPER,
    Form,
    free_bounds,
    initial_parameters,
    initial_states,
    parameter_count,
    seasonal_estimate,
)
from tsforecast.models.ets.long_season import TREND_STATE, long_season_mstl, mstl_from_saved_adjustment
from tsforecast.models.ets.optimizer import nelder_mead
from tsforecast.models.mstl import MAX_STATE_SEASON

__all__ = ["ETS", "ETSFit", "MAX_SIMULATION_PATHS", "MAX_SEASON", "fit_form"]

#: the most paths ETS simulates for its intervals (the default is 2,000)
MAX_SIMULATION_PATHS = 1_000_000
#: the longest season given seasonal states (R's limit); longer ones are MSTL's (STL, then ETS)
MAX_SEASON = MAX_STATE_SEASON
_EXTRA_POINTS = 3  # beyond two full seasons, before a seasonal form is tried
# Nelder-Mead's stopping rule: a standard deviation of the simplex's values (R's likelihood,
# n log SSE) below this, or this many iterations (statsforecast's settings)
_TOLERANCE, _MAX_ITER, _RESTARTS = 1e-4, 1_000, 3


class ETSFit:
    """One fitted form on one series: ``params`` in statsmodels' ``ETSModel`` order (alpha,
    [beta], [gamma], [phi], initial level, [slope], [seasonals s_0 .. s_{m-1}]: what a model
    file keeps), the one-step ``fittedvalues``, residuals ``resid`` (relative for a
    multiplicative error), ``scale`` (the simulated errors' variance: their sum of squares over
    ``n - dof``; ``dof`` is the parameter count plus one for a new fit, as R and statsforecast
    estimate it, and 0 for a model file saved before: its intervals stay as they were;
    ``holt_winters`` filters a multiplicative season as statsmodels did for those files),
    ``final`` (the states after the last observation), ``loglike`` and ``aicc``."""

    def __init__(self, y: np.ndarray, form: Form, m: int, params: np.ndarray, dof: int = 0,
                 holt_winters: bool = False) -> None:
        self.form, self.m = form, m if form.seasonal != "N" else 1
        self.params = np.array(params, dtype="float64")
        self.full = _full_vector(self.params, form, self.m)
        n = len(y)
        self.fittedvalues, self.resid, self.final = np.empty(n), np.empty(n), np.empty(2 + self.m)
        # a writeable copy: a model file's arrays are read-only, which numba would compile (and
        # load from its cache, by pickle) a second time for
        sse, sumlog = lik.filter_series(np.array(y, dtype="float64"), self.full, CODE[form.error],
                                        CODE[form.trend], CODE[form.seasonal], self.m, self.fittedvalues,
                                        self.resid, self.final, holt_winters)
        self.scale = sse / max(n - dof, 1)
        self.loglike = lik.gaussian_loglike(sse, sumlog, n, form.error == "M") if sse > 0 else np.inf
        # statsmodels' count: the free parameters (one seasonal state is fixed by the
        # normalisation) and the variance
        k = parameter_count(form, self.m) + 1
        self.dof = k + 1
        self.aicc = -2 * self.loglike + 2 * k + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else np.inf)

    def forecast(self, horizon: int) -> np.ndarray:
        """Point forecasts from the last states."""
        return lik.forecast_states(self.final, self.m, CODE[self.form.trend], CODE[self.form.seasonal],
                                   self.full[3], horizon)

    def simulate(self, errors: np.ndarray) -> np.ndarray:
        """Sample paths driven by ``errors`` (shape (horizon, paths), already scaled)."""
        return lik.simulate_paths(self.final, self.full, CODE[self.form.error], CODE[self.form.trend],
                                  CODE[self.form.seasonal], self.m, np.ascontiguousarray(errors, dtype="float64"))


def _full_vector(params: np.ndarray, form: Form, m: int) -> np.ndarray:
    """statsmodels' order into the recursion's full vector (alpha, beta, gamma, phi, level,
    slope, s_0 .. s_{m-1}), absent parts neutral (0, or phi = 1)."""
    full = np.zeros(6 + m)
    full[3] = 1.0
    values = iter(params)
    full[0] = next(values)
    if form.trend != "N":
        full[1] = next(values)
    if form.seasonal != "N":
        full[2] = next(values)
    if form.damped:
        full[3] = next(values)
    full[4] = next(values)
    if form.trend != "N":
        full[5] = next(values)
    if form.seasonal != "N":
        full[6:6 + m] = [next(values) for _ in range(m)]
    return full


def fit_form(y: np.ndarray, form: Form, m: int, seasonal: np.ndarray | None = None) -> ETSFit | None:
    """Estimate ``form`` on ``y`` (season ``m``) by maximum likelihood: R's starting values,
    Nelder-Mead on the compiled likelihood within the usual and admissible bounds. ``seasonal``
    is :func:`~tsforecast.models.ets.forms.seasonal_estimate` of the form's seasonal type
    (computed here when not given). None when the form has as many parameters as the series
    has points (R's rule) or no admissible start."""
    m = m if form.seasonal != "N" else 1
    n = len(y)
    if parameter_count(form, m) + 1 >= n - 1:
        return None
    if form.seasonal != "N" and seasonal is None:
        seasonal = seasonal_estimate(y, m, form.seasonal)
    x0 = np.concatenate([initial_parameters(form, m), initial_states(y, form, m, seasonal)])
    box_lower, box_upper = free_bounds(form, len(x0))
    codes = (CODE[form.error], CODE[form.trend], CODE[form.seasonal], form.damped, m)
    x, value, iterations = nelder_mead(x0, y, *codes, LOWER, UPPER, box_lower, box_upper, _TOLERANCE, _MAX_ITER)
    for _ in range(_RESTARTS):
        if iterations < _MAX_ITER:
            break
        # not converged (many seasonal states): a fresh simplex around the best point finds
        # directions a collapsed one no longer can
        x, value, iterations = nelder_mead(x, y, *codes, LOWER, UPPER, box_lower, box_upper, _TOLERANCE,
                                               _MAX_ITER)
    if not np.isfinite(value):
        return None
    params = _statsmodels_order(x, form, m)
    # the in-sample residuals of a maximum-likelihood fit are smaller than the errors to come
    # (17 parameters on 84 monthly points covered 60% with the plain mean square): R's divisor
    return ETSFit(y, form, m, params, dof=parameter_count(form, m) + 2)


def _statsmodels_order(x: np.ndarray, form: Form, m: int) -> np.ndarray:
    """The optimiser's free vector with the last seasonal state appended (the seasonals sum
    to 0, or to ``m`` when multiplicative): statsmodels' parameter order."""
    if form.seasonal == "N":
        return x.copy()
    last = (m if form.seasonal == "M" else 0.0) - x[len(x) - (m - 1):].sum()
    return np.append(x, last)


class ETS(Forecaster):
    """ETS(error, trend, seasonal) with the form chosen by AICc (see :mod:`tsforecast.models.ets`).

    Parameters
    ----------
    model
        Three letters for error, trend and seasonal: ``A``, ``M``, ``N`` or ``Z`` (automatic).
    damped
        Damp an additive trend: ``None`` tries both, ``True``/``False`` fixes it (``True`` needs a
        trend letter ``A`` or ``Z``: with ``N`` there is nothing to damp, and it is refused).
    season
        Observations per seasonal cycle (default: the frequency's, e.g. 7 for daily data).
        Above 24 the season is removed by STL first and ETS fits the adjusted series: the
        model is :class:`~tsforecast.models.mstl.MSTL` on that one period with a
        non-seasonal ETS trend, fitted as ``mstl_`` (see :mod:`tsforecast.models.ets.long_season`).
    simulation_paths
        Sample paths simulated for prediction intervals.
    seed
        Seeds the simulation: the same seed gives the same intervals.
    """

    short_name = "ets"
    requires_variance = True
    updates_in_place = True  # _update below rolls forward without refitting (Forecaster.updates_in_place)

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
        if self.damped is True and self.model[1] == "N":  # R refuses it too: nothing to damp
            raise ConfigError(f"{name}: damped=True needs a trend, and model {self.model!r} has none. "
                              "Fix: a trend 'A' or 'Z' (e.g. 'AAdN' is model='AAN', damped=True), or damped=None.")
        check_int(name, "season", self.season, 1, allow_none=True)
        # bounded above too: the paths are simulated at every forecast (a million is 8 MB a step)
        check_int(name, "simulation_paths", self.simulation_paths, 100, high=MAX_SIMULATION_PATHS)
        check_seed(name, "seed", self.seed)

    def _min_length(self) -> int:
        return 2 * self.season_ + _EXTRA_POINTS if self.model[2] in "AM" else 8

    # ------------------------------------------------------------------ fitting
    def _seasonal_ok(self, n: int) -> bool:
        return self.season_ > 1 and n >= 2 * self.season_ + _EXTRA_POINTS

    def _candidates(self, y: np.ndarray) -> list[Form]:
        error, trend, seasonal = self.model
        positive = bool(np.all(y > 0))
        seasonal_ok = self._seasonal_ok(len(y)) and self.season_ <= MAX_SEASON
        errors = [e for e in ("A", "M") if error in (e, "Z") and (e == "A" or positive)]
        trends = [t for t in ("N", "A") if trend in (t, "Z")]
        seasonals = [s for s in ("N", "A", "M") if seasonal in (s, "Z")
                     and (s == "N" or seasonal_ok) and (s != "M" or positive)]
        if not errors or not seasonals:
            raise ConfigError(f"{self.short_name}: model {self.model!r} does not fit this series: "
                              f"{self._refusal(y, positive)}. Fix: use model='ZZZ' to choose among the forms that fit.")
        forms = []
        for e, t, s in itertools.product(errors, trends, seasonals):
            if e == "A" and s == "M" and self.model[0] == "Z":
                continue  # R's restriction: unstable
            for damped in ([False, True] if self.damped is None else [self.damped]) if t == "A" else [False]:
                forms.append(Form(e, t, s, damped))
        return forms

    def _refusal(self, y: np.ndarray, positive: bool) -> str:
        """Why the fixed letters of ``model`` leave no form for ``y``, naming this series' problem."""
        problems = []
        if not positive and "M" in (self.model[0], self.model[2]):
            problems.append(f"multiplicative components need strictly positive values, and its smallest is {y.min():g}")
        if self.model[2] in "AM" and self.season_ < 2:
            problems.append(f"a seasonal component needs a season of at least 2 observations, and this series' is "
                            f"{self.season_} (set season, e.g. 12 for monthly data)")
        elif self.model[2] in "AM" and not self._seasonal_ok(len(y)):
            problems.append(f"a season of {self.season_} needs at least {2 * self.season_ + _EXTRA_POINTS} "
                            f"observations, and it has {len(y)}")
        return "; ".join(problems) or "no form of it can be estimated on it"

    def _adjusts_season(self, n: int) -> bool:
        """Whether the season is removed by STL before ETS (a season above 24 with enough data)."""
        if self.season_ <= MAX_SEASON or self.model[2] == "N":
            return False
        if not self._seasonal_ok(n):
            # a seasonal 'A' or 'M' was refused for its length already: this is 'Z' falling back
            warnings.warn(
                f"{self.short_name}: a season of {self.season_} observations needs at least "
                f"{2 * self.season_ + _EXTRA_POINTS} of them (two cycles and {_EXTRA_POINTS}) to be removed by STL; "
                f"the series has {n}: fitting non-seasonal forms. Fix: provide more history, or set season "
                "to a shorter cycle (e.g. 7 days on daily data).", FitWarning, stacklevel=4)
            return False
        if self.model[2] == "M":
            raise ConfigError(
                f"{self.short_name}: a multiplicative season of {self.season_} observations is not supported: "
                f"seasons above {MAX_SEASON} are removed by an additive STL decomposition first. "
                "Fix: use model='ZZZ' or a seasonal 'A' (or 'N' to leave the season out)."
            )
        return True

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        values = y.to_numpy(dtype="float64")
        for name in ("mstl_", *TREND_STATE):  # a refit starts afresh: one of the two kinds of state
            self.__dict__.pop(name, None)
        self.mstl_ = None
        if self._adjusts_season(len(values)):
            if self.model[0] == "M" and not (values > 0).all():
                # refused here, in this model's letters, rather than by the trend model MSTL
                # fits (whose message would name mstl and a non-seasonal form the user never asked for)
                raise ConfigError(f"{self.short_name}: model {self.model!r} does not fit this series: "
                                  f"{self._refusal(values, False)}. Fix: use model='ZZZ' to choose among the "
                                  "forms that fit.")
            self.mstl_ = long_season_mstl(self, self.season_).fit(y)
            self.form_, self.search_ = self.mstl_.trend_model_.form_, self.mstl_.trend_model_.search_
            return
        search: dict[str, float] = {}
        best: ETSFit | None = None
        decompositions: dict[str, np.ndarray] = {}  # one classical decomposition per seasonal type
        with np.errstate(all="ignore"):
            for form in self._candidates(values):
                if form.seasonal != "N" and form.seasonal not in decompositions:
                    decompositions[form.seasonal] = seasonal_estimate(values, self.season_, form.seasonal)
                fitted = fit_form(values, form, self.season_, decompositions.get(form.seasonal))
                score = fitted.aicc if fitted is not None and np.isfinite(fitted.aicc) else np.inf
                search[form.label] = float(score)
                if np.isfinite(score) and (best is None or score < best.aicc):
                    best = fitted
        if best is None:
            raise ModelError(f"{self.short_name}: no ETS form could be fitted (tried {', '.join(search)}); "
                             "the series is too short for them or degenerate. Fix: use 'naive' or 'theta'.")
        self.form_spec_, self.results_, self.scale_dof_ = tuple(best.form), best, best.dof
        self.holt_winters_season_ = False
        self.form_, self.search_ = best.form.label, search

    @property
    def label_(self) -> str:
        """The chosen form, e.g. ``"ETS(MAdM)"`` (``"STL(52)+ETS(AAdN)"`` on an adjusted series)."""
        if getattr(self, "mstl_", None) is not None:
            return f"STL({self.season_})+ETS({self.form_})"
        return f"ETS({self.form_})"

    # ---------------------------------------------------------- state and update
    def _form(self) -> Form:
        error, trend, seasonal, damped = self.form_spec_
        return Form(str(error), str(trend), str(seasonal), bool(damped))

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        if self.mstl_ is not None:  # the season carries on as forecast, the trend ETS filters the rest
            self.mstl_.update(y_new)
            return
        # the whole history is filtered with the fitted parameters: no re-estimation
        self._rebuild_results(self.results_.params)

    def _restore_state(self, state: dict) -> None:
        # files saved before the compiled likelihood: the plain mean square, statsmodels' smoother
        if state.get("mstl_") is None:
            state.setdefault("scale_dof_", 0)
            state.setdefault("holt_winters_season_", True)
        seasonal = state.pop("seasonal_", None)
        if seasonal is not None:
            # a file saved when ETS adjusted seasons above 24 itself: the same MSTL a fit builds now
            try:
                state["mstl_"] = mstl_from_saved_adjustment(self, seasonal, state)
            except KeyError as missing:
                raise ModelFileError(f"this ETS model file holds a seasonal adjustment but not its {missing} "
                                     "entry: it is damaged or was not written by tsforecast.") from None
        state.setdefault("mstl_", None)
        super()._restore_state(state)

    def _rebuild_results(self, params: np.ndarray) -> None:
        with np.errstate(all="ignore"):
            self.results_ = ETSFit(self.y_.to_numpy(dtype="float64"), self._form(), self.season_, params,
                                   self.scale_dof_, self.holt_winters_season_)

    # --------------------------------------------------------------- forecasts
    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        if self.mstl_ is not None:
            return self.mstl_.predict(horizon).to_numpy()
        with np.errstate(all="ignore"):
            return self.results_.forecast(horizon)

    def _simulate(self, horizon: int, n: int | None = None, rng: np.random.Generator | None = None,
                  temperature: float = 1.0) -> np.ndarray:
        """Simulated future paths, shape ``(horizon, n)``: ``simulation_paths`` seeded with
        ``seed`` by default. The model's normal errors (standard deviation from the fit) are
        drawn here so that ``temperature`` can scale them."""
        n = self.simulation_paths if n is None else n
        rng = np.random.default_rng(self.seed) if rng is None else rng
        if self.mstl_ is not None:  # its trend ETS draws from this generator as this model would
            return self.mstl_.paths_from(horizon, n, rng, temperature)
        errors = rng.standard_normal((horizon, n)) * np.sqrt(self.results_.scale) * temperature
        with np.errstate(all="ignore"):
            return self.results_.simulate(errors)

    def _fitted_values(self) -> np.ndarray:
        if self.mstl_ is not None:
            return self.mstl_.fitted_values().to_numpy()
        return self.results_.fittedvalues.copy()  # the caller's Series must not share the fit's array

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
