"""Statistical models: published reference results, exogenous regressors, roll-forward."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsforecast
from tsforecast.errors import ConfigError
from tsforecast.models.auto_arima import AutoARIMA

from .conftest import weekly_series


@pytest.fixture(scope="module")
def rail(request):
    from .conftest import CTA_PATH

    if not CTA_PATH.is_file():
        pytest.skip("the real CTA ridership file is not present")
    return tsforecast.load_cta_ridership(CTA_PATH)["rail"]


def test_sarima_reproduces_the_published_forecast(rail):
    model = tsforecast.get_model("sarima", order=(1, 0, 0), seasonal_order=(0, 1, 1, 7))
    forecast = model.fit(rail["2019-01":"2019-05"]).predict(1)
    assert forecast.index[0] == pd.Timestamp("2019-06-01")
    assert forecast.iloc[0] == pytest.approx(427_758.6, abs=1)


def test_rolling_one_day_sarima_and_naive_reproduce_published_maes(rail):
    days = pd.date_range("2019-03-01", "2019-05-31")
    model = tsforecast.get_model("sarima", order=(1, 0, 0), seasonal_order=(0, 1, 1, 7),
                                 warm_start=False)
    errors = []
    for day in days:
        train = rail["2019-01-01" : day - pd.Timedelta(days=1)]
        errors.append(abs(model.fit(train).predict(1).iloc[0] - rail[day]))
    assert np.mean(errors) == pytest.approx(32_040.7, abs=1)
    naive = np.abs(rail.shift(7)[days] - rail[days]).mean()
    assert naive == pytest.approx(42_143.3, abs=1)


def test_exogenous_regressors_are_used():
    y = weekly_series(140)
    weekend = pd.Series((y.index.day_of_week >= 5).astype(float), index=y.index, name="weekend")
    y = y + 30 * weekend
    X = pd.DataFrame({"weekend": weekend, "kind": np.where(weekend > 0, "A", "W")})
    future = pd.date_range(y.index[-1] + pd.Timedelta(days=1), periods=7)
    X_future = pd.DataFrame({"weekend": (future.day_of_week >= 5).astype(float),
                             "kind": np.where(future.day_of_week >= 5, "A", "W")}, index=future)
    X.index = y.index
    model = tsforecast.get_model("arma", p=1, q=0).fit(y, X.drop(columns="kind"))
    forecast = model.predict(7, X_future.drop(columns="kind"))
    assert forecast[future.day_of_week >= 5].mean() > forecast[future.day_of_week < 5].mean() + 15
    with pytest.raises(tsforecast.DataError, match="needs X"):
        model.predict(7)
    categorical = tsforecast.get_model("arma", p=1, q=0).fit(y, X[["kind"]])
    assert np.isfinite(categorical.predict(7, X_future[["kind"]])).all()


def test_update_rolls_forward_without_reestimating():
    y = weekly_series(120)
    model = tsforecast.get_model("sarima").fit(y.iloc[:-7])
    params = model.results_.params.copy()
    model.update(y.iloc[-7:])
    np.testing.assert_array_equal(model.results_.params, params)
    refit = tsforecast.get_model("sarima").fit(y)
    assert abs(model.predict(1).iloc[0] - refit.predict(1).iloc[0]) < 10


def test_auto_arima_records_orders_and_forecasts():
    y = weekly_series(200)
    model = AutoARIMA(max_models=8).fit(y)
    assert len(model.order_) == 3 and model.seasonal_order_[3] in (0, 7)
    assert 1 <= len(model.search_) <= 8
    assert np.isfinite(model.predict(7)).all()


def test_invalid_orders_are_config_errors():
    with pytest.raises(ConfigError, match="seasonal_order"):
        tsforecast.get_model("sarima", seasonal_order=(1, 1)).fit(weekly_series(60))
    with pytest.raises(ConfigError, match="trend"):
        tsforecast.get_model("arima", d=1, trend="c").fit(weekly_series(60))
