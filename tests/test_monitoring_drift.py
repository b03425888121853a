"""The drift test (tsforecast.monitoring.drift): normal scores, the CUSUM by hand, its run
lengths against a simulation, the false-alarm rate on stationary noise against the computed
bound, and planted breaks found within a week (Hypothesis over noise seeds and break sizes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from tsforecast.monitoring.drift import (
    BURN_IN,
    MIN_REFERENCE,
    H,
    K,
    average_run_length,
    cusum,
    detect_drift,
    normal_scores,
    reference_errors,
    run_length_cdf,
)

DAYS = 60


def _scores(errors, model="m", series="s", start="2024-01-01") -> pd.DataFrame:
    errors = np.asarray(errors, dtype="float64")
    times = pd.date_range(start, periods=len(errors), freq="D")
    return pd.DataFrame({"model": model, "series_id": series, "origin": times - pd.Timedelta(days=1),
                         "target_time": times, "step": 1, "abs_scaled_error": errors})


def _backtest(errors, model="m", series="s") -> pd.DataFrame:
    errors = np.asarray(errors, dtype="float64")
    return pd.DataFrame({"model": model, "series_id": series, "step": np.arange(len(errors)) % 14 + 1,
                         "abs_scaled_error": errors})


def test_normal_scores_are_mid_ranks_through_the_normal_quantile():
    reference = [1.0, 2.0, 3.0]
    # below all: (0 + 0.5) / 4; equal to 2: (1 + 0.5 + 0.5) / 4; above all: 3.5 / 4
    np.testing.assert_allclose(normal_scores([0.0, 2.0, 9.0], reference), ndtri([0.125, 0.5, 0.875]))
    rng = np.random.default_rng(0)
    z = normal_scores(rng.gamma(0.7, size=20_000), rng.gamma(0.7, size=500))  # skewed errors: still ~N(0, 1)
    assert abs(z.mean()) < 0.1 and abs(z.std() - 1) < 0.1


def test_cusum_by_hand_restarts_after_an_alarm():
    path, alarm = cusum([1.0, 1.0, 1.0, -3.0, 2.0, 2.0], k=0.5, h=1.2)
    np.testing.assert_allclose(path, [0.5, 1.0, 1.5, 0.0, 1.5, 1.5])
    assert alarm.tolist() == [False, False, True, False, True, True]


def test_run_lengths_match_a_simulation():
    n = MIN_REFERENCE
    support = ndtri((np.arange(n + 1) + 0.5) / (n + 1))
    rng = np.random.default_rng(1)
    paths = 20_000
    z = rng.choice(support, size=(paths, DAYS))
    level = np.zeros(paths)
    fired = np.zeros(paths, dtype=bool)
    for day in range(DAYS):
        level = np.maximum(0.0, level + z[:, day] - K)
        fired |= level > H
    expected = run_length_cdf(DAYS, n)[-1]
    assert abs(fired.mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / paths) + 0.005
    # the docstring's figures
    assert 1150 < average_run_length(30) < 1400 and 950 < average_run_length(70) < 1200
    assert 0.03 < expected < 0.05


def test_false_alarms_on_stationary_noise_stay_under_the_computed_bound():
    """Stationary half-normal errors, a fresh reference of 30 backtest errors per seed: the
    share of 60-day stretches with an alarm stays under the Markov chain's probability plus
    four binomial standard errors."""
    seeds = 300
    alarmed = 0
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        drift = detect_drift(_scores(np.abs(rng.normal(size=DAYS))), _backtest(np.abs(rng.normal(size=70))))
        alarmed += bool(len(drift.alarms))
    bound = run_length_cdf(DAYS, MIN_REFERENCE)[-1]
    assert alarmed / seeds <= bound + 4 * np.sqrt(bound * (1 - bound) / seeds)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shift=st.floats(3.5, 8.0), before=st.integers(0, 40))
def test_a_planted_break_is_found_within_a_week(seed, shift, before):
    """Errors of a model whose series moved by ``shift`` of its noise: |shift + e|. However the
    days before went, the statistic is at least 0 when the break comes, so starting from 0
    at the break is the slowest case: the alarm must come within 7 days of it."""
    rng = np.random.default_rng(seed)
    reference = np.abs(rng.normal(size=70))
    errors = np.concatenate([np.abs(rng.normal(size=before)), np.abs(shift + rng.normal(size=DAYS - before))])
    z = normal_scores(errors[before:], reference_errors(_backtest(reference)))
    _, alarm = cusum(z)
    assert alarm[:7].any()
    # and through detect_drift on the whole stretch: an alarm at most 7 days after the break
    times = detect_drift(_scores(errors), _backtest(reference)).alarms["alarm_time"]
    assert ((times >= pd.Timestamp("2024-01-01") + pd.Timedelta(days=before))
            & (times < pd.Timestamp("2024-01-01") + pd.Timedelta(days=before + 7))).any()


def test_the_reference_takes_the_shortest_steps_first():
    frame = pd.DataFrame({"step": np.repeat(np.arange(1, 15), 5), "abs_scaled_error": np.repeat(np.arange(1, 15), 5)})
    assert sorted(set(reference_errors(frame))) == [1, 2, 3, 4, 5, 6]  # 30 errors at steps 1 to 6
    assert len(reference_errors(frame.head(10))) == 10  # fewer than 30: all of them


def test_without_a_backtest_the_first_live_errors_are_the_reference():
    rng = np.random.default_rng(3)
    calm = np.abs(rng.normal(size=BURN_IN + 10))
    drift = detect_drift(_scores(np.concatenate([calm, np.full(5, 20.0)])))
    row = drift.references.iloc[0]
    assert row["status"] == "tested" and row["reference"] == f"first {BURN_IN} live errors"
    assert len(drift.path) == 15 and drift.alarms["alarm_time"].min() >= pd.Timestamp("2024-01-01") + pd.Timedelta(
        days=BURN_IN + 10)
    warming = detect_drift(_scores(np.full(BURN_IN, 20.0)))
    assert warming.references["status"].tolist() == ["warming up"] and warming.alarms.empty


def test_the_freshest_forecast_of_a_day_is_tested():
    """Two forecasts of each day (steps 1 and 2): only the step-1 error enters the test."""
    one = _scores(np.full(40, 0.5))
    two = one.assign(step=2, origin=one["origin"] - pd.Timedelta(days=1), abs_scaled_error=50.0)
    drift = detect_drift(pd.concat([two, one]), _backtest(np.linspace(0.1, 1.0, 30)))
    assert drift.alarms.empty and (drift.path["step"] == 1).all() and len(drift.path) == 40


def test_alarms_name_where_the_errors_rose():
    reference = np.linspace(0.1, 1.0, 40)
    errors = np.concatenate([np.full(20, 0.5), np.full(10, 9.0)])
    alarms = detect_drift(_scores(errors), _backtest(reference)).alarms
    first = alarms.iloc[0]
    assert first["since"] == pd.Timestamp("2024-01-21") and first["alarm_time"] <= pd.Timestamp("2024-01-24")
    assert first["mean_error"] == pytest.approx(9.0) and first["reference"] == "backtest"
