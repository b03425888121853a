"""ETS on a season above :data:`~tsforecast.models.mstl.MAX_STATE_SEASON`: MSTL does it.

One seasonal state per observation of a 52-week or 48-half-hour cycle is slow and poorly
estimated (R refuses it). Such a season is removed by STL and a non-seasonal ETS forecasts
the rest: exactly :class:`~tsforecast.models.mstl.MSTL` with one period and an ETS trend
model. So :class:`~tsforecast.models.ets.ETS` builds that MSTL (:func:`long_season_mstl`) and
forwards to it; the decomposition, the seasonal cycle carried on by ``update`` and added back
to forecasts, paths and fitted values live in ``mstl.py`` and ``seasonal_adjust.py`` alone.

Model files saved while ETS adjusted long seasons itself hold the seasonal component
(``seasonal_``) and the non-seasonal form's parameters; :func:`mstl_from_saved_adjustment`
turns them into the same MSTL a fit builds now, so they forecast exactly as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tsforecast.core.frequency import infer_season
from tsforecast.models.base import Forecaster
from tsforecast.models.mstl import MSTL
from tsforecast.persistence.state import ModelState

__all__ = ["long_season_mstl", "mstl_from_saved_adjustment", "TREND_STATE"]

#: the fitted attributes of a non-seasonal ETS, beside the Forecaster's own; the last two
#: (the chosen form and the search) an ETS forwarding to its MSTL keeps as well
TREND_STATE = ("results_", "form_spec_", "scale_dof_", "holt_winters_season_", "form_", "search_")


def _trend_params(ets: Forecaster) -> dict[str, Any]:
    """The trend ETS's parameters (``ets`` is an :class:`~tsforecast.models.ets.ETS`; typed
    by its base, as this module sits below the estimator): the same error and trend letters, non-seasonal, the same
    damping, simulation and seed (MSTL adds ``season=1``)."""
    return {"model": ets.model[:2] + "N", "damped": ets.damped, "simulation_paths": ets.simulation_paths,
            "seed": ets.seed}


def long_season_mstl(ets: Forecaster, season: int) -> MSTL:
    """An unfitted MSTL on ``season`` with the non-seasonal ETS matching ``ets`` as its trend
    model."""
    return MSTL(periods=[int(season)], trend="ets", trend_params=_trend_params(ets))


def mstl_from_saved_adjustment(ets: Forecaster, seasonal: np.ndarray, state: dict[str, Any]) -> MSTL:
    """The fitted MSTL that a model file of the old layout describes: ``seasonal`` (the STL
    component over the whole history, updates included) and, in ``state``, the non-seasonal
    form fitted to ``y - seasonal`` (popped from it). ``ets.y_`` is the restored history.
    Nothing is re-estimated: the trend ETS is rebuilt from the saved parameters."""
    y = ets.y_
    seasonal = np.asarray(seasonal, dtype="float64").reshape(-1)
    adjusted = pd.Series(y.to_numpy(dtype="float64") - seasonal, index=y.index, name=y.name)
    common = {"freq_": state["freq_"], "cutoff_": state["cutoff_"], "exog_schema_": state.get("exog_schema_")}
    trend_fitted = {**common, "season_": 1, "mstl_": None,
                    **{k: state[k] if k in ("form_", "search_") else state.pop(k) for k in TREND_STATE}}
    trend_params = {"season": 1, **_trend_params(ets)}
    trend = type(ets).from_state(ModelState(model=ets.short_name, params=trend_params, y=adjusted, X=None,
                                            fitted=trend_fitted), copy=False)
    model = long_season_mstl(ets, state["season_"])
    fitted = {**common, "season_": infer_season(state["freq_"]), "seasonal_": seasonal[None, :],
              "periods_": [int(state["season_"])], "trend_model_": trend}
    return MSTL.from_state(ModelState(model=model.short_name, params=model.get_params(deep=False), y=y, X=None,
                                      fitted=fitted), copy=False)
