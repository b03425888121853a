"""Neural forecasters: determinism, covariates, recursion, intervals, cheap roll-forward."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.core.errors import ConfigError
from tsforecast.models.conformal import floor_scale, window_scales
from tsforecast.models.neural.windows import WindowData

from .conftest import assert_near_level, forecast_index, weekly_series

TINY = {"window": 14, "output_steps": 7, "hidden": 8, "max_epochs": 3}


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru", "wavenet"])
def test_same_seed_same_numbers(name):
    y = weekly_series(150)
    a = tsforecast.get_model(name, seed=3, **TINY).fit(y).predict(7)
    b = tsforecast.get_model(name, seed=3, **TINY).fit(y).predict(7)
    c = tsforecast.get_model(name, seed=4, **TINY).fit(y).predict(7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_learns_a_weekly_pattern():
    y = weekly_series(400, trend=0.0)
    model = tsforecast.get_model("lstm", window=21, output_steps=7, max_epochs=80, seed=0).fit(y.iloc[:-7])
    error = np.abs(model.predict(7).to_numpy() - y.iloc[-7:].to_numpy()).mean()
    naive = np.abs(y.iloc[-8] - y.iloc[-7:].to_numpy()).mean()
    assert error < naive


def test_recursive_beyond_output_steps_and_intervals():
    y = weekly_series(150)
    model = tsforecast.get_model("gru", **TINY).fit(y)
    forecast = model.predict(17)
    assert forecast.index.equals(forecast_index(y, 17))
    assert_near_level(forecast, y)  # steps 8 to 17 fed back from its own forecasts keep the level
    bounds = model.predict_interval(17)
    widths = (bounds["upper"] - bounds["lower"]).to_numpy()
    # forecasts from forecasts: every step is wider than the same position one block earlier
    assert (widths[7:] > widths[:-7]).all()


def test_intervals_widen_when_the_series_turns_volatile():
    """Locally scaled conformal: the same fitted model gives wider intervals once its latest
    window is noisier, and narrower ones again when it calms down."""
    calm = weekly_series(200, trend=0.0)
    model = tsforecast.get_model("lstm", **TINY).fit(calm.iloc[:150])

    def width() -> float:
        bounds = model.predict_interval(7)
        return float((bounds["upper"] - bounds["lower"]).mean())

    before = width()
    rng = np.random.default_rng(1)
    stormy = calm.iloc[150:170] + rng.normal(0, 25, 20)
    model.update(stormy)
    during = width()
    model.update(calm.iloc[170:200])
    assert during > 2 * before
    assert width() == pytest.approx(before, rel=0.5)


@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=12, max_size=60),
    window=st.integers(3, 12),
    lag=st.integers(1, 2),
)
@settings(max_examples=50, deadline=None)
def test_window_scales_match_a_direct_computation(values, window, lag):
    series = np.array(values)
    starts = np.arange(len(series) - window + 1)
    direct = [np.abs(series[s + lag : s + window] - series[s : s + window - lag]).mean() for s in starts]
    np.testing.assert_allclose(window_scales(series, starts, window, lag), direct, rtol=1e-6, atol=1e-3)
    assert floor_scale(np.full(20, 5.0), lag) == 1.0  # a flat series still gets a positive floor


def test_update_rolls_forward_without_training():
    y = weekly_series(150)
    model = tsforecast.get_model("lstm", **TINY).fit(y.iloc[:-7])
    weights = {k: v.clone() for k, v in model.network_.state_dict().items()}
    before = model.predict(3)
    model.update(y.iloc[-7:])
    after = model.predict(3)
    assert after.index[0] == y.index[-1] + pd.Timedelta(days=1)
    assert not np.allclose(before.to_numpy(), after.to_numpy())
    for key, value in model.network_.state_dict().items():
        assert torch.equal(value, weights[key])


def test_past_and_known_covariates():
    y = weekly_series(160)
    X = pd.DataFrame({"other": y.shift(1).bfill() * 2,
                      "kind": np.where(y.index.day_of_week >= 5, "A", "W")}, index=y.index)
    model = tsforecast.get_model("lstm", past_covariates=("other",), **TINY).fit(y.iloc[:-7], X.iloc[:-7])
    future = X.iloc[-7:][["kind"]]  # only the known-in-advance column is needed
    assert_near_level(model.predict(7, future), y.iloc[:-7])
    with pytest.raises(ConfigError, match="past covariates"):
        model.predict(8, X.iloc[-7:][["kind"]].reindex(
            pd.date_range(X.index[-7], periods=8)).ffill())


def test_progress_callback_reports_each_epoch():
    seen = []
    tsforecast.get_model("rnn", progress=lambda *a: seen.append(a), **TINY).fit(weekly_series(120))
    assert [s[0] for s in seen] == list(range(1, len(seen) + 1)) and seen[0][1] == 3


def test_windows_are_views_not_copies():
    n = 100_000
    data = WindowData(np.random.rand(n, 3).astype("float32"), np.zeros((n, 2), "float32"), 56, 14)
    assert data._x.untyped_storage().data_ptr() == data.inputs.untyped_storage().data_ptr()
    x, future, target = data.batch(torch.tensor([0, 5]))
    assert x.shape == (2, 56, 3) and future.shape == (2, 14, 2) and target.shape == (2, 14)
    np.testing.assert_allclose(target[1].numpy(), data.inputs[5 + 56 : 5 + 70, 0].numpy())


def test_seq2seq_training_runs():
    y = weekly_series(150)
    assert_near_level(tsforecast.get_model("wavenet", seq2seq=True, dilations=(1, 2), **TINY).fit(y).predict(7), y)


@pytest.mark.parametrize("name", ["lstm", "wavenet"])
@pytest.mark.parametrize("normalize", ["global", "window", "last"])
def test_predict_at_equals_rolling_predict(name, normalize):
    """One batched pass over many cutoffs gives what predict gives after each update."""
    y = weekly_series(160)
    X = pd.DataFrame({"kind": np.where(y.index.day_of_week >= 5, "A", "W")}, index=y.index)
    model = tsforecast.get_model(name, normalize=normalize, **TINY).fit(y.iloc[:-20], X.iloc[:-20])
    model.update(y.iloc[-20:], X.iloc[-20:])
    cutoffs = y.index[-20:-9]
    batched = model.predict_at(cutoffs, 9)  # 9 > output_steps: recursion is batched too
    for cutoff in cutoffs[[0, 5, -1]]:
        origin = tsforecast.get_model(name, normalize=normalize, **TINY).fit(y.iloc[:-20], X.iloc[:-20])
        if cutoff > origin.cutoff_:
            origin.update(y[origin.cutoff_ + pd.Timedelta(days=1) : cutoff],
                          X[origin.cutoff_ + pd.Timedelta(days=1) : cutoff])
        future = X[cutoff + pd.Timedelta(days=1) :].iloc[:9]
        np.testing.assert_allclose(batched.loc[cutoff].to_numpy(),
                                   origin.predict(9, future).to_numpy(), rtol=1e-5)


def test_predict_at_rejects_unknown_or_early_cutoffs():
    y = weekly_series(120)
    model = tsforecast.get_model("gru", **TINY).fit(y)
    with pytest.raises(tsforecast.DataError, match="not timestamps of the training data"):
        model.predict_at([y.index[-1] + pd.Timedelta(days=3)], 3)
    with pytest.raises(tsforecast.DataError, match="fewer than window=14"):
        model.predict_at(y.index[:3], 3)
    assert model.predict_at(y.index[-3:], 2).shape == (3, 2)
    with pytest.raises(tsforecast.DataError, match="cutoffs is empty"):
        model.predict_at([], 2)


def test_inference_in_chunks_matches_one_pass(monkeypatch):
    """Chunking bounds memory on long histories and changes no number."""
    import tsforecast.models.neural.training as training

    y = weekly_series(200)
    whole = tsforecast.get_model("lstm", **TINY).fit(y)
    cutoffs = y.index[30:]
    expected = whole.predict_at(cutoffs, 3)
    monkeypatch.setattr(training, "INFERENCE_CHUNK", 7)  # read by fit and predict_at alike
    chunked = tsforecast.get_model("lstm", **TINY).fit(y)
    np.testing.assert_allclose(chunked.residuals_, whole.residuals_, rtol=1e-5)
    np.testing.assert_allclose(chunked.predict_at(cutoffs, 3), expected, rtol=1e-5)


def test_window_normalisation_follows_a_level_shift():
    """Globally scaled inputs extrapolate a new level poorly; window-centred ones do not."""
    y = weekly_series(400, trend=0.0)
    shifted = pd.concat([y.iloc[:300], y.iloc[300:] - 40])  # the level drops by 40
    errors = {}
    for normalize in ("global", "window", "last"):
        model = tsforecast.get_model("lstm", window=21, output_steps=7, max_epochs=40,
                                     normalize=normalize).fit(shifted.iloc[:300])
        model.update(shifted.iloc[300:-7])
        errors[normalize] = np.abs(model.predict(7).to_numpy() - shifted.iloc[-7:].to_numpy()).mean()
    for centred in ("window", "last"):
        assert errors[centred] < errors["global"]
        assert errors[centred] < 8  # the weekly amplitude is 10, the noise 2


def test_a_later_days_known_feature_cannot_move_an_earlier_forecast():
    y = weekly_series(160)
    X = pd.DataFrame({"promo": (np.arange(160) % 11 == 0).astype(float)}, index=y.index)
    model = tsforecast.get_model("gru", **TINY).fit(y.iloc[:-7], X.iloc[:-7])
    future = X.iloc[-7:].copy()
    base = model.predict(7, future)
    future.iloc[4, 0] = 1.0 - future.iloc[4, 0]
    changed = model.predict(7, future)
    np.testing.assert_allclose(changed.iloc[:4], base.iloc[:4], rtol=0, atol=1e-9)
    assert changed.iloc[4] != base.iloc[4]
    one_day = model.predict(1, future.iloc[:1])  # a one-day forecast needs one day of X
    assert one_day.iloc[0] == pytest.approx(base.iloc[0])


@pytest.mark.parametrize(("gated", "residual"), [(True, True), (False, False)])
@pytest.mark.parametrize("steps", [56, 31, 10, 1])
def test_wavenet_last_step_shortcut_is_exact(gated, residual, steps):
    """Computing only the receptive field of the last step gives the full stack's answer."""
    from tsforecast.models.neural.networks import NetworkConfig, WaveNetEncoder

    torch.manual_seed(0)
    encoder = WaveNetEncoder(NetworkConfig("wavenet", 3, 14, 0, hidden=8, gated=gated,
                                           residual=residual))
    x = torch.randn(4, steps, 3)
    with torch.no_grad():
        torch.testing.assert_close(encoder(x, last_only=True)[:, -1], encoder(x)[:, -1])


