"""What the HTML report and the charts say (issue 24): a panel's cutoffs, the regressors, legends
beside the data, thousands separators on value axes, one label per auto combination, and no
"nan%" headline where an improvement is undefined."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.backtest.fold_work import describe_fit
from tsforecast.plotting import ThousandsFormatter, plot_forecast
from tsforecast.report import charts, headline, render_report

from .conftest import weekly_series


def _run_metadata_row(html: str, name: str) -> str:
    match = re.search(rf"<tr><td>{name}</td><td>(.*?)</td></tr>", html, re.S)
    assert match, f"no {name} row in the run metadata"
    return match.group(1)


def _long_panel(ends: dict[str, str], n: int = 60) -> pd.DataFrame:
    parts = []
    for k, (name, end) in enumerate(ends.items()):
        y = weekly_series(n, seed=k)
        parts.append(pd.DataFrame({"id": name, "ds": pd.date_range(end=end, periods=n, freq="D"),
                                   "y": y.to_numpy(), "promo": (np.arange(n) % 5 == 0).astype(float)}))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------ 1. a panel's cutoffs
def test_a_panels_cutoffs_describe_every_series_not_the_first():
    ends = {"a": "2020-03-01", "b": "2020-03-11", "c": "2020-03-21"}
    result = backtest(_long_panel(ends), ["naive"], horizon=7, n_windows=2, id_col="id", time_col="ds",
                      target_col="y")
    row = _run_metadata_row(render_report(result), "cutoffs")
    assert "3 series" in row and "2 per series" in row
    # the earliest first cutoff (series a) and the latest last cutoff (series c) are both named
    assert "2020-02-16" in row and "2020-03-14" in row, row
    # run.json's metadata spans every series' cutoffs, not the first series' alone
    cutoffs = result.metadata["cutoffs"]
    assert cutoffs["earliest"].startswith("2020-02-16") and cutoffs["latest"].startswith("2020-03-14")
    assert cutoffs["per_series"] == [2]


def test_a_panel_whose_series_share_their_cutoffs_says_so():
    ends = {"a": "2020-03-01", "b": "2020-03-01"}
    result = backtest(_long_panel(ends), ["naive"], horizon=7, n_windows=2, id_col="id", time_col="ds",
                      target_col="y")
    row = _run_metadata_row(render_report(result), "cutoffs")
    assert row == "the same 2 for all 2 series: 2020-02-16, 2020-02-23"


# ------------------------------------------------------------------ 2. regressors
def test_the_regressors_and_the_models_that_used_them_are_described():
    result = backtest(_long_panel({"a": "2020-03-01"}, n=80), ["naive", "arima"], horizon=7, n_windows=2,
                      id_col="id", time_col="ds", target_col="y", exog_columns=["promo"])
    html = render_report(result)
    described = "promo, used by arima; snaive, naive take none and forecast from the series alone."
    assert f"Regressors: {described}" in html
    assert _run_metadata_row(html, "regressors") == described


def test_a_run_without_regressors_mentions_none(daily):
    html = render_report(backtest(daily, ["naive"], horizon=7, n_windows=2))
    assert "Regressors" not in html and "<td>regressors</td>" not in html


# ------------------------------------------------------------------ 3 and 4. the charts
@pytest.fixture(scope="module")
def large_result():
    """A series in the hundreds of thousands (ridership-like), backtested with intervals."""
    y = weekly_series(150, seed=3) * 8_000
    return backtest(y, ["naive", "drift"], horizon=7, n_windows=3)


def _drawn(draw) -> tuple[Figure, object]:
    fig = Figure(figsize=(10, 3.6))
    ax = fig.add_subplot()
    draw(ax)
    fig.canvas.draw()
    return fig, ax


def _charts(result):
    model = tsforecast.get_model("naive").fit(result.data[next(iter(result.data))])
    yield from ((kind, lambda ax, kind=kind: result.plot(kind, ax=ax))
                for kind in ("forecasts", "last", "step", "fold", "calibration"))
    yield "plot_forecast", lambda ax: plot_forecast(model, horizon=7, ax=ax)


@pytest.mark.parametrize("kind", ["forecasts", "last", "step", "fold", "calibration", "plot_forecast"])
def test_legends_sit_beside_the_plotted_area(large_result, kind):
    draw = dict(_charts(large_result))[kind]
    _, ax = _drawn(draw)
    legend, area = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= area.x1, f"{kind}: the legend overlaps the plotted area"


@pytest.mark.parametrize("kind", ["forecasts", "last", "step", "fold", "plot_forecast"])
def test_value_axes_separate_thousands(large_result, kind):
    _, ax = _drawn(dict(_charts(large_result))[kind])
    labels = [t.get_text().replace("\N{MINUS SIGN}", "-") for t in ax.get_yticklabels() if t.get_text()]
    large = [text for text in labels if abs(float(text.replace(",", ""))) >= 1000]
    assert large, labels
    assert all(re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text) for text in large), labels
    assert ax.yaxis.get_offset_text().get_text() == ""  # no "1e6" above the axis


def test_the_reports_svg_charts_separate_thousands(large_result):
    rows = large_result.forecasts
    y = large_result.data[next(iter(large_result.data))]
    svg = charts.forecast_chart(y, rows, 7) + charts.last_cutoff_chart(y, rows, large_result.coverage, 7)
    assert re.search(r">\s*\d{3},000\s*<", svg), "no tick label such as 800,000 in the SVG"
    assert not re.search(r">\s*\d{4,}\s*<", svg)


@settings(max_examples=60, deadline=None)
@given(low=st.floats(-1e7, 1e7), span=st.floats(1e-3, 1e8))
def test_tick_labels_read_back_as_their_ticks(low, span):
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_ylim(low, low + span)
    ax.yaxis.set_major_formatter(ThousandsFormatter())
    fig.canvas.draw()
    locs = ax.get_yticks()
    labels = [t.get_text().replace("\N{MINUS SIGN}", "-") for t in ax.get_yticklabels()]
    assert len(set(labels)) == len(labels), labels  # distinct ticks get distinct labels
    step = float(np.min(np.diff(locs)))
    for loc, text in zip(locs, labels, strict=True):
        assert re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?", text), text
        if float(text.replace(",", "")) == 0:
            assert not text.startswith("-"), text
        assert abs(float(text.replace(",", "")) - loc) <= step * 1e-3


# ------------------------------------------------------------------ 5. auto's label
@settings(max_examples=30, deadline=None)
@given(st.permutations(["ridge", "ets", "theta"]), st.integers(2, 3), st.sampled_from(["mean", "median"]))
def test_one_auto_combination_has_one_label_whatever_its_ranking(members, size, combine):
    labels = set()
    for order in itertools.permutations(members[:size]):
        model = tsforecast.Auto(combine=combine)
        model.chosen_ = list(order)  # what a fit records: the chosen members, best first
        labels.add(describe_fit(model))  # the text a backtest counts in its choices table
    assert labels == {f"{combine} of {', '.join(sorted(members[:size]))}"}


# ------------------------------------------------------------------ 6. undefined improvement
@pytest.mark.parametrize("level", [0.0, 5.0, 42_000.0])
def test_a_constant_series_headline_has_no_nan_percent(level):
    y = pd.Series(level, index=pd.date_range("2020-01-01", periods=60, freq="D"))
    result = backtest(y, ["naive", "drift", "theta"], horizon=7, n_windows=2)  # theta cannot fit a constant
    html = render_report(result)
    words = " ".join(headline(result).values())
    assert "nan" not in words.lower() and "inf" not in words.lower()
    assert "exactly" in words and "the baseline's MAE is 0" in words
    assert "theta produced no forecasts" in words
    assert not re.search(r"(nan|inf)%", html)


def test_a_baseline_that_forecast_exactly_is_said_in_words():
    t = np.arange(70)
    y = pd.Series(100 + 10 * np.sin(2 * np.pi * t / 7), index=pd.date_range("2020-01-01", periods=70, freq="D"))
    result = backtest(y, ["naive"], horizon=7, n_windows=2)  # seasonal naive is exact here, naive is not
    top = headline(result)
    assert top["title"] == "Best: snaive (the baseline), which forecast every point exactly"
    assert "No improvement can be computed: the baseline's MAE is 0" in top["detail"]
    assert "naive had MAE" in top["detail"]
    assert not re.search(r"(nan|inf)%", render_report(result))
    # one rule for every output: the leaderboard itself (CLI table, leaderboard.csv) has no skill
    # against a baseline whose MAE is a rounding error (it printed -3.2e14 before)
    board = result.leaderboard()
    assert board["skill"].isna().all() and result.exact_models() == ["snaive"]


# ------------------------------------------------------------------ seen in the rendered report
def test_a_model_far_behind_the_baseline_still_shows_in_the_skill_chart():
    from tsforecast.plotting import draw_skill_distribution

    skill = pd.DataFrame({"good": [0.1, 0.2, 0.15], "bad": [-1.6, -1.8, -1.7]})
    forecasts = pd.DataFrame({"model": ["snaive", "good", "bad"]})
    _, ax = _drawn(lambda ax: draw_skill_distribution(ax, skill, forecasts, "snaive"))
    notes = [text.get_text() for text in ax.texts]
    assert any("further left" in note and "-1.70" in note for note in notes), notes


def test_the_run_line_writes_dates_and_counts_as_the_tables_do():
    y = weekly_series(1_200)
    html = render_report(backtest(y, ["naive"], horizon=7, n_windows=2))
    assert "2020-01-01 to 2023-04-14 · 1,200 observations" in " ".join(html.split())
