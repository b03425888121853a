"""Shared by the benchmarks: the real CTA rail series, read by path."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import tsforecast

CTA_PATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "CTA_-_Ridership_-_Daily_Boarding_Totals.csv"


def load_rail() -> pd.DataFrame:
    """The CTA frame (day_type, bus, rail, total), or exit cleanly when the file is absent."""
    if not CTA_PATH.is_file():
        print(f"skipped: {CTA_PATH} is not present")
        sys.exit(0)
    return tsforecast.load_cta_ridership(CTA_PATH)