def test_wavenet_is_causal():
    from tsforecast.models.neural.networks import NetworkConfig, WaveNetEncoder

    torch.manual_seed(0)
    encoder = WaveNetEncoder(NetworkConfig("wavenet", 1, 14, 0, hidden=8))
    x = torch.randn(1, 30, 1)
    changed = x.clone()
    changed[0, 20] += 1.0
    with torch.no_grad():
        torch.testing.assert_close(encoder(x)[:, :20], encoder(changed)[:, :20])
        assert not torch.allclose(encoder(x)[:, 20], encoder(changed)[:, 20])


@pytest.mark.parametrize("kind", ["lstm", "wavenet"])
@pytest.mark.parametrize("level", ["mean", "causal_last"])
@pytest.mark.parametrize("window_scale", [False, True])
def test_sequence_to_sequence_centring_is_causal(kind, level, window_scale):
    """Forecasts from step t never see the inputs after t, whatever the centring (and the
    window scaling of a global fit), so sequence-to-sequence targets cannot leak into the inputs."""
    from tsforecast.models.neural.networks import NetworkConfig, build_network

    torch.manual_seed(0)
    network = build_network(NetworkConfig(kind, 2, 7, 0, hidden=8, level_channels=2, level=level,
                                          window_scale=window_scale))
    x = torch.randn(3, 30, 2)
    changed = x.clone()
    changed[:, 20:] += 5.0
    with torch.no_grad():
        before, after = network(x, every_step=True), network(changed, every_step=True)
    torch.testing.assert_close(before[:, :20], after[:, :20])
    assert not torch.allclose(before[:, 20], after[:, 20])


