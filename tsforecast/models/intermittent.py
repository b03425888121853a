"""Intermittent demand: Croston (classic and SBA), TSB, ADIDA and IMAPA, and a detector.

Retail and spare-parts series are mostly zeros. These models forecast the demand *rate* (the
expected demand per period) from the sizes of the nonzero demands and how often they come,
exactly as statsforecast's ``CrostonClassic``, ``CrostonSBA``, ``TSB``, ``ADIDA`` and ``IMAPA``
define it (the point forecasts agree to 1e-6; ``tests/test_intermittent.py`` checks a fixture
statsforecast produced, ``benchmarks/intermittent_peers.py`` compares live):

* ``croston``: SES (alpha 0.1) of the demand sizes over SES of the intervals between demands;
* ``croston_sba``: the same times ``1 - alpha / 2`` (Syntetos-Boylan: Croston is biased up);
* ``tsb``: SES of the sizes times SES (``alpha_p``) of the 0/1 demand occurrence, updated every
  period, so a rate decays while no demand comes (Teunter-Syntetos-Babai);
* ``adida``: sums over blocks of the rounded mean interval, an optimised-SES forecast of the
  next block, divided back over its periods;
* ``imapa``: ADIDA's forecast at every block length from 1 to the mean interval, averaged.

**Distribution.** A period's demand is zero, or with probability ``p`` a positive size. ``p``
is each model's own occurrence estimate (``1 / smoothed interval`` for Croston and SBA, the
smoothed occurrence for TSB, ``1 / mean interval`` for ADIDA and IMAPA); the sizes are the
training demands, rescaled so that ``p`` times their mean is the point forecast (so SBA's
correction lowers the sizes). Quantiles, intervals
and sample paths all come from that mixture, per period (the same at every step: the models
have no dynamics beyond the level), so they are never below zero and a quantile below
``1 - p`` is exactly zero. With an atom at zero a central interval bounded at 0 holds more than
its nominal coverage; each upper quantile holds its level (tested on simulated demand).

**Rules.** Negative values are refused (demand is not negative), naming their dates. A series
of zeros forecasts zero. One demand is too few to estimate sizes and intervals: fitting needs
at least two (and two observations). :func:`intermittency` classifies a series as Syntetos,
Boylan and Croston (2005) do, for ``auto`` to decide when these models are candidates.
``update`` rolls Croston, SBA and TSB forward in place (their smoothings continued: the same
numbers as a refit); ADIDA and IMAPA refit, as their aggregation level may change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsforecast.core.errors import DataError
from tsforecast.core.params import check_float
from tsforecast.evaluation.intervals import interval_bounds
from tsforecast.models.base import Forecaster
from tsforecast.models.intermittent_numerics import (
    adida_fitted,
    chunk_forecast,
    demand_intervals,
    expand_between_demands,
    imapa_fitted,
    ses_forecast,
)

__all__ = ["ADI_CUTOFF", "ADIDA", "CV2_CUTOFF", "IMAPA", "MIN_DEMANDS", "TSB", "Croston", "CrostonSBA",
           "Intermittency", "intermittency"]

#: the average demand interval from which a series counts as intermittent (Syntetos et al. 2005)
ADI_CUTOFF = 1.32
#: the squared coefficient of variation of demand sizes from which demand is erratic or lumpy
CV2_CUTOFF = 0.49
#: the fewest demands (nonzero values) a model fits on, unless there are none at all
MIN_DEMANDS = 2


@dataclass(frozen=True)
class Intermittency:
    """How intermittent a series is (see :func:`intermittency`)."""

    #: share of periods with zero demand
    zero_share: float
    #: average demand interval: periods per demand, the first counted from the series' start
    adi: float
    #: squared coefficient of variation (population) of the nonzero demand sizes
    cv2: float
    #: whether demand is intermittent or lumpy (``adi >= ADI_CUTOFF``), or absent
    is_intermittent: bool
    #: ``"smooth"``, ``"erratic"``, ``"intermittent"``, ``"lumpy"`` or ``"none"`` (no demand)
    kind: str


def intermittency(values: object) -> Intermittency:
    """Classify demand as Syntetos, Boylan and Croston (2005): by the average demand interval
    (ADI, cut at 1.32) and the squared coefficient of variation of the sizes (CV², cut at
    0.49): smooth (both low), erratic (sizes vary), intermittent (demand is rare), lumpy
    (both). ``values`` is a Series or array of nonnegative finite numbers (NaN is refused: fill
    or drop it first, as the validation layer does for a fit).

    >>> intermittency([0, 0, 3, 0, 0, 3, 0, 4]).kind
    'intermittent'
    """
    array = np.asarray(values, dtype="float64").reshape(-1)
    if array.size == 0 or not np.isfinite(array).all():
        raise DataError("intermittency needs a nonempty series of finite values; fill or drop the missing ones.")
    if (array < 0).any():
        raise DataError(f"intermittency measures demand, which is not negative; the series has "
                        f"{int((array < 0).sum())} negative value(s).")
    sizes = array[array != 0]
    zero_share = float(1 - sizes.size / array.size)
    if sizes.size == 0:
        return Intermittency(zero_share, float("inf"), float("nan"), True, "none")
    adi = float(demand_intervals(array).mean())
    cv2 = float(sizes.var() / sizes.mean() ** 2)
    rare, varied = adi >= ADI_CUTOFF, cv2 >= CV2_CUTOFF
    kind = ("lumpy" if varied else "intermittent") if rare else ("erratic" if varied else "smooth")
    return Intermittency(zero_share, adi, cv2, rare, kind)


def _stamp(timestamp: pd.Timestamp) -> str:
    """A timestamp as a message shows it: the date alone at midnight."""
    return str(timestamp.date() if timestamp == timestamp.normalize() else timestamp)


class _Intermittent(Forecaster):
    """Shared machinery: checks, the zero-or-size distribution, no regressors.

    A subclass sets ``rate_`` (the point forecast) and ``probability_`` (of a demand in a
    period) in ``_fit_rate`` and gives its in-sample forecasts in ``_fitted_values``."""

    def _min_length(self) -> int:
        return 2

    @classmethod
    def test_params(cls) -> dict:
        """Tiny parameters for the contract test suite (the defaults are cheap)."""
        return {}

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        values = y.to_numpy()
        negative = values < 0
        if negative.any():
            dates = ", ".join(_stamp(d) for d in y.index[negative][:3])
            more = f" (and {int(negative.sum()) - 3} more)" if negative.sum() > 3 else ""
            raise DataError(
                f"{self.short_name} forecasts demand, which cannot be negative; the series has negative "
                f"values at {dates}{more}. Fix: correct or clip them (returns are not demand), or use a "
                "model for signed data such as ets."
            )
        demands = values[values != 0]
        if demands.size == 0:  # no demand yet: a zero forecast, nothing to divide by
            self.rate_, self.probability_ = 0.0, 0.0
        elif demands.size < MIN_DEMANDS:
            raise DataError(
                f"{self.short_name} needs at least {MIN_DEMANDS} demands (nonzero values) to estimate demand "
                f"sizes and intervals; the series has {demands.size} (at {_stamp(y.index[values != 0][0])}). Fix: "
                "provide more history, or use 'mean' for a series this sparse."
            )
        else:
            self._fit_rate(values, demands)
        self.sizes_ = demands
        # periods since the last demand: the start of the next interval, for _update
        self.since_demand_ = int(values.size - 1 - np.flatnonzero(values)[-1]) if demands.size else values.size

    def _roll_forward(self, y_new: pd.Series) -> bool:
        """Check and append ``y_new`` for an in-place update; False when the fit had no
        demand yet (then the caller refits: the new values may hold the first ones)."""
        values = y_new.to_numpy()
        if (values < 0).any() or self.sizes_.size == 0:
            self._fit(self.y_, None)  # refused with the dates, or fitted from scratch
            return False
        demands = values[values != 0]
        self.sizes_ = np.concatenate([self.sizes_, demands]) if demands.size else self.sizes_
        return True

    def _fit_rate(self, values: np.ndarray, demands: np.ndarray) -> None:
        raise NotImplementedError

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return np.full(horizon, self.rate_)

    def _scaled_sizes(self) -> np.ndarray:
        """The training demand sizes rescaled so that probability times their mean is the rate."""
        return self.sizes_ * (self.rate_ / self.probability_ / self.sizes_.mean())

    def _no_demand(self) -> bool:
        return self.rate_ <= 0 or self.probability_ <= 0

    def _predict_quantiles(self, horizon: int, levels: tuple[float, ...], X: pd.DataFrame | None) -> np.ndarray:
        levels_array = np.asarray(levels, dtype="float64")
        row = np.zeros(levels_array.size)
        if not self._no_demand():
            zero_mass = 1.0 - self.probability_
            positive = levels_array > zero_mass
            # the size distribution's quantile at the level's share of the positive mass
            row[positive] = np.quantile(self._scaled_sizes(), (levels_array[positive] - zero_mass) / self.probability_)
        return np.tile(row, (horizon, 1))

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        bounds = self._predict_quantiles(horizon, interval_bounds(coverage), X)
        return bounds[:, 0], bounds[:, 1]

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        if self._no_demand():
            return np.zeros((horizon, n))
        occurs = rng.random((horizon, n)) < self.probability_
        draws = np.where(occurs, rng.choice(self._scaled_sizes(), size=(horizon, n)), 0.0)
        # temperature scales each draw's distance from the rate; above 1 that may cross zero,
        # which demand cannot
        return np.maximum(self.rate_ + temperature * (draws - self.rate_), 0.0)


def _check_alpha(owner: str, name: str, value: object) -> float:
    return check_float(owner, name, value, 0.0, 1.0, low_open=True)


class Croston(_Intermittent):
    """Croston's method: SES of the demand sizes over SES of the intervals between them, both
    with ``alpha`` (statsforecast's ``CrostonClassic`` fixes 0.1). ``update`` continues both
    smoothings over the new values (the numbers of a refit, without one)."""

    short_name = "croston"
    _debias = False

    def __init__(self, alpha: float = 0.1) -> None:
        self.alpha = alpha

    def check_params(self) -> None:
        """Refuse an ``alpha`` outside (0, 1]."""
        _check_alpha(self.short_name, "alpha", self.alpha)

    def _factor(self) -> float:
        return 1.0 - self.alpha / 2 if self._debias else 1.0

    def _fit_rate(self, values: np.ndarray, demands: np.ndarray) -> None:
        size, _ = ses_forecast(demands, float(self.alpha))
        interval, _ = ses_forecast(demand_intervals(values), float(self.alpha))
        self.demand_level_, self.interval_level_ = float(size), float(interval)
        # intervals are >= 1, so their smoothed value is never 0. SBA's factor lowers the sizes
        # of the distribution, not the chance of demand: scaling the chance would put an atom
        # at zero into a series that never has one (and its intervals below the rate)
        self.probability_ = 1.0 / self.interval_level_
        self.rate_ = self.demand_level_ / self.interval_level_ * self._factor()  # statsforecast's order

    updates_in_place = True  # _update continues the two smoothings (Forecaster.updates_in_place)

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        # the recursions of the fit, continued: the same numbers as a refit, in O(new values)
        if not self._roll_forward(y_new):
            return
        alpha = float(self.alpha)
        size, interval, since = self.demand_level_, self.interval_level_, self.since_demand_
        for value in y_new.to_numpy():
            since += 1
            if value != 0:
                size = alpha * value + (1 - alpha) * size
                interval = alpha * since + (1 - alpha) * interval
                since = 0
        self.demand_level_, self.interval_level_, self.since_demand_ = float(size), float(interval), since
        self.probability_ = 1.0 / interval
        self.rate_ = size / interval * self._factor()

    def _fitted_values(self) -> np.ndarray:
        values = self.y_.to_numpy()
        demands = values[values != 0]
        if demands.size == 0:
            return np.r_[np.nan, np.zeros(values.size - 1)]
        size, size_fitted = ses_forecast(demands, float(self.alpha))
        interval, interval_fitted = ses_forecast(demand_intervals(values), float(self.alpha))
        sizes = expand_between_demands(np.append(size_fitted, size), values, 0.0)
        intervals = expand_between_demands(np.append(interval_fitted, interval), values, 1.0)
        return self._factor() * sizes / intervals


class CrostonSBA(Croston):
    """Croston with the Syntetos-Boylan approximation: the rate times ``1 - alpha / 2``
    (0.95 at statsforecast's ``CrostonSBA`` alpha of 0.1), which removes Croston's upward bias."""

    short_name = "croston_sba"
    _debias = True


class TSB(_Intermittent):
    """Teunter-Syntetos-Babai: SES (``alpha_d``) of the demand sizes times SES (``alpha_p``)
    of the 0/1 occurrence of demand, which moves every period, so the rate decays through a
    run of zeros (obsolescence). statsforecast's ``TSB`` has no defaults; 0.1 each here."""

    short_name = "tsb"

    def __init__(self, alpha_d: float = 0.1, alpha_p: float = 0.1) -> None:
        self.alpha_d = alpha_d
        self.alpha_p = alpha_p

    def check_params(self) -> None:
        """Refuse an ``alpha_d`` or ``alpha_p`` outside (0, 1]."""
        _check_alpha(self.short_name, "alpha_d", self.alpha_d)
        _check_alpha(self.short_name, "alpha_p", self.alpha_p)

    def _fit_rate(self, values: np.ndarray, demands: np.ndarray) -> None:
        occurrence, _ = ses_forecast((values != 0).astype("float64"), float(self.alpha_p))
        size, _ = ses_forecast(demands, float(self.alpha_d))
        self.probability_, self.demand_level_ = float(occurrence), float(size)
        self.rate_ = self.probability_ * self.demand_level_

    updates_in_place = True  # _update continues the two smoothings (Forecaster.updates_in_place)

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        # the recursions of the fit, continued: the same numbers as a refit, in O(new values)
        if not self._roll_forward(y_new):
            return
        alpha_d, alpha_p = float(self.alpha_d), float(self.alpha_p)
        occurrence, size = self.probability_, self.demand_level_
        for value in y_new.to_numpy():
            occurrence = alpha_p * float(value != 0) + (1 - alpha_p) * occurrence
            if value != 0:
                size = alpha_d * value + (1 - alpha_d) * size
        self.probability_, self.demand_level_ = float(occurrence), float(size)
        self.rate_ = self.probability_ * self.demand_level_
        nonzero = np.flatnonzero(y_new.to_numpy())
        self.since_demand_ = int(y_new.size - 1 - nonzero[-1]) if nonzero.size else self.since_demand_ + y_new.size

    def _fitted_values(self) -> np.ndarray:
        values = self.y_.to_numpy()
        demands = values[values != 0]
        if demands.size == 0:
            return np.r_[np.nan, np.zeros(values.size - 1)]
        _, occurrence = ses_forecast((values != 0).astype("float64"), float(self.alpha_p))
        size, size_fitted = ses_forecast(demands, float(self.alpha_d))
        return occurrence * expand_between_demands(np.append(size_fitted, size), values, 0.0)


class _Aggregating(_Intermittent):
    """ADIDA and IMAPA: temporal aggregation at the mean demand interval."""

    def __init__(self) -> None:
        pass

    def _fit_rate(self, values: np.ndarray, demands: np.ndarray) -> None:
        mean_interval = float(demand_intervals(values).mean())
        # Python's round (half to even), as statsforecast's: 2.5 periods aggregate by 2
        self.level_ = round(mean_interval)
        self.probability_ = 1.0 / mean_interval
        self.rate_ = self._rate(values)

    def _rate(self, values: np.ndarray) -> float:
        raise NotImplementedError


class ADIDA(_Aggregating):
    """Aggregate-disaggregate intermittent demand approach (Nikolopoulos et al. 2011): sums
    over blocks of the (rounded) mean demand interval, the optimised-SES forecast of the next
    block's sum (alpha in [0.1, 0.3]), spread evenly over its periods."""

    short_name = "adida"

    def _rate(self, values: np.ndarray) -> float:
        return float(chunk_forecast(values, self.level_) / self.level_)

    def _fitted_values(self) -> np.ndarray:
        values = self.y_.to_numpy()
        if not values.any():
            return np.r_[np.nan, np.zeros(values.size - 1)]
        intervals = demand_intervals(values)
        running = np.round(intervals.cumsum() / np.arange(1, intervals.size + 1))
        levels = expand_between_demands(np.append(np.nan, running), values, 1.0)[1:].astype(np.int64)
        return adida_fitted(values, levels)


class IMAPA(_Aggregating):
    """Intermittent multiple aggregation prediction algorithm (Petropoulos and Kourentzes
    2015): ADIDA's forecast at every block length from 1 to the rounded mean demand interval,
    averaged."""

    short_name = "imapa"

    def _rate(self, values: np.ndarray) -> float:
        levels = range(1, self.level_ + 1)
        return float(np.mean([chunk_forecast(values, level) / level for level in levels]))

    def _fitted_values(self) -> np.ndarray:
        return imapa_fitted(self.y_.to_numpy())
