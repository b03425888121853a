"""Global neural models: one network trained across the series of a panel (``fit_global``, and
a backtest of several series), each series standardised and forecast on its own."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.core.errors import DataError
from tsforecast.data.synthetic import make_panel

from .conftest import assert_near_level

PANEL = dict(id_col="station", time_col="date", target_col="riders")
SMALL = dict(window=14, output_steps=7, hidden=8, max_epochs=3, min_epochs=1)


def _series(panel: pd.DataFrame) -> dict[str, pd.Series]:
    return {name: group.set_index("date")["riders"].asfreq("D") for name, group in panel.groupby("station")}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel(4, length=160)


@pytest.mark.parametrize("name", ["lstm", "wavenet"])
def test_a_global_fit_on_one_series_is_the_local_fit(name, panel):
    y = next(iter(_series(panel).values()))
    local = tsforecast.get_model(name, **SMALL).fit(y)
    (view,) = tsforecast.get_model(name, **SMALL).fit_global({"only": y}).values()
    levels = (0.1, 0.5, 0.9)
    pd.testing.assert_frame_equal(view.predict_quantiles(10, levels), local.predict_quantiles(10, levels))


def test_fit_global_trains_one_network_and_forecasts_every_series(panel, tmp_path):
    series = _series(panel)
    model = tsforecast.get_model("lstm", **SMALL)
    views = model.fit_global(series)
    assert list(views) == list(series)
    assert not hasattr(model, "freq_")  # the models returned are fitted; the one called is not
    networks = {id(v.network_) for v in views.values()}
    assert len(networks) == 1 and all(v.series_trained_ == 4 for v in views.values())
    for name, view in views.items():
        assert view.cutoff_ == series[name].index[-1]
        bounds = view.predict_interval(14)
        assert (bounds["lower"] < bounds["upper"]).all()
        # each series keeps its own level: forecasts sit near that series' recent values
        recent = series[name].iloc[-28:]
        assert recent.min() * 0.5 < view.predict(7).mean() < recent.max() * 1.5
    # one series' model saves and loads like any fitted model
    name, view = next(iter(views.items()))
    loaded = tsforecast.load(view.save(tmp_path / "one.tsf"))
    pd.testing.assert_series_equal(loaded.predict(14), view.predict(14))
    # and rolls forward without retraining
    view.update(pd.Series([100.0, 120.0], index=pd.date_range(view.cutoff_ + pd.Timedelta("1D"), periods=2)))
    assert view.predict(3).index[0] == view.cutoff_ + pd.Timedelta("1D")


def test_a_series_too_short_to_train_alone_is_forecast_from_the_others(panel):
    series = _series(panel)
    short_name = next(iter(series))
    series[short_name] = series[short_name].iloc[-22:]  # 2 windows: both held out
    model = tsforecast.get_model("lstm", **SMALL)
    with pytest.raises(DataError, match="needs at least"):
        tsforecast.get_model("lstm", **SMALL).fit(series[short_name])
    views = model.fit_global(series)
    assert views[short_name].series_trained_ == 3  # the short series has no training window of its own
    bounds, forecast = views[short_name].predict_interval(7), views[short_name].predict(7)
    assert ((bounds["lower"] < forecast) & (forecast < bounds["upper"])).all()
    assert_near_level(forecast, series[short_name])


def test_fit_global_names_the_series_it_cannot_use(panel):
    series = _series(panel)
    names = list(series)
    series[names[1]] = series[names[1]].iloc[-10:]
    series[names[2]] = series[names[2]].resample("W").sum()
    with pytest.raises(DataError) as raised:
        tsforecast.get_model("lstm", **SMALL).fit_global(series)
    message = str(raised.value)
    assert "2 of 4 series" in message and repr(names[1]) in message and repr(names[2]) in message
    assert "window" in message and "frequency" in message
    with pytest.raises(DataError, match="at least one"):
        tsforecast.get_model("lstm", **SMALL).fit_global({})


def test_a_panel_backtest_trains_once_per_fold_and_matches_fit_global(panel):
    model = tsforecast.get_model("lstm", **SMALL)
    result = backtest(panel, [model], horizon=7, n_windows=2, **PANEL)
    rows = result.timings[result.timings["model"] == "lstm"]
    assert set(rows["fitted"]) == {"global over 4 series"} and len(rows) == 8
    # the last fold's forecasts are those of fit_global on every series cut at its last cutoff
    series = _series(panel)
    views = tsforecast.get_model("lstm", **SMALL).fit_global({n: y.iloc[:-7] for n, y in series.items()})
    forecasts = result.forecasts[result.forecasts["model"] == "lstm"]
    for name, view in views.items():
        last = forecasts[(forecasts["series"] == name) & (forecasts["cutoff"] == view.cutoff_)]
        np.testing.assert_allclose(last["forecast"].to_numpy(), view.predict(7).to_numpy())
    assert set(result.diagnostics.loc[result.diagnostics["model"] == "lstm", "series"]) == set(series)


def test_global_numbers_do_not_depend_on_jobs_or_on_refit_grouping(panel):
    model = tsforecast.get_model("lstm", **SMALL)
    serial = backtest(panel, [model], horizon=7, n_windows=3, **PANEL)
    parallel = backtest(panel, [model], horizon=7, n_windows=3, n_jobs=2, **PANEL)
    pd.testing.assert_frame_equal(serial.forecasts, parallel.forecasts)
    # rolled forward: one fit at the first fold, then update; the first fold is the same fit
    rolled = backtest(panel, [model], horizon=7, n_windows=3, refit=False, **PANEL)
    cutoffs = serial.forecasts["cutoff"]
    first = cutoffs.groupby(serial.forecasts["series"]).transform("min") == cutoffs
    pd.testing.assert_frame_equal(serial.forecasts[first].reset_index(drop=True),
                                  rolled.forecasts[first].reset_index(drop=True))
    refitted = rolled.timings[rolled.timings["model"] == "lstm"].groupby("cutoff")["refitted"].first()
    assert refitted.tolist() == [True, False, False]


def test_a_local_scope_fits_every_series_on_its_own(panel):
    model = tsforecast.get_model("lstm", scope="local", **SMALL)
    result = backtest(panel, [model], horizon=7, n_windows=1, **PANEL)
    name = result.metadata["series"][0]
    y = _series(panel)[name]
    alone = tsforecast.get_model("lstm", **SMALL).fit(y.iloc[:-7])
    forecast = result.forecasts[(result.forecasts["model"] == "lstm") & (result.forecasts["series"] == name)]
    np.testing.assert_allclose(forecast["forecast"].to_numpy(), alone.predict(7).to_numpy())
    assert "global" not in " ".join(result.timings["fitted"])


def test_in_a_backtest_a_series_shorter_than_the_window_fails_alone():
    panel = make_panel(3, length=120).reset_index(drop=True)
    short = panel["station"].iloc[0]
    panel = panel[(panel["station"] != short) | (panel["date"] >= panel["date"].max() - pd.Timedelta("15D"))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(panel, [tsforecast.get_model("lstm", **SMALL)], horizon=3, n_windows=2, **PANEL)
    failed = result.failures[result.failures["model"] == "lstm"]
    assert set(failed["series"]) == {short} and failed["message"].str.contains("window").all()
    others = result.forecasts[(result.forecasts["model"] == "lstm") & (result.forecasts["series"] != short)]
    assert len(others) == 2 * 2 * 3
    assert (others["timestamp"] - others["cutoff"] == others["step"] * pd.Timedelta("1D")).all()


def test_static_features_ride_along_as_known_columns(panel):
    """A per-series constant (a station's size class) is a known-in-advance column: the global
    network reads it, standardised over the whole panel."""
    panel = panel.copy()
    means = panel.groupby("station")["riders"].transform("mean")
    panel["large"] = (means > means.median()).astype(float)
    model = tsforecast.get_model("lstm", **SMALL)
    result = backtest(panel, [model], horizon=7, n_windows=1, exog_columns=["large"], **PANEL)
    assert result.parameters["exogenous"] == ["large"]
    assert result.failures.empty  # each series forecast on its own last 7 days
    last = result.forecasts.groupby("series")["timestamp"].max()
    assert last.to_dict() == panel.groupby("station")["date"].max().to_dict()
    series = _series(panel)
    frames = {name: group.set_index("date")[["large"]].asfreq("D") for name, group in panel.groupby("station")}
    views = tsforecast.get_model("lstm", **SMALL).fit_global(series, frames)
    view = next(iter(views.values()))
    assert view.known_columns_ == ["large"]
    # the known scaler was fitted over the panel: both classes present, so a spread of 0.5
    assert view.known_scaler_.scale[0] == pytest.approx(0.5)


def test_fit_global_partial_fits_what_it_can_and_reports_the_rest(panel):
    """The backtest's seam: series that cannot be used are returned with their reason, the
    others fitted together; the model it is called on stays unfitted."""
    series = _series(panel)
    names = list(series)
    series[names[1]] = series[names[1]].iloc[-10:]  # shorter than the window
    model = tsforecast.get_model("lstm", **SMALL)
    views, problems = model.fit_global_partial(series)
    assert set(problems) == {names[1]} and isinstance(problems[names[1]], DataError)
    assert "fewer than the window" in str(problems[names[1]])
    assert set(views) == set(names) - {names[1]}
    assert len({id(view.network_) for view in views.values()}) == 1  # one network, shared
    assert all(view.series_trained_ == 3 for view in views.values())
    assert not hasattr(model, "cutoff_")
    with pytest.raises(tsforecast.NotFittedError):
        model.predict(3)
    # the same fit as fit_global on the usable series alone
    del series[names[1]]
    alone = tsforecast.get_model("lstm", **SMALL).fit_global(series)
    for name, view in views.items():
        pd.testing.assert_series_equal(view.predict(7), alone[name].predict(7))


def test_start_history_validates_and_sets_the_history_without_fitting():
    y = make_panel(1, length=30).set_index("date")["riders"]  # far too short to fit
    X = pd.DataFrame({"kind": np.where(np.arange(30) % 7 < 5, "weekday", "weekend")}, index=y.index)
    model = tsforecast.get_model("lstm", **SMALL)
    clean = model.start_history(y, X)
    assert clean.index.freqstr == "D" and model.freq_ == pd.tseries.frequencies.to_offset("D")
    assert model.season_ == 7
    pd.testing.assert_series_equal(model.y_, clean)
    assert tuple(model.exog_schema_.columns) == ("kind",)  # text columns one-hot encoded, as fit does
    np.testing.assert_array_equal(model.X_["kind=weekend"], (X["kind"] == "weekend").astype(float))
    assert not hasattr(model, "cutoff_")  # nothing estimated: still not fitted
    with pytest.raises(DataError):
        tsforecast.get_model("lstm", **SMALL).start_history(y.iloc[::-1].reset_index(drop=True))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=8).filter(lambda counts: sum(counts) > 0))
def test_series_weights_give_every_series_the_same_total(counts):
    import torch

    from tsforecast.models.neural.windows import series_weights

    series = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    weights = series_weights(series).double()
    present = sum(c > 0 for c in counts)
    assert abs(float(weights.sum()) - 1) < 1e-5
    for k, count in enumerate(counts):
        if count:
            assert abs(float(weights[series == k].sum()) - 1 / present) < 1e-5


def test_an_epoch_drawn_by_series_draws_a_short_series_as_often_as_a_long_one():
    import torch

    from tsforecast.models.neural.training import epoch_order
    from tsforecast.models.neural.windows import series_weights

    # one series of 900 windows, one of 100: by window the short one gets 10% of an epoch
    starts = torch.arange(1000)
    series = (starts >= 900).long()
    shuffle = torch.Generator().manual_seed(0)
    by_windows = epoch_order(starts, None, 500, shuffle)
    by_series = epoch_order(starts, series_weights(series), 500, shuffle)
    assert len(by_windows) == len(by_series) == 500
    assert len(set(by_windows.tolist())) == 500  # without replacement
    assert (by_windows >= 900).float().mean() < 0.2
    assert 0.4 < (by_series >= 900).float().mean() < 0.6


def test_sampling_by_series_changes_a_global_fit_but_never_a_single_series(panel):
    series = _series(panel)
    ragged = {name: y.iloc[: 80 + 20 * k] for k, (name, y) in enumerate(series.items())}
    fits = {sample: tsforecast.get_model("lstm", sample=sample, **SMALL).fit_global(ragged)
            for sample in ("series", "windows")}
    first = next(iter(ragged))
    assert not np.allclose(fits["series"][first].predict(7), fits["windows"][first].predict(7))
    one = {first: ragged[first]}
    alone = [tsforecast.get_model("lstm", sample=s, **SMALL).fit_global(one)[first].predict(7)
             for s in ("series", "windows")]
    pd.testing.assert_series_equal(alone[0], alone[1])
    with pytest.raises(tsforecast.ConfigError, match="sample"):
        tsforecast.get_model("lstm", sample="rows", **SMALL).fit_global(ragged)


@settings(max_examples=25, deadline=None)
@given(shift=st.floats(-50, 50), factor=st.floats(0.5, 20), level=st.sampled_from(["last", "mean", "causal_last"]))
def test_a_window_scaled_network_reads_every_window_at_its_own_scale(shift, factor, level):
    import torch

    from tsforecast.models.neural.networks import NetworkConfig, build_network

    # panel_scale="window": a window moved and stretched (a series after a level shift) gets
    # the same forecast, moved and stretched alike, so the network never sees a new scale
    torch.manual_seed(0)
    network = build_network(NetworkConfig(kind="lstm", n_inputs=2, horizon=3, n_future=1, hidden=4,
                                          level_channels=1, level=level, window_scale=True)).eval()
    x = torch.randn(5, 12, 2)
    every_step = level != "last"  # sequence-to-sequence: a forecast from every step, causal scales
    future = torch.randn(5, 12, 3, 1) if every_step else torch.randn(5, 3, 1)
    moved = x.clone()
    moved[:, :, 0] = x[:, :, 0] * factor + shift
    with torch.no_grad():
        base = network(x, future, every_step=every_step)
        out = network(moved, future, every_step=every_step)
    if every_step:  # the first steps' running spread may sit on the floor, which does not stretch
        out, base = out[:, 4:], base[:, 4:]
    torch.testing.assert_close(out, base * factor + shift, rtol=1e-4, atol=1e-3 * factor)


def test_a_flat_window_is_forecast_at_its_level():
    import torch

    from tsforecast.models.neural.networks import NetworkConfig, build_network

    # a window without spread (zero demand, a stuck sensor) is divided by the floor, not by zero
    network = build_network(NetworkConfig(kind="gru", n_inputs=1, horizon=4, n_future=0, hidden=4,
                                          level_channels=1, window_scale=True)).eval()
    with torch.no_grad():
        out = network(torch.full((2, 10, 1), 3.0))
    assert torch.isfinite(out).all()
    assert (out - 3.0).abs().max() < 0.05


def test_window_scaling_changes_a_global_fit_but_never_a_single_series(panel):
    series = _series(panel)
    fits = {scale: tsforecast.get_model("lstm", panel_scale=scale, **SMALL).fit_global(series)
            for scale in ("window", "seasonal")}
    first = next(iter(series))
    assert fits["window"][first].network_config_.window_scale
    assert not fits["seasonal"][first].network_config_.window_scale
    assert not np.allclose(fits["window"][first].predict(7), fits["seasonal"][first].predict(7))
    # one series is trained as a local fit whatever panel_scale says
    one = {first: series[first]}
    alone = [tsforecast.get_model("lstm", panel_scale=s, **SMALL).fit_global(one)[first] for s in ("window", "std")]
    assert not alone[0].network_config_.window_scale
    pd.testing.assert_series_equal(alone[0].predict(7), alone[1].predict(7))
