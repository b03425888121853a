"""Automatic ARIMA order selection (the Hyndman-Khandakar stepwise algorithm).

The search, bounded and deterministic:

1. Seasonal differencing ``D`` (0 or 1): 1 when the STL seasonal strength
   ``max(0, 1 - var(remainder) / var(seasonal + remainder))`` exceeds 0.64 (the threshold
   used by R's forecast/fable and statsforecast), and the series holds at least three seasons.
2. Differencing ``d`` (0 to ``max_d``): KPSS tests at 5% on the seasonally differenced series,
   differencing while the test rejects stationarity.
3. Orders: the four starting models ARIMA(2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0),
   (0,d,1)(0,D,1) are fitted; then, stepwise, every neighbour of the current best (each of
   p, q, P, Q by +-1, p and q together by +-1, the constant on or off) within
   ``max_p, max_q, max_P, max_Q``; the best by ``information_criterion`` becomes the current
   model until no neighbour improves or ``max_models`` fits were made (94, R's default).
   ``stepwise=False`` fits the full grid instead (bounded by the same limits).
   On short histories the limits shrink as R's: ``p`` and ``q`` to a third of the history,
   ``P`` and ``Q`` to a third of its seasons; with too few seasons for any seasonal term (and
   no seasonal difference) the search is non-seasonal, so any history of 12 points fits.
   A candidate whose fitted AR or MA polynomial has a root within 1.01 of the unit circle is
   rejected (criterion ``inf``), as R and statsforecast reject it: such an MA root is the
   mark of an over-differenced series, and its forecasts were the search's worst.

Speed: candidates are compared on the differenced, standardised series. Every candidate
shares ``d`` and ``D``, so this changes every criterion by the same constant and the ranking
not at all. On long or long-season series (``approximation=None``: more than 150 points or a
season over 12, R's rule) each candidate is fitted by conditional sum of squares
(:mod:`tsforecast.models.arima.css`), milliseconds per candidate; otherwise by the exact state-space
likelihood with the innovation variance concentrated out. The best candidate is then fitted on
the original series by exact maximum likelihood; should that fail, the next best is tried.

The chosen orders are in ``order_``, ``seasonal_order_``, ``trend_``; every candidate tried
and its criterion in ``search_``.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import kpss

from tsforecast.core.errors import ModelError
from tsforecast.core.params import check_bool, check_choice, check_int
from tsforecast.models.arima.css import fit_css, information_criterion, roots_outside_unit_circle
from tsforecast.models.arima.estimators import StateSpaceARIMA, describe_orders

__all__ = ["AutoARIMA", "seasonal_strength", "choose_d"]

_SEASONAL_STRENGTH_THRESHOLD = 0.64
_MIN_LENGTH = 12  # observations; shorter histories leave too few for a differenced ARMA search


def seasonal_strength(values: np.ndarray, season: int) -> float:
    """STL seasonal strength in [0, 1] (Wang, Smith & Hyndman 2006)."""
    stl = STL(values, period=season, robust=False).fit()
    remainder = stl.resid
    detrended = stl.seasonal + remainder
    denominator = np.var(detrended)
    if denominator == 0:
        return 0.0
    return float(max(0.0, 1 - np.var(remainder) / denominator))


def choose_d(values: np.ndarray, max_d: int = 2, alpha: float = 0.05) -> int:
    """Number of differences until the KPSS test (bandwidth ``3 sqrt(n) / 13``, as R's
    ``ndiffs``) no longer rejects level stationarity."""
    series = values
    for d in range(max_d + 1):
        if len(series) < 10 or np.ptp(series) == 0:
            return d
        with warnings.catch_warnings():
            # kpss warns when the statistic is outside its p-value table; the p-value is
            # then clipped to 0.01 or 0.1, which is exactly what the decision needs.
            warnings.simplefilter("ignore", InterpolationWarning)
            # R's ndiffs bandwidth (forecast, and statsforecast after it): statsmodels' "auto"
            # choice takes so many lags on a short smooth trend that the test loses its power
            # (fertility rates over 36 years: d=0 and a mean-reverting forecast of a decline)
            lags = int(3 * np.sqrt(len(series)) / 13)
            p_value = kpss(series, regression="c", nlags=lags, result_object=False)[1]
        if p_value >= alpha or d == max_d:
            return d
        series = np.diff(series)
    return max_d


class AutoARIMA(StateSpaceARIMA):
    """ARIMA with orders chosen automatically (see the module docstring for the search)."""

    short_name = "auto_arima"

    def __init__(
        self,
        season: int | None = None,
        seasonal: bool = True,
        max_p: int = 5,
        max_q: int = 5,
        max_P: int = 2,
        max_Q: int = 2,
        max_d: int = 2,
        information_criterion: str = "aicc",
        stepwise: bool = True,
        max_models: int = 94,
        approximation: bool | None = None,
        warm_start: bool = False,
        estimator: str = "auto",
    ) -> None:
        self.season = season
        self.seasonal = seasonal
        self.max_p = max_p
        self.max_q = max_q
        self.max_P = max_P
        self.max_Q = max_Q
        self.max_d = max_d
        self.information_criterion = information_criterion
        self.stepwise = stepwise
        self.max_models = max_models
        self.approximation = approximation
        self.warm_start = warm_start
        self.estimator = estimator

    @classmethod
    def test_params(cls) -> dict:
        return {"max_p": 1, "max_q": 1, "max_P": 1, "max_Q": 1, "max_models": 4}

    def _min_length(self) -> int:
        # short seasonal histories are searched without seasonal terms (see _order_limits)
        return _MIN_LENGTH

    def _uses_season(self) -> bool:
        return bool(self.seasonal) and self.season_ > 1

    def _orders(self):
        # used by update/predict after selection; before that, the search decides
        return self.order_, self.seasonal_order_

    def _trend(self, order, seasonal_order) -> str:
        return self.trend_

    def _check_orders(self) -> None:
        """Nothing declared: the search chooses the orders (its bounds are checked below)."""

    def check_params(self) -> None:
        super().check_params()
        name = self.short_name
        for param in ("max_p", "max_q", "max_P", "max_Q", "max_d"):
            check_int(name, param, getattr(self, param), 0)
        check_int(name, "max_models", self.max_models, 1)
        check_bool(name, "seasonal", self.seasonal)
        check_bool(name, "stepwise", self.stepwise)
        if self.approximation is not None:
            check_bool(name, "approximation", self.approximation)
        check_choice(name, "information_criterion", self.information_criterion, ("aic", "aicc", "bic", "hqic"))

    def _approximate(self, n: int, m: int) -> bool:
        if self.approximation is None:
            return n > 150 or m > 12
        return bool(self.approximation)

    def _order_limits(self, n: int, m: int) -> tuple[int, int, int, int]:
        """``max_p, max_q, max_P, max_Q`` for a history of ``n`` points: the parameters, capped
        as R's ``auto.arima`` caps them on short series (a third of the history for ``p`` and
        ``q``, a third of its seasons for ``P`` and ``Q``), so that 12 yearly points are not
        searched up to ARIMA(5,d,5)."""
        seasons = n // (3 * m) if m else 0
        return (min(self.max_p, n // 3), min(self.max_q, n // 3),
                min(self.max_P, seasons), min(self.max_Q, seasons))

    def _score(self, z, exog, order, seasonal_order, constant: bool, approximate: bool) -> float:
        """Criterion of one candidate on the differenced, standardised series (inf on failure)."""
        (p, _, q), (P, _, Q, m) = order, seasonal_order
        if approximate:
            fit = fit_css(z, p, q, P, Q, m, constant, exog)
            return information_criterion(fit, len(z), self.information_criterion)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = SARIMAX(
                    z, exog=exog, order=order,
                    seasonal_order=seasonal_order if seasonal_order[3] else (0, 0, 0, 0),
                    trend="c" if constant else "n", concentrate_scale=True,
                )
                if model.k_params:
                    results = model.fit(disp=0, cov_type="none", low_memory=True)
                else:
                    # white noise around zero (a random walk without drift once differenced):
                    # nothing to estimate, and statsmodels' fit refuses an empty parameter vector
                    results = model.filter(np.empty(0), cov_type="none", low_memory=True)
        except (np.linalg.LinAlgError, ValueError, IndexError):
            return np.inf
        if not all(map(roots_outside_unit_circle, (results.polynomial_reduced_ar, results.polynomial_reduced_ma))):
            # R and statsforecast reject these too: an MA root at the unit circle is the sign of
            # an over-differenced series, and its forecasts are the search's worst (an
            # ARIMA(1,2,1) with theta=-1 on 12 yearly fertility rates: MASE 5.2 against 1.0)
            return np.inf
        value = float(getattr(results, self.information_criterion))
        return value if np.isfinite(value) else np.inf

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        values = y.to_numpy()
        exog = None if X is None else X.to_numpy()
        m = self.season_ if self._uses_season() else 0
        D = 0
        if m and len(values) >= 3 * m and seasonal_strength(values, m) > _SEASONAL_STRENGTH_THRESHOLD:
            D = 1
        max_p, max_q, max_P, max_Q = self._order_limits(len(values), m)
        if not (D or max_P or max_Q):
            m = 0  # too few seasons for any seasonal term: a non-seasonal search
        seasonal_diffed = values[m:] - values[:-m] if D else values
        d = choose_d(seasonal_diffed, self.max_d)
        diffed = np.diff(seasonal_diffed, n=d) if d else seasonal_diffed
        spread = diffed.std() or 1.0
        standardised = diffed / spread
        exog_diffed = _difference(exog, d, D, m)
        approximate = self._approximate(len(values), m)
        search: dict[tuple, float] = {}
        best: tuple | None = None

        def consider(p: int, q: int, P: int, Q: int, constant: bool) -> None:
            nonlocal best
            key = (p, q, P, Q, constant)
            if key in search or len(search) >= self.max_models:
                return
            if not (0 <= p <= max_p and 0 <= q <= max_q and 0 <= P <= max_P and 0 <= Q <= max_Q):
                return
            if m and ((P and p >= m) or (Q and q >= m)):
                # a lag in both the ordinary and the seasonal polynomial (AR(4) with a seasonal
                # AR at 4 on quarterly data): R accepts it, statsmodels refuses to build it
                return
            search[key] = self._score(
                standardised, exog_diffed, (p, 0, q), (P, 0, Q, m), constant, approximate
            )
            if best is None or search[key] < search[best]:
                best = key

        allow_constant = d + D <= 1
        if self.stepwise:
            for p, q, P, Q in ((2, 2, 1, 1), (0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1)):
                consider(p, q, P, Q, allow_constant)
            improved = True
            while improved and len(search) < self.max_models:
                current = best
                p, q, P, Q, c = current
                for dp, dq, dP, dQ in _NEIGHBOURS:
                    consider(p + dp, q + dq, P + dP, Q + dQ, c)
                if allow_constant:
                    consider(p, q, P, Q, not c)
                improved = best != current
        else:
            grid = itertools.product(range(max_p + 1), range(max_q + 1), range(max_P + 1), range(max_Q + 1))
            for p, q, P, Q in grid:
                consider(p, q, P, Q, allow_constant)
        if best is None or not np.isfinite(search[best]):
            raise ModelError(
                f"auto_arima found no ARIMA with d={d}, D={D} that fits this series."
            )
        self.search_ = {
            f"{describe_orders((k[0], d, k[1]), (k[2], D, k[3], m))} trend={_trend_for(d + D, k[4])}": v
            for k, v in search.items()
        }
        ranked = [key for key in sorted(search, key=search.get) if np.isfinite(search[key])]
        failures = []
        for p, q, P, Q, c in ranked[:_FINAL_FIT_ATTEMPTS]:
            self.order_ = (p, d, q)
            self.seasonal_order_ = (P, D, Q, m if m else 0)
            self.trend_ = _trend_for(d + D, c)
            try:
                super()._fit(y, X)
                return
            except ModelError as exc:
                failures.append(str(exc))
        raise ModelError("auto_arima: the best candidates all failed to fit: " + "; ".join(failures))


# how many of the best-ranked candidates to try fitting exactly before giving up
_FINAL_FIT_ATTEMPTS = 3


_NEIGHBOURS = [
    (dp, dq, dP, dQ)
    for dp, dq, dP, dQ in itertools.product((-1, 0, 1), repeat=4)
    # single moves in one of p, q, P, Q, or p and q moving together (as in forecast::auto.arima)
    if sum(map(abs, (dp, dq, dP, dQ))) == 1 or (dp == dq != 0 and dP == dQ == 0)
]


def _difference(exog: np.ndarray | None, d: int, D: int, m: int) -> np.ndarray | None:
    if exog is None:
        return None
    out = exog[m:] - exog[:-m] if D else exog
    return np.diff(out, n=d, axis=0) if d else out


def _trend_for(total_differences: int, constant: bool) -> str:
    if not constant or total_differences > 1:
        return "n"
    return "c" if total_differences == 0 else "t"
