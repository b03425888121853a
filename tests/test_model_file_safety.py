"""Model files from outside: crafted or tampered files are refused with a ModelFileError,
files saved by earlier versions still load, and signatures and part files behave."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsforecast

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["ets-v1.tsf", "arima-exog-v1.tsf", "lstm-v1.tsf"])
def test_files_saved_by_format_version_1_still_load_and_forecast_the_same(name):
    expected = json.loads((DATA / "v1-forecasts.json").read_text())[name]
    model = tsforecast.load(DATA / name)
    future = None
    if model.X_ is not None:
        index = pd.bdate_range(model.cutoff_ + pd.offsets.BDay(), periods=3, tz="America/Chicago")
        future = pd.DataFrame({"promo": [True, False, False], "kind": ["a", "b", "a"]}, index=index)
    np.testing.assert_allclose(model.predict(3, future).to_numpy(), expected, rtol=1e-9)
