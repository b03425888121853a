"""A real hierarchy of five levels and ragged depth (US employment by industry, BLS CES via
vega_datasets): built from its leaves, backtested and reconciled in Python and from the
command line, coherent at every level, and shown per level in the report. Skipped where
vega_datasets is not installed (it is in the ``dev`` extra)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tsforecast.app.cli import app
from tsforecast.backtest import backtest_hierarchy, level_accuracy
from tsforecast.core.errors import DataError
from tsforecast.hierarchy import EMPLOYMENT_LEVELS, POINT_ONLY_METHODS, aggregate, us_employment
from tsforecast.report import render_report
from tsforecast.report.hierarchy import change_text, hierarchy_section

pytest.importorskip("vega_datasets")

LEVELS = list(EMPLOYMENT_LEVELS)
runner = CliRunner()


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return us_employment()


@pytest.fixture(scope="module")
def recent(table) -> pd.DataFrame:
    """The last five years: enough for two folds of a year, half the models' work."""
    return table[table["month"] >= "2011-01-01"].reset_index(drop=True)


def assert_coherent_at_every_level(result, tolerance: float = 1e-9) -> None:
    """Every reconciled series equals the sum of its children, at every cutoff and step, for
    the point forecasts and (where given) the median."""
    h = aggregate(us_employment(), LEVELS, time_column="month", target_column="employment")
    rows = result.forecasts
    for label, spec in result.model_parameters.items():
        if "reconciliation" not in spec:
            continue
        columns = ["forecast"] if spec["reconciliation"] in POINT_ONLY_METHODS else ["forecast", "q0.5"]
        for column in columns:
            table = rows[rows["model"] == label].pivot_table(index=["cutoff", "step"], columns="series", values=column)
            table = table[h.ids].to_numpy()
            scale = np.abs(table).max()
            for parent in np.unique(h.parent[h.parent >= 0]):
                children = np.flatnonzero(h.parent == parent)
                gap = np.abs(table[:, parent] - table[:, children].sum(axis=1)).max()
                assert gap <= tolerance * scale, (label, column, h.ids[parent], gap)


def test_the_table_is_the_published_hierarchy(table):
    import vega_datasets

    published = vega_datasets.local_data.us_employment()
    assert len(table) == 15 * 120 and table["month"].nunique() == 120
    h = aggregate(table, LEVELS, time_column="month", target_column="employment")
    assert {level: len(rows) for level, rows in h.levels.items()} == {
        "total": 1, "sector": 2, "sector/domain": 3, "sector/domain/supersector": 11,
        "sector/domain/supersector/industry": 15}
    # the aggregates are sums of the leaves; the published ones agree to the leaves' rounding
    gap = np.abs(h.values["total"].to_numpy() - published["nonfarm"].to_numpy())
    assert gap.max() <= 0.5 + 1e-9
    retail = "sector=private/domain=private_service_providing/supersector=trade_transportation_utilities"
    assert np.abs(h.values[retail].to_numpy() - published["trade_transportation_utilties"].to_numpy()).max() <= 0.5001
    # government is not split: one series repeated down to the bottom, each repeat one member
    chain = ["sector=government", "sector=government/domain=government",
             "sector=government/domain=government/supersector=government",
             "sector=government/domain=government/supersector=government/industry=government"]
    for upper, lower in zip(chain, chain[1:], strict=False):
        assert h.parent[h.ids.index(lower)] == h.ids.index(upper)
        np.testing.assert_array_equal(h.values[upper], h.values[lower])


def test_a_table_that_does_not_add_up_or_lacks_a_column_is_refused():
    import vega_datasets

    published = vega_datasets.local_data.us_employment()
    broken = published.copy()
    broken.loc[5, "retail_trade"] += 3.0
    with pytest.raises(DataError, match=r"trade_transportation_utilties is not the sum of wholesale_trade.*row 5"):
        us_employment(broken)
    with pytest.raises(DataError, match="lacks column.*government"):
        us_employment(published.drop(columns="government"))
    holed = published.copy()
    holed.loc[7, "construction"] = float("nan")  # the sums skip it: refused by name instead
    with pytest.raises(DataError, match="missing values in construction"):
        us_employment(holed)


def test_an_empty_member_below_the_top_says_how_to_write_a_ragged_hierarchy(table):
    ragged = table.copy()
    ragged.loc[ragged["sector"] == "government", ["domain", "supersector", "industry"]] = None
    with pytest.raises(DataError, match="120 row.*have no domain.*repeat its sector as its domain"):
        aggregate(ragged, LEVELS, time_column="month", target_column="employment")


