"""Exponential smoothing in state-space form (ETS), with a compiled likelihood.

``model`` names the error, trend and seasonal components in the conventional three letters
(R's ``forecast::ets``, statsforecast's ``AutoETS``): ``A`` additive, ``M`` multiplicative,
``N`` none, ``Z`` chosen automatically. The default ``"ZZZ"`` fits every admissible form and
keeps the one with the lowest AICc:

* error ``A`` or ``M`` (``M`` only for strictly positive data);
* trend ``N`` or ``A``, the additive trend also damped (``damped=None``; ``True``/``False``
  fixes it). Multiplicative trends are left out, as R does by default: they extrapolate
  explosively;
* seasonal ``N``, ``A`` or ``M`` when the series has at least two full seasons plus a few
  points (``M`` only for positive data). Additive error with multiplicative seasonality is
  left out (numerically unstable, excluded by R too).
* a season above 24 observations (52 weeks, 48 half-hours) gets no seasonal states (one state
  per season is slow and poorly estimated, R refuses it): the model is then
  :class:`~tsforecast.models.mstl.MSTL` on that period with a non-seasonal ETS trend
  (:mod:`~tsforecast.models.ets.long_season`; fitted as ``mstl_``): STL removes the season,
  the non-seasonal forms are fitted to the adjusted series, and the last seasonal cycle is
  added back to the forecasts and paths. ``label_`` then reads ``STL(52)+ETS(AAdN)``. A series
  too short for such a season (two cycles and 3 points) gets the non-seasonal forms with a
  :class:`~tsforecast.core.errors.FitWarning` naming the length the season needs.

Each form is estimated by maximum likelihood on a compiled state-space recursion
(:mod:`~tsforecast.models.ets.likelihood`, numba): R's starting values and bounds
(:mod:`~tsforecast.models.ets.forms`), Nelder-Mead within the usual and admissible region.
Prediction intervals and quantiles come from simulating the fitted model forward
(``simulation_paths`` sample paths, seeded by ``seed``), which treats every form alike,
multiplicative ones included. :meth:`~ETS.update` filters new observations with the fitted
parameters (no re-estimation). The chosen form is ``form_`` (e.g. ``"MAdM"``), every
candidate's AICc is in ``search_``.
"""

from __future__ import annotations

from tsforecast.models.ets.estimator import ETS, MAX_SIMULATION_PATHS, ETSFit, fit_form

__all__ = ["ETS", "ETSFit", "MAX_SIMULATION_PATHS", "fit_form"]
