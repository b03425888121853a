"""``auto``'s plan of work: which candidates it validates, on how many folds of how many steps.

The plan is derived from the series' length and frequency (its season) alone, never from a
clock, so with default parameters ``auto`` does the same work, chooses the same and forecasts
the same on any machine, under any load, with any ``n_jobs`` and engine. The rule:

* **Folds**: ``horizon`` steps each, one season clipped to 8..24 (8 on yearly, quarterly and
  daily data with a weekly season, 12 on monthly, 24 on hourly), and
  ``n_windows`` of them (3 by default), fewer when the history is short: as many as leave the
  ``fallback`` candidate (``auto_arima``) its history before the first fold, so it is
  validated whenever one fold allows it; when not even one does, as many as leave the least
  demanding candidate its history plus one season. Why the fallback decides: on the
  development set's short yearly and quarterly histories (13 to 31 observations), the folds
  the least demanding candidate allows (2 or 3) leave ``auto_arima`` out, and ``auto`` used
  it unvalidated; validating every candidate on the one or two folds that leave it its 12
  observations chose better at 7 of the 10 origins that changed (dev geo-mean ratio to the
  best statsforecast model per series 1.0016 -> 0.991, ``benchmarks/README.md``, "auto:
  folds that validate the fallback").
* **Candidates**, in this order: ``snaive``, ``naive``, ``theta``, ``ridge``, ``auto_arima``,
  ``ets`` (:data:`DEFAULT_CANDIDATES`). Each is validated when the history before the first
  fold holds at least what it needs (``ridge`` 82 to 94 observations, ``auto_arima`` 12),
  otherwise it is left out, and the reason recorded.
* **Work per candidate**: one fit at the first validation cutoff, rolled forward over the later
  folds with ``update`` (same parameters, new observations): a fixed number of fits whatever
  the machine. ``auto_arima``'s search is bounded in models (``max_models``), the network's
  training in epochs (``max_epochs``, early stopped on its own validation loss), never in
  seconds.
* **The network** (``lstm``) joins only when asked: ``neural_min_length=N`` adds it on
  histories of ``N`` observations or more. It is not in the default plan because validating it
  costs 20 to 85 s a fit on ten years of daily data, where the statistical candidates together
  take 1 to 3 s; under the former default 20 s wall-clock budget it was never validated either.
* **Extremely long, long-season series**: ``auto_arima`` and ``ets`` are planned only while the
  history times the season stays within :data:`MAX_COSTLY_WORK`, since their cost grows with
  both. One fit on hourly data (season 24), in CPU seconds on a shared 2-core machine:
  ``auto_arima`` 5.3, 6.4 and 14.6 s at 2,000, 4,000 and 9,600 points; ``ets`` 12.7 and 19.2 s
  at 2,000 and 4,000 (statsmodels' ETS, before the compiled likelihood of #26); ten years of
  daily data, 3,650 x 7, about a second each. Beyond the bound they are left out, as the
  former 20 s budget cut them on such series (it spent itself on ``auto_arima`` on 9,600
  hourly points), and ``auto`` chooses among the others.

A wall-clock limit (``time_budget``) stays available on top of the plan: it can only cut
planned candidates, and then the choice depends on the machine (``auto`` warns).
"""

from __future__ import annotations

from dataclasses import dataclass

from tsforecast.persistence.state import state_dataclass

__all__ = ["DEFAULT_CANDIDATES", "NEURAL_CANDIDATE", "COSTLY_CANDIDATES", "MAX_COSTLY_WORK", "ValidationPlan",
           "validation_horizon", "plan_validation", "clock_warning"]

#: the statistical candidates in the order they are validated: the near-free ones first, then
#: the fallback (auto_arima) before ets, so that a time budget that runs out cuts ets, not the
#: candidate ``auto`` trusts most (alone it scores 1.09 on the dev set, ets 1.43)
DEFAULT_CANDIDATES = ("snaive", "naive", "theta", "ridge", "auto_arima", "ets")
#: the network ``neural_min_length`` adds to the default candidates on long histories
NEURAL_CANDIDATE = "lstm"
#: candidates whose validation cost grows with the history's length times its season
COSTLY_CANDIDATES = ("auto_arima", "ets")
#: the largest ``n * season`` on which :data:`COSTLY_CANDIDATES` are planned (see the module docstring)
MAX_COSTLY_WORK = 100_000
_MIN_HORIZON, _MAX_HORIZON = 8, 24  # steps of a validation fold: one season, clipped to these


