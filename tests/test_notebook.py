"""Notebook ergonomics: plots that return Axes without touching matplotlib's global state,
the result's HTML view, and logging that stays silent unless the application asks."""

from __future__ import annotations

import logging
import subprocess
import sys

import matplotlib
import pytest

import tsforecast
from tsforecast.backtest import backtest

from .conftest import weekly_series


@pytest.fixture(scope="module")
def result():
    return backtest(weekly_series(150), ["naive", "ets"], horizon=7, n_windows=3)


@pytest.mark.parametrize("kind", ["forecasts", "last", "step", "fold", "calibration"])
def test_every_backtest_chart_draws_one_line_per_model_on_the_axes_given(result, kind):
    from matplotlib.figure import Figure

    backend, params = matplotlib.get_backend(), dict(matplotlib.rcParams)
    ax = Figure().add_subplot()
    assert result.plot(kind, ax=ax) is ax
    labels = {line.get_label() for line in ax.get_lines()}
    assert {"naive", "ets", "snaive"} <= labels
    assert matplotlib.get_backend() == backend and dict(matplotlib.rcParams) == params


def test_a_plot_without_axes_makes_its_own_figure(result):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    ax = result.plot("last")
    assert ax.figure.number not in before
    plt.close(ax.figure)


def test_unknown_chart_and_series_are_named(result):
    with pytest.raises(ValueError, match="kind must be one of"):
        result.plot("pie")
    with pytest.raises(ValueError, match="series 'nope' is not in this backtest"):
        result.plot("last", series="nope")


def test_plot_forecast_draws_history_forecast_and_interval():
    import matplotlib.pyplot as plt

    model = tsforecast.get_model("theta").fit(weekly_series(120))
    ax = tsforecast.plot_forecast(model, horizon=10)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert len(lines[model.label_].get_xdata()) == 10 and "history" in lines
    assert ax.collections, "the interval band"
    plt.close(ax.figure)


def test_the_result_shows_its_leaderboard_in_a_notebook(result):
    html = result._repr_html_()
    assert "<table" in html and "ets" in html and "mase" in html.lower()


def test_the_library_logs_through_logging(result, caplog):
    with caplog.at_level(logging.INFO, logger="tsforecast"):
        backtest(weekly_series(100), ["naive"], horizon=7, n_windows=2)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("tsforecast")]
    assert any("2 folds of horizon 7" in m for m in messages) and any("finished" in m for m in messages)


def test_the_library_prints_nothing_by_default(tmp_path):
    script = (
        "import tsforecast\n"
        "from tests.conftest import weekly_series\n"
        "r = tsforecast.backtest.backtest(weekly_series(120), ['naive', 'theta'], horizon=7, n_windows=2)\n"
        f"m = tsforecast.get_model('theta').fit(weekly_series(120)); m.save(r'{tmp_path / 'm.tsf'}')\n"
        f"tsforecast.load(r'{tmp_path / 'm.tsf'}').predict(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