def test_seq2seq_uses_the_causal_centring():
    assert tsforecast.LSTM(seq2seq=True)._level() == "causal_last"
    assert tsforecast.LSTM()._level() == "last" and tsforecast.LSTM(normalize="window")._level() == "mean"


def test_training_and_network_defaults_are_the_same_everywhere():
    """One place for each default: the estimators' signatures, WaveNet's, the training loop's
    and the network's settings agree, so a default cannot drift in one of them."""
    import dataclasses
    import inspect

    from tsforecast.models.neural import WaveNet
    from tsforecast.models.neural.estimator import NeuralForecaster
    from tsforecast.models.neural.networks import NetworkConfig
    from tsforecast.models.neural.training import TrainConfig

    def signature_defaults(cls: type) -> dict:
        return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items() if name != "self"}

    base, wavenet = signature_defaults(NeuralForecaster), signature_defaults(WaveNet)
    shared = set(base) & set(wavenet)
    assert len(shared) == len(base) - 1  # every parameter but num_layers
    assert {name: wavenet[name] for name in shared} == {name: base[name] for name in shared}
    for config, estimator in ((TrainConfig, base), (NetworkConfig, base | wavenet)):
        fields = {f.name: f.default for f in dataclasses.fields(config) if f.name in estimator}
        assert len(fields) >= 6
        assert fields == {name: estimator[name] for name in fields}
    assert TrainConfig() == tsforecast.get_model("lstm")._train_config()


def test_the_held_out_tail_is_purged_and_split_between_stopping_and_calibration():
    from tsforecast.models.neural.windows import held_out_starts

    long, short = np.arange(100, 200), np.arange(200, 205)  # one series' samples, and too few
    (train, none), (stop, _), (calibrate, none_calibrated) = held_out_starts([long, short], 0.2, 7)
    assert len(stop) == 10 and len(calibrate) == 10  # 20 held out, halved
    np.testing.assert_array_equal(calibrate, long[-10:])  # the most recent half calibrates
    np.testing.assert_array_equal(stop, long[-20:-10])
    assert train[-1] + 7 <= stop[0]  # purged: the last training target ends before the tail
    np.testing.assert_array_equal(train, long[: 100 - 20 - 6])
    assert len(none) == 0 and len(none_calibrated) == 0  # no training window: no sample at all
