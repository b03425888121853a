"""Every data policy of tsforecast.data.validation: repaired and reported, or rejected clearly."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast import DataError, DataRepairWarning
from tsforecast.data.exog import align_exog, infer_exog_schema
from tsforecast.data.validation import clean_series, to_series

from .conftest import weekly_series


def test_clean_series_passes_through_and_sets_frequency():
    y = weekly_series(30)
    y.index.freq = None
    result = clean_series(y)
    assert result.repairs == []
    assert result.series.index.freqstr == "D"
    assert result.series.dtype == np.float64


def test_unsorted_is_sorted_and_reported():
    y = weekly_series(30)
    result = clean_series(y.sample(frac=1, random_state=1))
    assert result.series.equals(y.astype(float)) or np.allclose(result.series, y)
    assert any("sorted" in note for note in result.repairs)


def test_exact_duplicates_are_dropped_and_reported():
    y = weekly_series(30)
    doubled = pd.concat([y, y.iloc[:3]])
    result = clean_series(doubled)
    assert len(result.series) == 30
    assert any("duplicate" in note for note in result.repairs)


def test_conflicting_duplicates_name_the_timestamps():
    y = weekly_series(30)
    clash = pd.concat([y, y.iloc[[5]] + 1])
    with pytest.raises(DataError, match=r"different values: 2020-01-06.*groupby"):
        clean_series(clash)


def test_missing_timestamps_are_inserted_and_interpolated():
    y = weekly_series(30).drop(pd.Timestamp("2020-01-10"))
    result = clean_series(y)
    assert len(result.series) == 30
    assert "2020-01-10" in " ".join(result.repairs)
    assert np.isfinite(result.series).all()


def test_nan_values_interpolated_or_rejected():
    y = weekly_series(30)
    y.iloc[4] = np.nan
    assert np.isfinite(clean_series(y).series).all()
    with pytest.raises(DataError, match="missing value.*2020-01-05"):
        clean_series(y, missing="error")


def test_leading_and_trailing_nans_are_trimmed_and_reported():
    y = weekly_series(30)
    y.iloc[[0, 1, -1]] = np.nan
    result = clean_series(y)
    assert len(result.series) == 27
    assert any("leading" in n for n in result.repairs) and any("trailing" in n for n in result.repairs)


def test_mostly_missing_is_rejected():
    y = weekly_series(30)
    y.iloc[:20] = np.nan
    y.iloc[0] = 1.0
    with pytest.raises(DataError, match="too few"):
        clean_series(y)


def test_all_missing_is_rejected():
    y = pd.Series(np.nan, index=pd.date_range("2020", periods=5, freq="D"))
    with pytest.raises(DataError, match="every value is missing"):
        clean_series(y)


def test_non_numeric_values_named():
    y = weekly_series(10).astype(object)
    y.iloc[3] = "n/a"
    with pytest.raises(DataError, match=r"non-numeric.*2020-01-04='n/a'"):
        clean_series(y)


def test_numeric_strings_are_accepted():
    y = weekly_series(10).astype(str)
    assert clean_series(y).series.dtype == np.float64


def test_infinite_values_rejected():
    y = weekly_series(10)
    y.iloc[2] = np.inf
    with pytest.raises(DataError, match="infinite.*2020-01-03"):
        clean_series(y)


def test_constant_series_accepted_by_baselines_rejected_by_sarima():
    y = pd.Series(5.0, index=pd.date_range("2020", periods=60, freq="D"))
    assert (tsforecast.get_model("naive").fit(y).predict(3) == 5.0).all()
    with pytest.raises(DataError, match="constant"):
        tsforecast.get_model("sarima").fit(y)


def test_timezone_is_kept():
    y = weekly_series(40)
    y.index = y.index.tz_localize("America/Chicago")
    forecast = tsforecast.get_model("snaive").fit(y).predict(3)
    assert str(forecast.index.tz) == "America/Chicago"
    assert forecast.index[0] == y.index[-1] + pd.Timedelta(days=1)


def test_trading_days_with_holidays_forecast_next_business_days():
    stock = tsforecast.load_dataset("stock")["ACME"]
    forecast = tsforecast.get_model("snaive").fit(stock).predict(14)
    assert len(forecast) == 14
    assert (forecast.index.day_of_week < 5).all()
    assert forecast.index[0] > stock.index[-1]
    assert forecast.index.equals(pd.bdate_range(forecast.index[0], periods=14))


def test_trading_days_from_plain_csv_dates(tmp_path):
    stock = tsforecast.load_dataset("stock")["BOLT"]
    plain = pd.Series(stock.to_numpy(), index=pd.DatetimeIndex(stock.index.to_numpy()))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataRepairWarning)  # nothing is filled in
        clean = to_series(plain)
    assert len(clean) == len(stock)


def test_irregular_timestamps_rejected_with_fix():
    index = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-04 13:00", "2020-01-09"])
    with pytest.raises(DataError, match="resample"):
        clean_series(pd.Series([1.0, 2, 3, 4], index=index))


def test_frames_and_date_columns():
    frame = pd.DataFrame({"when": pd.date_range("2020", periods=10).astype(str), "a": range(10), "b": 1.0})
    assert len(clean_series(frame, "a", date_column="when").series) == 10
    with pytest.raises(DataError, match="name the one to forecast"):
        clean_series(frame.set_index("when"))
    with pytest.raises(DataError, match="column 'c' not found"):
        clean_series(frame, "c", date_column="when")
    with pytest.raises(DataError, match="date column 'day' not found"):
        clean_series(frame, "a", date_column="day")


def test_wrong_types_and_indexes():
    with pytest.raises(DataError, match="got list"):
        clean_series([1, 2, 3])
    with pytest.raises(DataError, match="indexed by numbers"):
        clean_series(pd.Series([1.0, 2.0, 3.0]))
    with pytest.raises(DataError, match="not dates"):
        clean_series(pd.Series([1.0, 2.0], index=["2020-01-01", "yesterday"]))
    with pytest.raises(DataError, match="empty"):
        clean_series(pd.Series([], dtype=float, index=pd.DatetimeIndex([])))
    two_days = pd.DatetimeIndex(["2020-01-01", "2020-01-02"])
    for n in (1, 2):  # no frequency can be inferred from one step
        with pytest.raises(DataError, match=f"{n} timestamp\\(s\\) are too few to tell the frequency"):
            clean_series(pd.Series(np.arange(n, dtype=float), index=two_days[:n]))
    assert len(clean_series(pd.Series([1.0, 2.0], index=two_days), freq="D").series) == 2


def test_exogenous_regressor_problems_are_named():
    index = pd.date_range("2024-01-01", periods=10, freq="D")
    X = pd.DataFrame({"bus": np.arange(10.0), "day_type": ["W"] * 5 + ["A"] * 5}, index=index)
    schema = infer_exog_schema(X)
    encoded = align_exog(X, index, schema)
    # one-hot without the first level, which the constant already carries
    assert list(encoded.columns) == ["bus", "day_type=W"] and encoded.dtypes.eq("float64").all()
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        infer_exog_schema(X.to_numpy())
    with pytest.raises(DataError, match="lacks column"):
        align_exog(X[["bus"]], index, schema)
    with pytest.raises(DataError, match="no rows for 2 timestamp"):
        align_exog(X.iloc[:-2], index, schema)
    with pytest.raises(DataError, match="missing values at 2024-01-03"):
        align_exog(X.assign(bus=X["bus"].where(X.index != "2024-01-03")), index, schema)
    with pytest.raises(DataError, match="'day_type' has value.* U not seen in fitting"):
        align_exog(X.assign(day_type="U"), index, schema)
    with pytest.raises(DataError, match="'when' holds dates"):
        infer_exog_schema(X.assign(when=index))
    copied = pd.concat([X, X.iloc[:3]])  # exact copies are dropped, as for y
    pd.testing.assert_frame_equal(align_exog(copied, index, schema), encoded, check_freq=False)
    with pytest.raises(DataError, match="conflicting rows for the same timestamp: 2024-01-01"):
        align_exog(pd.concat([X, X.iloc[:1].assign(bus=99.0)]), index, schema)


def test_repairs_are_warned_once_by_fit():
    y = weekly_series(60).drop(pd.Timestamp("2020-01-10"))
    with pytest.warns(DataRepairWarning, match="inserted 1 missing"):
        tsforecast.get_model("naive").fit(y)


@pytest.mark.parametrize("freq,season", [("D", 7), ("B", 5), ("W-SUN", 52), ("MS", 12),
                                         ("ME", 12), ("QS", 4), ("h", 24)])
def test_frequencies_forecast_on_their_grid(freq, season):
    y = weekly_series(80, freq=freq)
    model = tsforecast.get_model("snaive").fit(y)
    assert model.season_ == season
    expected = pd.date_range(y.index[-1], periods=4, freq=freq)[1:]
    assert model.predict(3).index.equals(expected)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(10, 60),
    holes=st.lists(st.integers(1, 8), max_size=3, unique=True),
    shuffle=st.booleans(),
    freq=st.sampled_from(["D", "h", "W-MON", "MS"]),
)
def test_property_clean_output_is_regular_finite_and_complete(n, holes, shuffle, freq):
    y = weekly_series(n, freq=freq)
    kept = y.drop(y.index[holes]) if holes else y
    if shuffle:
        kept = kept.sample(frac=1, random_state=0)
    result = clean_series(kept)
    series = result.series
    assert series.index.is_monotonic_increasing
    assert series.index.freq is not None
    assert np.isfinite(series).all()
    assert series.index[0] == y.index[0] and series.index[-1] == y.index[-1]
    assert len(series) == n
    if holes or shuffle:
        assert result.repairs
