"""A hierarchy backtested and reconciled: in Python (``backtest_hierarchy``), on the real CTA
rail + bus = total, and from the command line (``--hierarchy``), with its bad-input rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tsforecast.app.cli import EXIT_USAGE, app
from tsforecast.backtest import backtest, backtest_hierarchy, level_accuracy
from tsforecast.core.errors import DataError
from tsforecast.hierarchy import METHODS, aggregate, aggregate_wide
from tsforecast.report import render_report

from .test_hierarchy import long_panel

CTA = Path(__file__).resolve().parents[2] / "shared" / "data" / "CTA_-_Ridership_-_Daily_Boarding_Totals.csv"
FAST = ["--models", "naive", "--horizon", "7", "--folds", "2", "--quiet"]
runner = CliRunner()


def seasonal_panel(days: int = 120) -> pd.DataFrame:
    """The test layout with a weekly pattern, so the models have something to forecast."""
    frame = long_panel(days=days)
    weekday = pd.to_datetime(frame["ds"]).dt.day_of_week.to_numpy()
    return frame.assign(y=frame["y"] * (1 + 0.3 * (weekday >= 5)))


def assert_coherent(result, tolerance: float = 1e-9) -> None:
    """Every reconciled model's forecasts (and quantiles) add up at every level, cutoff and step."""
    levels = result.metadata["hierarchy"]["levels"]
    rows = result.forecasts
    for label, spec in result.model_parameters.items():
        if "reconciliation" not in spec:
            continue
        for column in ("forecast", "q0.5"):
            table = rows[rows["model"] == label].pivot_table(index=["cutoff", "step"], columns="series", values=column)
            bottom = table[levels[list(levels)[-1]]].sum(axis=1)  # the last level is the bottom
            gap = (table["total"] - bottom).abs().max()
            assert gap <= tolerance * max(1.0, table["total"].abs().max()), (label, column, gap)


def test_backtest_hierarchy_adds_reconciled_models_that_add_up():
    frame = seasonal_panel()
    result = backtest_hierarchy(frame, ["naive"], ["region", "store"], horizon=7, n_windows=2)
    h = aggregate(frame, ["region", "store"])
    assert result.models == ["snaive", "naive", *(f"naive/{m}" for m in METHODS)]
    assert set(result.forecasts["series"]) == set(h.ids)
    assert result.metadata["hierarchy"]["not_reconciled"] == []
    assert result.forecasts["cutoff"].nunique() == 2
    assert_coherent(result)
    # the base forecasts are those of a plain backtest of the same series on the same folds
    plain = backtest(h.values, ["naive"], horizon=7, n_windows=2, diagnose=False).forecasts
    mine = result.forecasts[result.forecasts["model"] == "naive"].set_index(["series", "cutoff", "step"])
    theirs = plain[plain["model"] == "naive"].set_index(["series", "cutoff", "step"])
    np.testing.assert_allclose(mine["forecast"], theirs.loc[mine.index, "forecast"], rtol=1e-12)
    # each region=West forecast equals its only store's after reconciliation
    west = result.forecasts[result.forecasts["series"].isin(["region=West", "region=West/store=31"])]
    by = west[west["model"] == "naive/mint_shrink"].pivot_table(index=["cutoff", "step"], columns="series",
                                                                values="forecast")
    np.testing.assert_allclose(by["region=West"], by["region=West/store=31"], rtol=1e-9)
    table = level_accuracy(result)
    assert list(table.index) == ["total", "region", "region/store"] and list(table.columns) == result.models
    assert table.notna().all().all()
    html = render_report(result)
    assert "Accuracy per level of the hierarchy" in html and "naive/mint_shrink" in html
    assert "Accuracy per level" not in render_report(backtest(h.values["total"], ["naive"], horizon=7, n_windows=2))


