"""The compiled ETS likelihood and optimiser (tsforecast.models.ets): the recursion against
statsmodels' ETSModel for every form, the choice of form, the bounds, edge series, seasons
above 24 and the seasonal adjustment they use."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.models.ets import likelihood as lik
from tsforecast.models.ets.estimator import ETSFit, fit_form
from tsforecast.models.ets.forms import LOWER, UPPER, Form
from tsforecast.models.seasonal_adjust import repeat_seasonal, seasonal_adjust

FORMS = [Form(e, t, s, d) for e in "AM" for t in "NA" for s in "NAM" for d in ([False, True] if t == "A" else [False])
         if not (e == "A" and s == "M")]
_SM = {"A": "add", "M": "mul", "N": None}


def _seasonal_series(n: int = 96, m: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 * np.exp(0.005 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / m)) * np.exp(rng.normal(0, 0.03, n))


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.label)
def test_the_likelihood_equals_statsmodels_loglike_for_fixed_parameters(form):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y, m = _seasonal_series(), 12
    model = ETSModel(y, error=_SM[form.error], trend=_SM[form.trend], damped_trend=form.damped,
                     seasonal=_SM[form.seasonal], seasonal_periods=m if form.seasonal != "N" else None)
    smoothing = [0.3] + ([0.05] if form.trend != "N" else []) + ([0.1] if form.seasonal != "N" else []) \
        + ([0.95] if form.damped else [])
    states = [95.0] + ([0.4] if form.trend != "N" else [])
    if form.seasonal == "A":
        states += list(20 * np.sin(2 * np.pi * -np.arange(1, m + 1) / m))
    elif form.seasonal == "M":
        states += list(1 + 0.2 * np.sin(2 * np.pi * -np.arange(1, m + 1) / m))
    params = np.array(smoothing + states)
    fit = ETSFit(y, form, m, params)
    assert fit.loglike == pytest.approx(_reference_loglike(y, form, m, params), rel=1e-9)
    if form.seasonal == "M":
        # statsmodels updates a multiplicative season with y / l_t (Holt-Winters' form), not
        # with y / (l_{t-1} + phi b_{t-1}) as the state-space model (Hyndman et al. 2008, R's
        # etscalc, statsforecast) does: compared with the plain loop above only
        return
    assert fit.loglike == pytest.approx(model.loglike(params), rel=1e-6)
    results = model.smooth(params)
    np.testing.assert_allclose(fit.fittedvalues, results.fittedvalues, rtol=1e-9)
    np.testing.assert_allclose(fit.forecast(5), results.forecast(5), rtol=1e-9)


def _reference_loglike(y: np.ndarray, form: Form, m: int, params: np.ndarray) -> float:
    """The Gaussian log-likelihood of Hyndman et al. (2008), written out as a plain loop."""
    values = list(params)
    alpha = values.pop(0)
    beta = values.pop(0) if form.trend != "N" else 0.0
    gamma = values.pop(0) if form.seasonal != "N" else 0.0
    phi = values.pop(0) if form.damped else 1.0
    level = values.pop(0)
    slope = values.pop(0) if form.trend != "N" else 0.0
    season = list(values)  # most recent first
    errors, logs = [], 0.0
    for obs in y:
        base = level + phi * slope
        old = season[-1] if season else (0.0 if form.seasonal != "M" else 1.0)
        mu = base + old if form.seasonal == "A" else base * old if form.seasonal == "M" else base
        error = obs - mu if form.error == "A" else (obs - mu) / mu
        errors.append(error)
        logs += np.log(abs(mu)) if form.error == "M" else 0.0
        kappa = mu if form.error == "M" else 1.0  # the error in the data's units
        shock = error * kappa
        if form.seasonal == "M":
            level, slope, new = (base + alpha * shock / old, phi * slope + beta * shock / old,
                                 old + gamma * shock / base)
        else:
            level, slope, new = base + alpha * shock, phi * slope + beta * shock, old + gamma * shock
        if season:
            season = [new] + season[:-1]
    n = len(y)
    return -n / 2 * (np.log(2 * np.pi * np.mean(np.square(errors))) + 1) - logs


def test_the_optimiser_reaches_statsmodels_optimum_and_stays_in_the_bounds():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = _seasonal_series(120)
    for form in (Form("M", "A", "M", False), Form("A", "A", "A", False), Form("M", "N", "N", False)):
        fit = fit_form(y, form, 12)
        reference = ETSModel(y, error=_SM[form.error], trend=_SM[form.trend], seasonal=_SM[form.seasonal],
                             seasonal_periods=12 if form.seasonal != "N" else None).fit(disp=False)
        # at least as likely as statsmodels' L-BFGS-B fit, up to a little slack
        assert fit.loglike >= reference.llf - 0.01 * abs(reference.llf)
        alpha, beta, gamma, phi = fit.full[:4]
        assert LOWER[0] <= alpha <= UPPER[0]
        if form.trend != "N":
            assert LOWER[1] <= beta <= min(UPPER[1], alpha)
        if form.seasonal != "N":
            assert LOWER[2] <= gamma <= min(UPPER[2], 1 - alpha)
            seasonals = fit.params[-12:]
            assert seasonals.sum() == pytest.approx(12.0 if form.seasonal == "M" else 0.0, abs=1e-8)
        assert lik.admissible(alpha, beta, gamma, phi, 1 if form.trend != "N" else 0,
                              {"N": 0, "A": 1, "M": 2}[form.seasonal], 12)


def _simulate(form: Form, n: int, seed: int) -> pd.Series:
    """A series from ``form`` itself (states moved by the model's own recursion)."""
    m = 12
    smoothing = [0.2] + ([0.05] if form.trend == "A" else []) + ([0.1] if form.seasonal != "N" else [])
    states = [100.0] + ([1.5] if form.trend == "A" else [])
    if form.seasonal == "M":
        states += list(1 + 0.3 * np.sin(2 * np.pi * -np.arange(1, m + 1) / m))
    fit = ETSFit(np.array([100.0]), form, m, np.array(smoothing + states))
    errors = np.random.default_rng(seed).normal(0, 0.02 if form.error == "M" else 2.0, (n, 1))
    values = fit.simulate(errors)[:, 0]
    return pd.Series(values, index=pd.date_range("2000-01", periods=n, freq="MS"))


def test_the_form_that_made_the_data_is_chosen():
    trending = tsforecast.ETS(model="AZN").fit(_simulate(Form("A", "A", "N", False), 150, 1))
    assert trending.form_ in ("AAN", "AAdN")
    seasonal = tsforecast.ETS().fit(_simulate(Form("M", "A", "M", False), 150, 2))
    assert seasonal.form_.startswith("M") and seasonal.form_.endswith("M")
    flat = tsforecast.ETS(model="ZZN").fit(_simulate(Form("A", "N", "N", False), 150, 3))
    assert flat.form_ in ("ANN", "MNN")


@pytest.mark.parametrize("values", [
    np.r_[np.zeros(20), np.ones(5)],                       # zeros: multiplicative forms left out
    np.r_[np.full(30, 5.0), 5.000001],                     # all but constant
    np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]),    # the shortest series ETS takes
    np.tile([1.0, 1e6], 20),                               # huge swings
], ids=["zeros", "near-constant", "short", "swings"])
def test_edge_series_fit_without_a_numpy_warning(values):
    y = pd.Series(values, index=pd.date_range("2020-01-06", periods=len(values), freq="W-MON"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # too short for a yearly season: ETS says so (tested below); any other warning fails
        warnings.filterwarnings("ignore", "ets: a season of 52", tsforecast.FitWarning)
        model = tsforecast.ETS(simulation_paths=200).fit(y)
        forecast = model.predict(4)
        model.predict_interval(4)
    assert np.isfinite(forecast).all()
    if values.min() <= 0:
        assert not any(label.startswith("M") for label in model.search_)


@settings(max_examples=60, deadline=None)
@given(st.floats(-0.5, 2.0), st.floats(-0.5, 1.0), st.floats(-0.5, 1.5), st.floats(0.5, 1.0), st.integers(2, 24))
def test_the_root_test_agrees_with_numpy_roots(alpha, beta, gamma, phi, m):
    poly = np.r_[phi * (1 - alpha - gamma), alpha + beta - alpha * phi + gamma - 1,
                 [alpha + beta - alpha * phi] * (m - 2), alpha + beta - phi, 1.0]
    moduli = np.abs(np.polynomial.polynomial.polyroots(poly))
    if abs(moduli.max() - 1) > 1e-6:  # away from the boundary, where rounding decides
        assert lik._roots_inside(poly, 1 + 1e-10) == (moduli.max() <= 1 + 1e-10)


# ------------------------------------------------------------------ seasons above 24
def _weekly_with_a_year(n: int = 260, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 500 + 0.5 * t + 80 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 10, n)
    return pd.Series(values, index=pd.date_range("2015-01-04", periods=n, freq="W-SUN"))


def test_a_season_above_24_is_adjusted_by_stl_not_dropped():
    y = _weekly_with_a_year()
    model = tsforecast.ETS().fit(y.iloc[:-52])
    assert model.season_ == 52 and model.label_.startswith("STL(52)+ETS(") and model.form_.endswith("N")
    forecast = model.predict(52).to_numpy()
    actual = y.iloc[-52:].to_numpy()
    # the yearly swing is carried into the forecast: far better than a flat line at the level
    assert np.mean(np.abs(forecast - actual)) < 0.4 * np.mean(np.abs(actual.mean() - actual))
    bounds = model.predict_interval(52)
    assert (bounds["lower"].to_numpy() <= forecast).all() and (forecast <= bounds["upper"].to_numpy()).all()
    # update carries the season on; a saved model forecasts the same
    rolled = tsforecast.ETS().fit(y.iloc[:-52]).update(y.iloc[-52:-40])
    assert rolled.mstl_.seasonal_.shape == (1, len(y) - 40)
    again = tsforecast.ETS.from_state(rolled.state())
    np.testing.assert_allclose(again.predict(10), rolled.predict(10), rtol=1e-12)
    with pytest.raises(tsforecast.ConfigError, match="multiplicative season of 52"):
        tsforecast.ETS(model="MAM").fit(y)
    # a multiplicative error on values that are not all positive: refused in the letters asked for
    with pytest.raises(tsforecast.ConfigError, match=r"^ets: model 'MAA' does not fit .* strictly positive"):
        tsforecast.ETS(model="MAA").fit(y - y.mean())


def test_damping_without_a_trend_is_refused_by_name():
    with pytest.raises(tsforecast.ConfigError, match="damped=True needs a trend, and model 'ANN' has none"):
        tsforecast.ETS(model="ANN", damped=True).fit(_weekly_with_a_year(120))
    assert tsforecast.ETS(model="AZN", damped=True).fit(_weekly_with_a_year(120)).form_ == "AAdN"


def test_seasonal_adjust_splits_the_series_and_repeats_the_last_cycle():
    y = _weekly_with_a_year(300).to_numpy()
    seasonal, adjusted = seasonal_adjust(y, [52])
    assert seasonal.shape == (1, 300)
    np.testing.assert_allclose(adjusted + seasonal.sum(axis=0), y, rtol=1e-12)
    assert np.corrcoef(seasonal[0], 80 * np.sin(2 * np.pi * np.arange(300) / 52))[0, 1] > 0.95
    two, rest = seasonal_adjust(y + 5 * np.sin(2 * np.pi * np.arange(300) / 7), [52, 7])
    assert two.shape == (2, 300) and np.allclose(rest + two.sum(axis=0), y + 5 * np.sin(2 * np.pi * np.arange(300) / 7))
    np.testing.assert_array_equal(repeat_seasonal(seasonal[0], 52, 60)[:52], seasonal[0, -52:])
    with pytest.raises(tsforecast.DataError, match="two cycles"):
        seasonal_adjust(y[:80], [52])
    with pytest.raises(tsforecast.ConfigError, match="at least 2"):
        seasonal_adjust(y, [1])


def test_a_model_saved_on_statsmodels_forecasts_as_statsmodels_did():
    """Files saved before the compiled likelihood hold statsmodels' parameters; with a
    multiplicative season its smoother differs from the state-space one, and such a model
    keeps forecasting what statsmodels did."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = pd.Series(_seasonal_series(), index=pd.date_range("2000-01", periods=96, freq="MS"))
    reference = ETSModel(y.to_numpy(), error="mul", trend="add", seasonal="mul", seasonal_periods=12).fit(disp=False)
    model = tsforecast.ETS(model="MAM", damped=False).fit(y)
    state = model.state()
    fitted = {k: v for k, v in state.fitted.items() if k not in ("scale_dof_", "holt_winters_season_")}
    fitted["results_"] = np.asarray(reference.params, dtype="float64")  # the old layout of a file
    old = tsforecast.ETS.from_state(type(state)(model=state.model, params=state.params, y=state.y, X=state.X,
                                                fitted=fitted))
    np.testing.assert_allclose(old.predict(6).to_numpy(), reference.forecast(6), rtol=1e-9)
    assert old.results_.scale == pytest.approx(reference.scale, rel=1e-9)
