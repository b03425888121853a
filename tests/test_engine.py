"""The vectorised engine: baselines forecast every fold in one call with the numbers of
fitting fold by fold, clean long tables skip per-series validation without changing a series,
and the cheap fold scales and residual diagnostics equal their reference computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.backtest import backtest, make_folds
from tsforecast.backtest.fold_work import fold_scales
from tsforecast.data.panel import panel_from_long
from tsforecast.data.synthetic import make_panel
from tsforecast.evaluation.diagnostics import residual_diagnostics, residual_diagnostics_many
from tsforecast.evaluation.metrics import seasonal_naive_scales, seasonal_naive_scales_panel
from tsforecast.models.baseline import Drift, Mean, Naive, SeasonalNaive

from .conftest import weekly_series


def _fold_by_fold(cls):
    """The same baseline, but one whose ``_fit`` is its own: the engine fits it per fold."""

    class FoldByFold(cls):
        def _fit(self, y, X):
            super()._fit(y, X)

    FoldByFold.__name__ = f"FoldByFold{cls.__name__}"
    return FoldByFold


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(48, 120),  # 4 folds of 10 leave the 8 points seasonal naive needs (7) and more
    horizon=st.integers(1, 10),
    windows=st.integers(1, 4),
    refit=st.sampled_from([True, False, 2]),
    sliding=st.booleans(),
)
def test_batched_baselines_equal_fitting_fold_by_fold(n, horizon, windows, refit, sliding):
    y = weekly_series(n, seed=n)
    options = dict(horizon=horizon, n_windows=windows, refit=refit, diagnose=False)
    if sliding:
        options.update(window_type="sliding", window_size=max(8, n // 3))
    models = {c.short_name: c() for c in (Naive, Drift, Mean, SeasonalNaive)}
    batched = backtest(y, models, **options)
    slow = backtest(y, {name: _fold_by_fold(type(m))() for name, m in models.items()}, **options)
    assert slow.failures.empty and batched.failures.empty
    columns = [c for c in batched.forecasts.columns if c not in ("series",)]
    pd.testing.assert_frame_equal(batched.forecasts[columns], slow.forecasts[columns])


def test_a_baseline_that_fails_on_some_folds_is_recorded_fold_by_fold():
    # a season longer than the first fold's history: the batched call refuses, and the
    # folds are fitted one by one, the short one recorded as a failure
    y = weekly_series(60)
    result = backtest(y, {"long_season": SeasonalNaive(season=48)}, horizon=5, n_windows=4,
                      step=5, diagnose=False)
    failed = result.failures[result.failures["model"] == "long_season"]
    scored = result.forecasts[result.forecasts["model"] == "long_season"]
    assert len(failed) == 2 and scored["cutoff"].nunique() == 2
    assert failed["message"].str.contains("needs at least 48").all()


def test_a_clean_long_table_gives_the_series_validation_would():
    frame = make_panel(12)  # ragged, all regular daily series
    fast = panel_from_long(frame, "station", "date", "riders")
    as_text = frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d"))  # text dates: validated one by one
    slow = panel_from_long(as_text, "station", "date", "riders")
    assert list(fast.series) == list(slow.series) and not fast.repairs
    for name in fast.series:
        a, b = fast.series[name], slow.series[name]
        np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
        assert a.index.equals(b.index) and a.index.freq == b.index.freq and a.name == b.name == name


def test_irregular_series_in_a_clean_table_are_still_repaired():
    frame = make_panel(6, length=60)
    frame["riders"] = frame["riders"].astype("float64")
    gap = frame.index[(frame["station"] == "S3") & (frame["date"] == "2019-12-01")]
    frame.loc[frame.index[frame["station"] == "S5"][10], "riders"] = np.nan
    panel = panel_from_long(frame.drop(gap), "station", "date", "riders")
    assert panel.series["S3"].index.freq == "D" and len(panel.series["S3"]) == 60
    assert any(r.startswith("S3: inserted 1 missing timestamp") for r in panel.repairs)
    assert any(r.startswith("S5: filled 1 missing value") for r in panel.repairs)
    np.testing.assert_array_equal(panel.series["S1"].to_numpy(),
                                  frame.loc[frame["station"] == "S1", "riders"].to_numpy())


@settings(max_examples=40, deadline=None)
@given(n=st.integers(20, 200), season=st.integers(1, 12), horizon=st.integers(1, 5),
       windows=st.integers(1, 3), size=st.integers(2, 30))
def test_fold_scales_equal_the_scale_of_each_training_window(n, season, horizon, windows, size):
    y = pd.Series(np.random.default_rng(n).normal(size=n).cumsum() * 100)
    for options in ({}, {"window_type": "sliding", "window_size": size}):
        folds = make_folds(n, horizon, windows, **options) if n - horizon * windows > 0 else []
        # a plain reference (the library's scale comes from one cumulative sum)
        windows_ = [y.to_numpy()[f.train_start : f.train_end] for f in folds]
        expected = [np.mean(np.abs(w[season:] - w[:-season])) if len(w) > season else np.nan for w in windows_]
        np.testing.assert_allclose(fold_scales(y, folds, season), expected, rtol=1e-9)


@pytest.mark.parametrize("n", [12, 97, 1500])
def test_residual_diagnostics_equal_statsmodels(n):
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.tsa.stattools import acf

    rng = np.random.default_rng(n)
    residuals = pd.Series(rng.normal(size=n) + 0.4 * np.sin(np.arange(n)))
    found = residual_diagnostics(residuals, 7)
    expected = acorr_ljungbox(residuals.to_numpy(), lags=[found["lags"]])["lb_pvalue"].iloc[0]
    assert found["ljung_box_p"] == pytest.approx(expected, rel=1e-9, abs=1e-300)
    np.testing.assert_allclose(found["acf"], acf(residuals.to_numpy(), nlags=found["lags"], fft=True)[1:],
                               atol=1e-12)


def test_a_baseline_subclass_that_fits_its_own_way_is_never_batched():
    # a subclass defining _fit or _update is fitted fold by fold unless it declares otherwise
    y = weekly_series(60)

    class OwnFit(Naive):
        def _fit(self, y, X):
            super()._fit(y, X)

    class OwnUpdate(Naive):
        def _update(self, y_new, X_new):
            super()._update(y_new, X_new)

    class Declared(OwnFit):
        fits_from_values = True  # the subclass vouches that its fit is the values' fit

    assert Naive.fits_from_values and Declared.fits_from_values
    for cls in (OwnFit, OwnUpdate):
        assert not cls.fits_from_values
        with pytest.raises(NotImplementedError, match="fits its own way"):
            cls().forecast_folds(y.to_numpy(), [(0, 40)], 5, (0.1, 0.9), y.index.freq)
    points, _ = Declared().forecast_folds(y.to_numpy(), [(0, 40)], 5, (0.1, 0.9), y.index.freq)
    np.testing.assert_allclose(points[0], Naive().fit(y.iloc[:40]).predict(5).to_numpy())


class _CountingSeasonalNaive(SeasonalNaive):
    """Seasonal naive that counts how often it is fitted through ``fit`` (a Series)."""

    fits = 0

    def fit(self, y, X=None):
        type(self).fits += 1
        return super().fit(y, X)


def test_the_diagnosis_reuses_the_batched_fits_and_equals_a_fit_at_the_last_cutoff():
    frame = make_panel(6, length=120)
    _CountingSeasonalNaive.fits = 0
    result = backtest(frame, {"counted": _CountingSeasonalNaive()}, horizon=7, n_windows=3, id_col="station",
                      time_col="date", target_col="riders")
    assert _CountingSeasonalNaive.fits == 0  # every fold and the diagnosis came from the values
    diagnosed = result.diagnostics.set_index(["series", "model"])
    assert len(diagnosed) == 12  # 6 series x (baseline, counted)
    for name, y in result.data.items():
        # the last cutoff is a horizon before the series' end: the model fitted there
        reference = residual_diagnostics(SeasonalNaive().fit(y.iloc[:-7]).residuals(), 7)
        row = diagnosed.loc[(name, "counted")]
        assert row["cutoff"] == y.index[-8] and row["n"] == reference["n"] and row["lags"] == reference["lags"]
        assert row["ljung_box_p"] == pytest.approx(reference["ljung_box_p"], rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(row["acf"], reference["acf"], atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(lengths=st.lists(st.integers(0, 60), min_size=1, max_size=8), season=st.integers(1, 12),
       seed=st.integers(0, 10_000))
def test_diagnostics_of_many_series_equal_each_alone(lengths, season, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=n) for n in lengths]
    if arrays[0].size > 3:
        arrays[0][2] = np.nan  # a missing residual is dropped from its own series only
    table = residual_diagnostics_many(np.concatenate(arrays), np.r_[0, np.cumsum(lengths)], [season] * len(arrays))
    for k, values in enumerate(arrays):
        alone = residual_diagnostics(values, season)
        assert (table["n"][k], table["lags"][k]) == (alone["n"], alone["lags"])
        # each series is summed within its own segment: the same numbers to the last bit
        assert table["acf"][k] == alone["acf"]
        assert np.array_equal(table["ljung_box_p"][k], alone["ljung_box_p"], equal_nan=True)


@settings(max_examples=8, deadline=None)
@given(block_size=st.integers(1, 40), n_jobs=st.sampled_from([1, 2]))
def test_any_block_size_or_job_count_gives_the_same_numbers(block_size, n_jobs):
    frame = _ENGINE_PANEL
    options = dict(horizon=7, n_windows=3, id_col="station", time_col="date", target_col="riders")
    reference = _reference_run()
    other = backtest(frame, ["naive", "theta"], block_size=block_size, n_jobs=n_jobs, **options)
    pd.testing.assert_frame_equal(reference.forecasts, other.forecasts)
    pd.testing.assert_frame_equal(reference.diagnostics, other.diagnostics)
    columns = ["series", "model", "cutoff", "refitted", "fitted"]
    pd.testing.assert_frame_equal(reference.timings[columns], other.timings[columns])


_ENGINE_PANEL = make_panel(9, length=100)
_REFERENCE: dict = {}


def _reference_run():
    if "run" not in _REFERENCE:
        _REFERENCE["run"] = backtest(_ENGINE_PANEL, ["naive", "theta"], horizon=7, n_windows=3, id_col="station",
                                     time_col="date", target_col="riders", block_size=1000)
    return _REFERENCE["run"]


def test_a_bad_block_size_is_refused():
    from tsforecast.core.errors import ConfigError

    with pytest.raises(ConfigError, match="block_size must be a positive integer"):
        backtest(weekly_series(60), ["naive"], horizon=5, n_windows=2, block_size=0)


@settings(max_examples=30, deadline=None)
@given(lengths=st.lists(st.integers(1, 80), min_size=1, max_size=6), season=st.integers(1, 12),
       chunk=st.integers(1, 4), seed=st.integers(0, 1000))
def test_panel_fold_scales_equal_each_series_alone(lengths, season, chunk, seed):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=n).cumsum() * 50 for n in lengths]
    starts = [rng.integers(0, n, 3) for n in lengths]
    ends = [np.minimum(s + rng.integers(1, n + 1, 3), n) for s, n in zip(starts, lengths, strict=True)]
    panel = seasonal_naive_scales_panel(values, starts, ends, season, chunk=chunk)
    alone = np.concatenate([seasonal_naive_scales(v, s, e, season) for v, s, e in zip(values, starts, ends,
                                                                                       strict=True)])
    assert np.array_equal(panel, alone, equal_nan=True)  # bit for bit: each row cumulated alone


def _per_chain(cls):
    """The same baseline without the many-series call: the engine forecasts it chain by chain
    (``forecast_folds``), the path the block-level one must equal."""
    return type(f"PerChain{cls.__name__}", (cls,), {"forecast_panel": None})


def _ragged_long(lengths, seed):
    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2024-06-30")
    parts = [pd.DataFrame({"id": f"s{k}", "ds": pd.date_range(end=end, periods=n, freq="D"),
                           "y": np.round(rng.gamma(2.0, 10.0, n), int(rng.integers(0, 3)))})
             for k, n in enumerate(lengths)]
    return pd.concat(parts, ignore_index=True)


@settings(max_examples=15, deadline=None)
@given(lengths=st.lists(st.integers(40, 160), min_size=1, max_size=7), horizon=st.integers(1, 9),
       windows=st.integers(1, 3), refit=st.sampled_from([True, False, 2]), block_size=st.integers(1, 8),
       seed=st.integers(0, 10_000))
def test_block_level_forecasts_equal_the_per_chain_path(lengths, horizon, windows, refit, block_size, seed):
    frame = _ragged_long(lengths, seed)
    classes = (Naive, Drift, Mean, SeasonalNaive)
    options = dict(horizon=horizon, n_windows=windows, refit=refit, id_col="id", block_size=block_size)
    fast = backtest(frame, {c.short_name + "_x": c() for c in classes}, **options)
    slow = backtest(frame, {c.short_name + "_x": _per_chain(c)() for c in classes}, **options)
    assert fast.failures.empty and slow.failures.empty
    # the same numbers to the last bit: forecasts, quantiles, scales and the diagnosis
    pd.testing.assert_frame_equal(fast.forecasts, slow.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(fast.diagnostics, slow.diagnostics, check_exact=True)
    columns = ["series", "model", "cutoff", "refitted", "fitted"]
    pd.testing.assert_frame_equal(fast.timings[columns], slow.timings[columns])


@settings(max_examples=25, deadline=None)
@given(lengths=st.lists(st.integers(30, 80), min_size=1, max_size=6), horizon=st.integers(1, 8),
       season=st.integers(1, 9), seed=st.integers(0, 10_000))
def test_forecast_panel_equals_forecast_folds_series_by_series(lengths, horizon, season, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(50, 10, n) for n in lengths]
    bounds = [[(int(rng.integers(0, 3)), n - horizon - 2 * k) for k in (1, 0)] for n in lengths]
    offsets = np.r_[0, np.cumsum(lengths)[:-1]]
    starts = np.array([s + o for own, o in zip(bounds, offsets, strict=True) for s, _ in own])
    ends = np.array([e + o for own, o in zip(bounds, offsets, strict=True) for _, e in own])
    last = np.arange(1, 2 * len(lengths), 2)
    freq = pd.tseries.frequencies.to_offset("D")
    for model in (Naive(), Drift(), Mean(), SeasonalNaive(season=season)):
        points, quantiles, residuals = model.forecast_panel(np.concatenate(arrays), starts, ends, horizon,
                                                            (0.05, 0.5, 0.95), freq, last)
        for k, values in enumerate(arrays):
            alone = type(model)(**model.get_params())
            p, q = alone.forecast_folds(values, bounds[k], horizon, (0.05, 0.5, 0.95), freq)
            assert np.array_equal(points[2 * k : 2 * k + 2], p) and np.array_equal(quantiles[2 * k : 2 * k + 2], q)
            assert np.array_equal(residuals[k], alone.values_residuals())


class _ShiftedSeasonalNaive(SeasonalNaive):
    """Forecasts its own way (the parent's forecast plus one): never the parent's array formulas."""

    def _predict(self, horizon, X):
        return super()._predict(horizon, X) + 1.0


def test_a_subclass_that_forecasts_its_own_way_gets_its_own_numbers_on_the_block_path():
    frame = _ragged_long([60, 75, 90], seed=3)
    result = backtest(frame, {"shifted": _ShiftedSeasonalNaive()}, horizon=7, n_windows=2, id_col="id")
    assert not _ShiftedSeasonalNaive.panel_formulas and SeasonalNaive.panel_formulas
    table = result.forecasts.set_index(["series", "cutoff", "step", "model"])["forecast"].unstack("model")
    np.testing.assert_array_equal(table["shifted"].to_numpy(), table["snaive"].to_numpy() + 1.0)


def test_a_panel_backtest_builds_no_series_until_they_are_read_and_equals_the_eager_path():
    frame = make_panel(7, length=90)
    options = dict(horizon=7, n_windows=3, id_col="station", time_col="date", target_col="riders")
    lazy = backtest(frame, ["naive", "theta"], **options)
    # the baselines forecast from arrays and theta rebuilds its chains' Series from them:
    # the result's own Series are built only when read
    assert lazy.data.built() == []
    # the same panel as a wide table: each column validated alone, a dict of Series built up front
    wide = frame.pivot(index="date", columns="station", values="riders").astype("float64")
    eager = backtest(wide, ["naive", "theta"], horizon=7, n_windows=3)
    assert isinstance(eager.data, dict) and list(lazy.data) == list(eager.data)
    for name in eager.data:
        _assert_same_series(lazy.data[name], eager.data[name])
    assert lazy.data.built() == list(eager.data)
    pd.testing.assert_frame_equal(_ns(lazy.forecasts), _ns(eager.forecasts), check_exact=True)
    pd.testing.assert_frame_equal(_ns(lazy.diagnostics), _ns(eager.diagnostics), check_exact=True)
    columns = ["series", "model", "cutoff", "refitted", "fitted", "notes"]
    pd.testing.assert_frame_equal(_ns(lazy.timings[columns]), _ns(eager.timings[columns]))
    assert lazy.failures.empty and eager.failures.empty
    assert lazy.forecasts is lazy.forecasts  # assembled once, on first read
    assert {k: v for k, v in lazy.metadata.items() if k != "duration_seconds"} == {
        k: v for k, v in eager.metadata.items() if k != "duration_seconds"}
    pd.testing.assert_frame_equal(lazy.leaderboard().drop(columns="fit_time"),
                                  eager.leaderboard().drop(columns="fit_time"))


def _assert_same_series(a: pd.Series, b: pd.Series) -> None:
    """The same values, name, timestamps and frequency (text dates parse to another unit, and
    the validated Series' index has no name)."""
    pd.testing.assert_series_equal(a, b, check_index_type=False, check_names=False)
    assert a.name == b.name and a.index.equals(b.index) and a.index.freq == b.index.freq


def _ns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its timestamp columns in nanoseconds (a clean long table's grid is in
    nanoseconds, a wide table keeps its dates' unit)."""
    return frame.assign(**{c: frame[c].dt.as_unit("ns") for c in frame.columns
                           if pd.api.types.is_datetime64_any_dtype(frame[c].dtype)})


def test_a_lazy_result_pickles_with_its_tables_built():
    import pickle

    result = backtest(make_panel(4, length=80), ["naive"], horizon=7, n_windows=2, id_col="station",
                      time_col="date", target_col="riders")
    copy = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(copy.forecasts, result.forecasts)
    pd.testing.assert_frame_equal(copy.diagnostics, result.diagnostics)
    assert list(copy.data) == list(result.data) and copy.metadata == result.metadata
    pd.testing.assert_series_equal(copy.data["S1"], result.data["S1"])
    pd.testing.assert_frame_equal(copy.leaderboard(), result.leaderboard())
