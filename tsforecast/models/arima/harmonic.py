"""Dynamic harmonic regression: ARIMA errors with Fourier terms as known regressors.

R's ``auto.arima(y, xreg = fourier(y, K))`` for a season too long or not whole (a 52.18-week
year, a 365.25-day year, a 336-half-hour week): the season is ``2K`` regression coefficients
on sine/cosine pairs (:mod:`tsforecast.data.fourier`), the short-run dynamics an ARIMA on the
regression's errors. :class:`HarmonicRegression` is the part of the ARIMA forecasters that
adds the terms: a model with ``fourier`` periods gets, next to any user ``X``, the terms of
each timestamp counted from the training series' first timestamp, so the horizon's terms
continue the history's.

**Choosing K** (``fourier_k=None``): by AICc, as Hyndman & Athanasopoulos (FPP, ch. 10.5)
choose it. Periods are taken in the order given; for each, K grows from 1 (the others held at
their current K, starting at 1) while the AICc of the fitted ARIMA falls, up to
:data:`~tsforecast.data.fourier.MAX_HARMONICS` (10) or half the period. That is
``sum(K_i) + len(periods)`` fits at most, instead of every combination. All fits share the
data and orders, so their AICc compare.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from tsforecast.core.errors import TsforecastError
from tsforecast.core.frequency import future_index
from tsforecast.data.fourier import MAX_HARMONICS, check_fourier_params, fourier_frame

__all__ = ["HarmonicRegression", "choose_fourier_k"]


def choose_fourier_k(
    periods: list[float], score: Callable[[list[int]], float], max_k: int = MAX_HARMONICS
) -> list[int]:
    """K per period by the greedy AICc search of the module docstring; ``score(ks)`` is the
    AICc of the model with those harmonics (``inf`` when it cannot be fitted)."""
    ks = [1] * len(periods)
    best = score(ks)
    for i, period in enumerate(periods):
        limit = min(max_k, int(period // 2))
        while ks[i] < limit:
            trial = ks[:i] + [ks[i] + 1] + ks[i + 1:]
            value = score(trial)
            if not value < best:
                break
            ks, best = trial, value
    return ks


class HarmonicRegression:
    """Mixin of the ARIMA forecasters: ``fourier`` / ``fourier_k`` parameters become
    regressor columns (``fourier_k_`` the harmonics used, ``fourier_origin_`` position 0)."""

    def _fourier_periods(self) -> list[float]:
        return check_fourier_params(self.short_name, getattr(self, "fourier", None),
                                    getattr(self, "fourier_k", None))[0]

    def _fourier_terms(self, index: pd.DatetimeIndex) -> pd.DataFrame | None:
        ks = getattr(self, "fourier_k_", None)
        if not ks:
            return None
        return fourier_frame(index, self._fourier_periods(), ks, origin=self.fourier_origin_, freq=self.freq_)

    def _with_fourier(self, X: pd.DataFrame | None, index: pd.DatetimeIndex) -> pd.DataFrame | None:
        """``X`` (may be None) with the Fourier terms of ``index`` appended."""
        terms = self._fourier_terms(index)
        if terms is None:
            return X
        return terms if X is None else pd.concat([X, terms], axis=1)

    def _fourier_label(self) -> str:
        """``"+Fourier(52.18 K=5)"`` for the terms used, else empty."""
        ks = getattr(self, "fourier_k_", None)
        if not ks:
            return ""
        return "+Fourier(" + ", ".join(f"{p:g} K={k}" for p, k in zip(self._fourier_periods(), ks, strict=True)) + ")"

    def _future_with_fourier(self, X: pd.DataFrame | None, horizon: int) -> pd.DataFrame | None:
        return self._with_fourier(X, future_index(self.cutoff_, self.freq_, horizon))

    def _start_fourier(self, y: pd.Series, X: pd.DataFrame | None,
                       fit: Callable[[pd.DataFrame | None], tuple]) -> tuple[pd.DataFrame | None, tuple | None]:
        """Set ``fourier_k_`` (given, or by AICc of ``fit(design)``, whose first item is
        statsmodels results) and ``fourier_origin_``; return the training design and, after a
        search, the chosen K's fit (so it is not repeated), else None."""
        periods, ks = check_fourier_params(self.short_name, getattr(self, "fourier", None),
                                           getattr(self, "fourier_k", None))
        self.fourier_origin_ = y.index[0]
        if not periods:
            self.fourier_k_ = None
            return X, None
        fits: dict[tuple[int, ...], tuple] = {}
        if ks is None:
            def score(trial: list[int]) -> float:
                self.fourier_k_ = trial
                try:
                    fits[tuple(trial)] = fit(self._with_fourier(X, y.index))
                except TsforecastError:  # these harmonics cannot be fitted: not a candidate
                    return float("inf")
                return float(fits[tuple(trial)][0].aicc)

            ks = choose_fourier_k(periods, score)
        self.fourier_k_ = list(ks)
        return self._with_fourier(X, y.index), fits.get(tuple(ks))
