"""Shared fixtures: small synthetic series and the real CTA file by path (skipped if absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

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