def test_the_ragged_hierarchy_backtests_coherent_and_reports_per_level(recent):
    methods = ["bottom_up", "top_down", "mint_wls", "mint_shrink"]
    result = backtest_hierarchy(recent, ["naive", "drift"], LEVELS, time_col="month", target_col="employment",
                                horizon=12, n_windows=2, methods=methods, diagnose=False)
    assert result.forecasts["series"].nunique() == 32 and result.forecasts["cutoff"].nunique() == 2
    assert_coherent_at_every_level(result)
    # a repeated series is reconciled equal to its repeats
    rows = result.forecasts[result.forecasts["model"] == "drift/mint_shrink"]
    government = rows[rows["series"].str.startswith("sector=government")].pivot_table(
        index=["cutoff", "step"], columns="series", values="forecast")
    assert government.shape[1] == 4
    np.testing.assert_allclose(government.to_numpy(), government.iloc[:, [0]].to_numpy().repeat(4, axis=1), rtol=1e-9)
    table = level_accuracy(result)
    assert list(table.index) == list(result.metadata["hierarchy"]["levels"]) and table.notna().all().all()
    # bottom-up leaves the bottom level as it was, and the total becomes the leaves' sum
    assert table.iloc[-1]["drift/bottom_up"] == pytest.approx(table.iloc[-1]["drift"], rel=1e-12)
    section = hierarchy_section(result)
    assert [(level["label"], level["series"]) for level in section["levels"]] == [
        ("total", 1), ("sector", 2), ("domain", 3), ("supersector", 11), ("industry", 15)]
    # snaive first, then each base model followed by its reconciliations
    assert [row["model"] for row in section["rows"]] == [
        "snaive", "naive", *(f"naive/{m}" for m in methods), "drift", *(f"drift/{m}" for m in methods)]
    for row in section["rows"]:
        for level, cell in zip(table.index, row["cells"], strict=True):
            assert cell["best"] == (table.at[level, row["model"]] <= table.loc[level].min() * (1 + 1e-12))
            if row["base"]:
                assert cell["change"] == pytest.approx(table.at[level, row["model"]] / table.at[level, row["base"]] - 1)
            else:
                assert cell["change"] is None
    # the top-down methods give no intervals: their calibration is unknown, never 0
    calibration = result.calibration()
    assert calibration.loc[["naive/top_down", "drift/top_down"]].isna().all().all()
    assert calibration.drop(index=["naive/top_down", "drift/top_down"]).notna().all().all()
    html = render_report(result)
    assert "Accuracy per level of the hierarchy" in html and "15 series" in html and ">industry<" in html
    # the top-down quantiles of both models make one sentence, not four
    assert html.count("point forecasts only") == 1 and "top_down quantiles of naive, drift" in html
    # bottom-up leaves the bottom level as it was: it ties with its base there, and both are marked when lowest
    bottom = section["rows"]
    marked = [row["model"] for row in bottom if row["cells"][-1]["best"]]
    assert marked and all(table.iloc[-1][m] == pytest.approx(table.iloc[-1].min(), rel=1e-12) for m in marked)


def test_change_text_keeps_small_changes_visible():
    assert [change_text(c) for c in (None, 0.0001, -0.004, 0.052, -0.472, 0.38, 11.39)] == [
        "", "±0%", "-0.4%", "+5.2%", "-47%", "+38%", "×12.4"]


def test_cli_on_the_employment_csv(tmp_path, recent):
    data = tmp_path / "employment.csv"
    recent.assign(month=recent["month"].dt.strftime("%Y-%m-%d")).to_csv(data, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, [
        "backtest", "--data", str(data), "--target", "employment", "--hierarchy", ",".join(LEVELS),
        "--reconcile", "bottom_up,mint_shrink", "--models", "drift", "--horizon", "12", "--folds", "2",
        "--quiet", "--output", str(out)])
    assert result.exit_code == 0, result.output
    run = next(out.iterdir())
    forecasts = pd.read_csv(run / "forecasts.csv")
    assert forecasts["series"].nunique() == 32
    assert set(forecasts["model"]) == {"snaive", "drift", "drift/bottom_up", "drift/mint_shrink"}
    html = (run / "report.html").read_text()
    assert "Accuracy per level of the hierarchy" in html and ">supersector<" in html