def test_reconciled_intervals_are_the_quantiles_of_a_coherent_normal():
    calls: list[tuple] = []
    result = backtest_hierarchy(seasonal_panel(), ["naive"], ["region", "store"], horizon=7, n_windows=2,
                                methods=["mint_wls"], progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1] and len({total for _, total in calls}) == 1  # counted over both folds
    rows = result.forecasts[result.forecasts["model"] == "naive/mint_wls"]
    assert (rows["lower"] <= rows["forecast"]).all() and (rows["forecast"] <= rows["upper"]).all()
    np.testing.assert_allclose(rows["q0.5"], rows["forecast"], rtol=1e-12)
    np.testing.assert_allclose(rows["forecast"] - rows["lower"], rows["upper"] - rows["forecast"], rtol=1e-9)


@pytest.mark.skipif(not CTA.is_file(), reason="the CTA ridership file is not present")
def test_cta_rail_plus_bus_is_total_reconciled():
    import tsforecast

    cta = tsforecast.load_cta_ridership(CTA).loc["2018-07-01":"2019-12-31", ["rail", "bus"]]
    result = backtest_hierarchy(cta, ["naive"], horizon=14, n_windows=3)
    assert result.metadata["hierarchy"]["levels"] == {"total": ["total"], "bottom": ["bus", "rail"]}
    assert_coherent(result)
    table = level_accuracy(result)
    assert list(table.index) == ["total", "bottom"] and (table > 0).all().all()


def write_panel(path: Path, frame: pd.DataFrame) -> Path:
    frame.assign(ds=pd.to_datetime(frame["ds"]).dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def assert_one_line_usage_error(result, *fragments: str) -> None:
    assert result.exit_code == EXIT_USAGE, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in " ".join(result.output.split()), result.output


def test_cli_hierarchy_backtests_and_reconciles(tmp_path):
    data = write_panel(tmp_path / "sales.csv", seasonal_panel())
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(data), "--hierarchy", "region,store",
                                 "--reconcile", "bottom_up,mint_shrink", "--output", str(out)])
    assert result.exit_code == 0, result.output
    run = next(out.iterdir())
    forecasts = pd.read_csv(run / "forecasts.csv")
    assert set(forecasts["model"]) == {"snaive", "naive", "naive/bottom_up", "naive/mint_shrink"}
    assert "region=West/store=31" in set(forecasts["series"])
    assert "Accuracy per level of the hierarchy" in (run / "report.html").read_text()


def test_cli_hierarchy_bad_input_is_one_error_line(tmp_path):
    frame = seasonal_panel()
    out = tmp_path / "out"
    split = frame.copy()
    split.loc[split.index[(split["store"] == "13")][:5], "region"] = "South"
    data = write_panel(tmp_path / "split.csv", split)
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(data), "--hierarchy", "region,store",
                                 "--output", str(out)])
    assert_one_line_usage_error(result, "does not nest", "store '13' is in 2 regions ('North', 'South')")
    gap = (frame["store"] == "22") & (pd.to_datetime(frame["ds"]) < "2024-01-08")
    data = write_panel(tmp_path / "gap.csv", frame[~gap])
    args = ["backtest", *FAST, "--data", str(data), "--hierarchy", "region,store", "--output", str(out)]
    assert_one_line_usage_error(runner.invoke(app, args), "region=South/store=22 (7 date(s), first 2024-01-01)")
    filled = runner.invoke(app, [*args, "--hierarchy-missing", "zero", "--reconcile", "bottom_up"])
    assert filled.exit_code == 0, filled.output
    assert_one_line_usage_error(runner.invoke(app, [*args, "--reconcile", "middle_out"]),
                                "unknown reconciliation method(s) 'middle_out'")
    assert_one_line_usage_error(runner.invoke(app, [*args, "--refit", "false"]), "drop --refit")
    assert_one_line_usage_error(runner.invoke(app, [*args, "--hierarchy-missing", "drop"]),
                                "--hierarchy-missing must be one of error, zero")
    assert_one_line_usage_error(runner.invoke(app, [*args, "--exog", "region"]), "--exog does not combine")
    assert len([p for p in out.iterdir() if p.is_dir()]) == 1  # only the run that worked left a folder


def test_wide_total_needs_two_columns():
    dates = pd.date_range("2020-01-01", periods=30, freq="D")
    with pytest.raises(DataError, match="at least two numeric columns"):
        aggregate_wide(pd.DataFrame({"rail": np.arange(30.0)}, index=dates))
