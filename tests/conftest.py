"""Shared fixtures: small synthetic series and the real CTA file by path (skipped if absent)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import settings

# The README's test command gives the same examples on every run and machine (a seed derived
# from each test's source, with the pinned hypothesis), so CI does not pass or fail by the
# draw; HYPOTHESIS_PROFILE=explore draws fresh examples each run to look for new failures
# (hypothesis replays a failing one from .hypothesis/ until it passes).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

CTA_PATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "CTA_-_Ridership_-_Daily_Boarding_Totals.csv"

torch.set_num_threads(1)


def weekly_series(
    n: int = 120, start: str = "2020-01-01", freq: str = "D", seed: int = 0, trend: float = 0.2
) -> pd.Series:
    """A short positive series with a weekly pattern, trend and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 100 + trend * t + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, n)
    return pd.Series(values, index=pd.date_range(start, periods=n, freq=freq), name="y")


@pytest.fixture
def daily() -> pd.Series:
    return weekly_series()


@pytest.fixture
def cta_path() -> Path:
    if not CTA_PATH.is_file():
        pytest.skip("the real CTA ridership file is not present")
    return CTA_PATH


def assert_near_level(values: object, y: pd.Series, window: int | None = 7, slack: float = 0.5) -> None:
    """Assert that every value lies within the range of ``y``'s last ``window`` values (all of
    ``y`` for None), widened on each side by ``slack`` times that range (at least 1% of the
    level, for a flat stretch): the level a short forecast keeps. ``np.isfinite(predict())``
    cannot fail, because ``predict`` refuses non-finite values first; this fails for a
    forecast that lost the series' level, its scale or its sign."""
    recent = y.to_numpy(dtype="float64")[-window:] if window else y.to_numpy(dtype="float64")
    low, high = recent.min(), recent.max()
    margin = slack * max(high - low, 0.01 * np.abs(recent).mean())
    array = np.asarray(values, dtype="float64").reshape(-1)
    outside = array[(array < low - margin) | (array > high + margin)]
    assert outside.size == 0, (
        f"{outside[:3]} outside [{low - margin:.6g}, {high + margin:.6g}] (the last {window or len(y)} "
        f"values span [{low:.6g}, {high:.6g}])"
    )


def forecast_index(y: pd.Series, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps right after ``y`` on its own frequency: a forecast's index."""
    return pd.date_range(y.index[-1] + y.index.freq, periods=horizon, freq=y.index.freq)
