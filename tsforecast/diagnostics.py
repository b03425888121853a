"""In-sample residual diagnostics: is anything predictable left in a model's one-step errors?

A model that captured the series' structure leaves residuals that look like white noise: no
autocorrelation at any lag. The Ljung-Box test (statsmodels) asks that jointly over the first
``lags`` lags; a small p-value says the residuals are still autocorrelated, so the model has
missed something (a season, a trend, a level shift).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["residual_diagnostics", "diagnostic_lags"]


def diagnostic_lags(n: int, season: int) -> int:
    """Lags tested: two seasons (at least 10, Hyndman's rule of thumb for non-seasonal data),
    at most a fifth of the residuals."""
    return max(1, min(max(10, 2 * season), n // 5))


def residual_diagnostics(residuals: pd.Series, season: int) -> dict[str, object]:
    """``n`` residuals used, ``lags`` tested, the Ljung-Box ``ljung_box_p`` over them and
    the residual autocorrelation ``acf`` at lags 1..``lags`` (a list); NaN p-value when there
    are too few residuals (under 10)."""
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.tsa.stattools import acf

    values = np.asarray(residuals, dtype="float64")
    values = values[np.isfinite(values)]
    if len(values) < 10 or np.ptp(values) == 0:
        return {"n": len(values), "lags": 0, "ljung_box_p": float("nan"), "acf": []}
    lags = diagnostic_lags(len(values), season)
    test = acorr_ljungbox(values, lags=[lags])
    return {
        "n": len(values), "lags": lags, "ljung_box_p": float(test["lb_pvalue"].iloc[0]),
        "acf": [float(v) for v in acf(values, nlags=lags, fft=True)[1:]],
    }
