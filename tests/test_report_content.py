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
from tsforecast.backtest.engine import describe_fit
from tsforecast.plotting import ThousandsFormatter, plot_forecast
from tsforecast.report import charts

from .conftest import weekly_series


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


# ------------------------------------------------------------------ seen in the rendered report
def test_a_model_far_behind_the_baseline_still_shows_in_the_skill_chart():
    from tsforecast.plotting import draw_skill_distribution

    skill = pd.DataFrame({"good": [0.1, 0.2, 0.15], "bad": [-1.6, -1.8, -1.7]})
    forecasts = pd.DataFrame({"model": ["snaive", "good", "bad"]})
    _, ax = _drawn(lambda ax: draw_skill_distribution(ax, skill, forecasts, "snaive"))
    notes = [text.get_text() for text in ax.texts]
    assert any("further left" in note and "-1.70" in note for note in notes), notes
