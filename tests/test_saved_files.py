"""Model files saved before the move into layered packages still load and forecast the same.

``tests/data/premove/`` holds one file per registered model (and a GRU with a text covariate
known in advance and a past covariate) written by the code of commit 71975bb, the last before
the move; ``forecasts.json`` beside them holds what each forecast when it was saved (see
``tests/data/README.md``). A model file names its model by registry name and its state by
field names, never by module path: this test is what keeps a move, a rename or a new state
protocol from orphaning a user's saved models. The format-version-1 files beside them are
checked in ``test_model_file_safety.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsforecast
from tsforecast.core.provenance import data_hash
from tsforecast.persistence import read_metadata

DATA = Path(__file__).parent / "data"
PREMOVE = DATA / "premove"
RECORDED = json.loads((PREMOVE / "forecasts.json").read_text())
#: the format-version-1 files that ``test_model_file_safety.py`` loads and compares
VERSION_1 = json.loads((DATA / "v1-forecasts.json").read_text())
#: a forecast restored from a file matches the saved one to rounding: networks run in float32,
#: whose kernels may round differently on another CPU; any state restored wrongly is far off
RTOL = 1e-6
#: the models registered when the code moved into layered packages: each has a file
AT_THE_MOVE = {"naive", "snaive", "drift", "mean", "ar", "arma", "arima", "sarima", "auto_arima", "ets", "theta",
               "ridge", "rnn", "lstm", "gru", "wavenet", "auto"}


def _future_X(model) -> pd.DataFrame | None:
    """The known-in-advance columns for the 3 days after ``model``'s cutoff, as when it was saved."""
    if model.X_ is None:
        return None
    index = pd.date_range(model.cutoff_ + model.freq_, periods=3, freq=model.freq_)
    return pd.DataFrame({"kind": np.where(index.day_of_week >= 5, "end", "week")}, index=index)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_a_file_saved_before_the_move_loads_and_forecasts_what_it_did(name):
    path = PREMOVE / name
    model = tsforecast.load(path)
    metadata = read_metadata(path)
    assert model.short_name == metadata["model"] == name.removesuffix(".tsf").removesuffix("-exog")
    # the training history comes back exactly: same last timestamp, same bytes
    assert str(model.cutoff_) == metadata["training"]["last"]
    assert data_hash(model.y_, model.X_) == metadata["training"]["data_sha256"]
    expected = RECORDED[name]
    future = _future_X(model)
    forecast = model.predict(3, future)
    assert forecast.index.equals(pd.date_range(model.cutoff_ + model.freq_, periods=3, freq=model.freq_))
    np.testing.assert_allclose(forecast.to_numpy(), expected["forecast"], rtol=RTOL)
    bounds = model.predict_interval(3, 0.8, future)
    np.testing.assert_allclose(bounds["lower"].to_numpy(), expected["lower"], rtol=RTOL)
    np.testing.assert_allclose(bounds["upper"].to_numpy(), expected["upper"], rtol=RTOL)


def test_the_files_cover_every_model_of_the_move_and_each_committed_file_is_checked():
    names = {read_metadata(PREMOVE / name)["model"] for name in RECORDED}
    assert names == AT_THE_MOVE and names <= set(tsforecast.available_models())
    assert any(read_metadata(PREMOVE / name)["training"]["exogenous"] for name in RECORDED)
    committed = {path.relative_to(DATA).as_posix() for path in DATA.rglob("*.tsf")}
    checked = {f"premove/{name}" for name in RECORDED} | set(VERSION_1)
    assert committed == checked, "each committed model file needs a recorded forecast that a test compares"