@state_dataclass  # saved in model files, with the auto model that made it
@dataclass(frozen=True)
class ValidationPlan:
    """The work ``auto`` plans for one series: ``n_windows`` folds of ``horizon`` steps, the
    ``candidates`` validated on them (in order, one fit each), and those ``left_out`` with why."""

    horizon: int
    n_windows: int
    candidates: tuple[str, ...]
    left_out: dict[str, str]

    @property
    def fits(self) -> int:
        """Fits the validation makes: one per planned candidate (later folds roll forward)."""
        return len(self.candidates) if self.n_windows else 0

    def describe(self) -> str:
        """One line for logs and reports, e.g. ``"3 folds of 12 steps; snaive, naive, ...; left out: ridge"``."""
        text = f"{self.n_windows} fold(s) of {self.horizon} steps; {', '.join(self.candidates) or 'no candidate'}"
        return text + (f"; left out: {', '.join(self.left_out)}" if self.left_out else "")


def validation_horizon(season: int, horizon: int | None = None) -> int:
    """Steps of each validation fold: ``horizon`` when given, else one season clipped to 8..24."""
    if horizon is not None:
        return int(horizon)
    return min(max(int(season), _MIN_HORIZON), _MAX_HORIZON)


def plan_validation(
    n: int, season: int, needed: dict[str, int], n_windows: int, horizon: int | None = None,
    bound_costly: bool = True, fallback: str | None = None,
) -> ValidationPlan:
    """The validation plan for a history of ``n`` observations with season ``season``.

    ``needed`` maps each candidate, in validation order, to the fewest observations it fits on
    (``Forecaster.required_length``); ``n_windows`` is the most folds wanted. ``bound_costly``
    applies the :data:`MAX_COSTLY_WORK` rule (off when the candidates were named explicitly).
    ``fallback`` (one of ``needed``, or None) is the candidate the folds are fitted to first:
    fewer folds when that lets it be validated (see the module docstring).
    Depends on its arguments only: the same series gets the same plan on every machine.
    """
    steps = validation_horizon(season, horizon)
    shortest = min(needed.values()) if needed else 1
    windows = min(n_windows, max(0, (n - max(shortest, season + 1)) // steps))
    if fallback in needed:
        fallback_windows = min(windows, (n - max(needed[fallback], season + 1)) // steps)
        if fallback_windows >= 1:  # fewer folds rather than the fallback left unvalidated
            windows = fallback_windows
    planned, left_out = [], {}
    for name, length in needed.items():
        if windows == 0 or length > n - steps * windows:
            left_out[name] = f"skipped: needs {length} observations before {max(windows, 1)} validation fold(s)"
        elif bound_costly and name in COSTLY_CANDIDATES and n * max(season, 1) > MAX_COSTLY_WORK:
            left_out[name] = (f"skipped: {n} observations x season {season} exceed the plan's bound of "
                              f"{MAX_COSTLY_WORK:,} for its search")
        else:
            planned.append(name)
    return ValidationPlan(horizon=steps, n_windows=windows, candidates=tuple(planned), left_out=left_out)


def clock_warning(time_budget: float, cut: list[str]) -> str:
    """What ``auto`` warns when a wall-clock ``time_budget`` limited its validation (``cut``:
    the candidates it left out): the choice then depends on the machine's speed and load."""
    what = (f"it ran out before {', '.join(cut)} could be validated, so they were left out"
            if cut else "it cut nothing this time, but on a slower or busier machine it may")
    return (f"auto: time_budget={time_budget:g} s limits the validation by wall-clock time: {what}; "
            "what fits in seconds depends on this machine's speed and load, so another run may choose "
            "differently. Leave time_budget out (None) for the planned validation, the same on every machine.")
