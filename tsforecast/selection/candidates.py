"""Which candidates ``auto`` validates on a series, from its values' kind and its seasons.

A function of the series alone (length, frequency, and whether its values are intermittent
demand), like the rest of the plan (:mod:`tsforecast.selection.plan`), so the choice stays the
same on every machine:

* **Always**: :data:`~tsforecast.selection.plan.DEFAULT_CANDIDATES` (``snaive``, ``naive``,
  ``theta``, ``ridge``, ``auto_arima``, ``ets``), and ``lstm`` from ``neural_min_length``.
* **Intermittent demand** (:func:`~tsforecast.models.intermittent.intermittency`: nonnegative
  values with an average demand interval of at least 1.32 periods, Syntetos-Boylan-Croston's
  cut; ADI above 1.32 means at least about a quarter of the periods are zero): ``mean``,
  ``croston_sba``, ``tsb`` and ``imapa`` join (:data:`INTERMITTENT_CANDIDATES`), ``ets``
  leaves (its additive forms forecast negative demand at 62% of the benchmark panels' demand
  origins; without it ``auto``'s RMSSE fell on both panels, 0.6175 to 0.6057 on 481 simulated
  items and 0.3633 to 0.3607 on 247 countries' holiday counts, ``benchmarks/README.md``), and
  every candidate is ranked by RMSSE (M5's error: the root mean squared error over the in-sample
  naive one) instead of MASE. Absolute errors are minimised by the median, which on mostly
  zero data is zero: MASE ranks a flat zero forecast first and so favours ``naive`` after a
  zero, while stock decisions need the mean rate. Classic ``croston`` and ``adida`` are not
  added: SBA corrects Croston's known upward bias, IMAPA averages ADIDA over levels (on the
  simulated panel, ``benchmarks/README.md``, both lose to those that replace them).
* **Long or several seasons** (:func:`~tsforecast.models.mstl.long_season_plan` says
  ``"mstl"``: a period above 24, as weekly data's 52, or two, as hourly data's 24 and 168):
  ``mstl`` on the plan's periods and ``ridge_fourier`` (``ridge`` with Fourier terms of the
  exact periods, 52.18 weeks, 365.25 days) join. Not on intermittent data, where the STL of
  a mostly zero series forecasts negative demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tsforecast.models.intermittent import intermittency
from tsforecast.models.mstl import long_season_plan
from tsforecast.selection.plan import DEFAULT_CANDIDATES, NEURAL_CANDIDATE

__all__ = ["INTERMITTENT_CANDIDATES", "RIDGE_FOURIER", "CandidateSet", "candidate_set", "is_intermittent_demand"]

#: the intermittent-demand models added on intermittent series (with ``mean``, their benchmark)
INTERMITTENT_CANDIDATES = ("mean", "croston_sba", "tsb", "imapa")
#: the label under which the Fourier-term ridge of a long-season series is validated
RIDGE_FOURIER = "ridge_fourier"


@dataclass(frozen=True)
class CandidateSet:
    """The candidates for one series: label -> (registry name, parameters), and the error
    they are ranked by (``"mase"``, or ``"rmsse"`` on intermittent demand)."""

    models: dict[str, tuple[str, dict]] = field(default_factory=dict)
    metric: str = "mase"


def is_intermittent_demand(y: pd.Series) -> bool:
    """Whether ``y`` is intermittent demand: nonnegative, with at least one zero, and
    intermittent or lumpy by :func:`~tsforecast.models.intermittent.intermittency`."""
    values = y.to_numpy(dtype="float64")
    if values.size == 0 or not np.isfinite(values).all() or (values < 0).any() or (values != 0).all():
        return False
    return intermittency(values).is_intermittent


def candidate_set(y: pd.Series, freq: object, neural_min_length: int | None) -> CandidateSet:
    """The default candidates for the training series ``y`` at ``freq`` (module docstring)."""
    names = list(DEFAULT_CANDIDATES)
    if neural_min_length is not None and len(y) >= neural_min_length:
        names.append(NEURAL_CANDIDATE)
    models: dict[str, tuple[str, dict]] = {name: (name, {}) for name in names}
    if is_intermittent_demand(y):
        del models["ets"]  # negative demand forecasts (module docstring)
        models.update({name: (name, {}) for name in INTERMITTENT_CANDIDATES})
        return CandidateSet(models, "rmsse")
    seasons = long_season_plan(freq, len(y))
    for name, params in seasons.candidates().items():
        models[RIDGE_FOURIER if name == "ridge" else name] = (name, params)
    return CandidateSet(models, "mase")
