"""``combo``: the mean of the ETS, ARIMA and Theta forecasts, a fixed combination (no choice).

The M4 competition's lesson (Makridakis et al. 2020): a simple average of ETS, ARIMA and
Theta beats most single methods, because their errors differ and an average does not have to
guess which one suits a series. :class:`Combo` fits each member (``ets``, ``auto_arima``,
``theta`` by default) on the same history and forecasts their mean.

**Intervals and quantiles**: the mean of the members' quantiles (for an interval, of their
lower and of their upper bounds), the practice of statsforecast's and the M4 benchmarks'
combinations. Averaging quantiles of roughly normal members gives the quantile of a normal
with the mean width: neither the narrower interval of independent errors nor the wider
mixture. Checked for coverage on the development set (``benchmarks/README.md``, "combo").

**Sample paths**: the mean of the members' paths drawn from one common seed (common shocks).

**Short histories**: a member that cannot fit the history (``auto_arima`` needs 12
observations) is left out and the others are averaged (``members_`` says which); a history
no member fits is a :class:`~tsforecast.core.errors.DataError` naming each member's reason.

``auto`` scores the same combination as one of its candidates (``selection/auto.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsforecast.core.errors import ConfigError, DataError
from tsforecast.core.params import check_names, check_seed
from tsforecast.models.base import Forecaster

__all__ = ["COMBO_MEMBERS", "Combo"]

#: the members of the M4 combination, in the order they are fitted
COMBO_MEMBERS = ("ets", "auto_arima", "theta")


class Combo(Forecaster):
    """The mean of its members' forecasts (see the module docstring).

    Parameters
    ----------
    members
        Registered model names averaged (default :data:`COMBO_MEMBERS`: ETS, ARIMA, Theta).
    seed
        Given to every member that has a ``seed``.
    """

    short_name = "combo"
    updates_in_place = True  # _update rolls each member forward

    def __init__(self, members: tuple[str, ...] = COMBO_MEMBERS, seed: int = 0) -> None:
        self.members = members
        self.seed = seed

    @classmethod
    def test_params(cls) -> dict:
        return {"members": ("naive", "theta")}

    def check_params(self) -> None:
        from tsforecast.registry import MODELS

        names = check_names(self.short_name, "members", self.members)
        unknown = [m for m in names if m not in MODELS or m in ("combo", "auto")]
        if unknown or not names:
            raise ConfigError(f"combo: members must be registered model names other than 'combo' and 'auto', "
                              f"got {unknown or list(names)}.")
        check_seed(self.short_name, "seed", self.seed)

    def _member_models(self) -> dict[str, Forecaster]:
        from tsforecast.registry import get_model

        models = {}
        for name in check_names(self.short_name, "members", self.members):
            model = get_model(name)
            if "seed" in model.get_params():
                model.set_params(seed=self.seed)
            models[name] = model
        return models

    def _min_length(self) -> int:
        # the least demanding member decides: the others are left out on shorter histories
        return min(model.required_length(self.freq_) for model in self._member_models().values())

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        fitted, reasons = {}, {}
        for name, model in self._member_models().items():
            if len(y) < model.required_length(self.freq_):
                reasons[name] = f"needs {model.required_length(self.freq_)} observations"
                continue
            try:
                fitted[name] = clone(model).fit(y)
            except DataError as exc:  # e.g. a member's own data rule; the others still average
                reasons[name] = str(exc)
        if not fitted:
            raise DataError(f"combo: no member can fit this series ({len(y)} observations): "
                            + "; ".join(f"{name}: {why}" for name, why in reasons.items()))
        self.models_ = fitted
        self.members_ = list(fitted)
        self.left_out_ = reasons

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        for model in self.models_.values():
            model.update(y_new)

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return np.mean([m.predict(horizon).to_numpy() for m in self.models_.values()], axis=0)

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        bounds = [m.predict_interval(horizon, coverage) for m in self.models_.values()]
        return (np.mean([b["lower"].to_numpy() for b in bounds], axis=0),
                np.mean([b["upper"].to_numpy() for b in bounds], axis=0))

    def _predict_quantiles(self, horizon: int, levels: tuple[float, ...], X: pd.DataFrame | None) -> np.ndarray:
        return np.mean([m.predict_quantiles(horizon, levels).to_numpy() for m in self.models_.values()], axis=0)

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        # every member draws from one common seed, so their shocks move together and the mean
        # path spreads like the mean of the members' widths (as the intervals), where
        # independent draws would average the spread away
        seed = int(rng.integers(2**32))
        return np.mean([m.sample_paths(horizon, n, seed=seed, temperature=temperature).to_numpy()
                        for m in self.models_.values()], axis=0)

    def _fitted_values(self) -> np.ndarray:
        return np.mean([m.fitted_values().to_numpy() for m in self.models_.values()], axis=0)

    @property
    def label_(self) -> str:
        """``"combo of ets, auto_arima, theta"``: the members actually averaged."""
        return f"combo of {', '.join(self.members_)}"
