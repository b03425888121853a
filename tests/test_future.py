"""Known-future inputs at the command line: fit with --exog and --holidays, forecast with the
horizon's regressors from --future or from the data's rows after its last observation, a
saved model rebuilding its holiday columns, and each refusal as one `error:` line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tsforecast import get_model
from tsforecast.app.cli import EXIT_USAGE, app
from tsforecast.data.calendar import holiday_features, parse_holidays

runner = CliRunner()
LAST = pd.Timestamp("2023-12-20")  # the last observation: the horizon holds Christmas and New Year
HORIZON = 14
MODEL = ["--model", "sarima"]


def planted_frame() -> pd.DataFrame:
    """A year of a daily count with a weekly pattern, a day type known in advance, and US
    holidays at 40% of a normal day; rows after ``LAST`` have the day type and no count."""
    index = pd.date_range("2022-12-01", LAST + pd.Timedelta(days=HORIZON + 5), freq="D")
    rng = np.random.default_rng(0)
    weekday = index.day_of_week.to_numpy()
    holiday = holiday_features(index, parse_holidays("US"), around=False)["holiday:US"].to_numpy()
    level = np.where(weekday < 5, 1000.0, np.where(weekday == 5, 700.0, 500.0))
    count = level * np.where(holiday > 0, 0.4, 1.0) + rng.normal(0, 20, len(index))
    day_type = np.where(holiday > 0, "U", np.where(weekday < 5, "W", np.where(weekday == 5, "A", "U")))
    frame = pd.DataFrame({"day_type": day_type, "count": count}, index=pd.Index(index, name="date"))
    frame.loc[frame.index > LAST, "count"] = np.nan
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The data with its future rows (``both``), the history alone, a future file, and the
    model fitted on them (``--exog day_type --holidays US``)."""
    folder = tmp_path_factory.mktemp("future")
    frame = planted_frame()
    paths = {"both": folder / "both.csv", "history": folder / "history.csv", "future": folder / "future.csv",
             "model": folder / "model.tsf"}
    frame.to_csv(paths["both"])
    frame[frame.index <= LAST].to_csv(paths["history"])
    frame.loc[frame.index > LAST, ["day_type"]].to_csv(paths["future"])
    result = runner.invoke(app, ["fit", *MODEL, "--data", str(paths["history"]), "--target", "count", "--exog",
                                 "day_type", "--holidays", "US", "--save", str(paths["model"]), "--quiet"])
    assert result.exit_code == 0, result.output
    return paths


def forecast(tmp_path: Path, *args: str) -> tuple[object, pd.DataFrame | None]:
    result = runner.invoke(app, ["forecast", "--horizon", str(HORIZON), "--output", str(tmp_path), "--name", "run",
                                 "--quiet", *args])
    table = (pd.read_csv(tmp_path / "run" / "forecast.csv", index_col=0, parse_dates=True)
             if result.exit_code == 0 else None)
    return result, table


def assert_refused(result, *fragments: str) -> None:
    assert result.exit_code == EXIT_USAGE, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    text = " ".join(result.output.split())
    for fragment in fragments:
        assert fragment in text, result.output


def test_round_trip_fit_then_forecast_from_with_future_matches_the_library(files, tmp_path):
    result, table = forecast(tmp_path, "--from", str(files["model"]), "--future", str(files["future"]))
    assert result.exit_code == 0, result.output
    frame = planted_frame()
    history, ahead = frame[frame.index <= LAST], frame[frame.index > LAST].iloc[:HORIZON]
    calendar = parse_holidays("US")
    X = pd.concat([history[["day_type"]], holiday_features(history.index, calendar)], axis=1)
    X_future = pd.concat([ahead[["day_type"]], holiday_features(ahead.index, calendar)], axis=1)
    expected = get_model("sarima").fit(history["count"], X).predict(HORIZON, X=X_future)
    assert list(table.index) == list(expected.index)
    np.testing.assert_allclose(table["forecast"].to_numpy(), expected.to_numpy(), rtol=1e-6)
    # the holidays are read: Christmas and New Year forecast well below the weekdays around them
    weekdays = table["forecast"].drop([pd.Timestamp("2023-12-25"), pd.Timestamp("2024-01-01")])
    assert table.loc["2023-12-25", "forecast"] < 0.7 * weekdays[weekdays.index.day_of_week < 5].median()
    saved = json.loads((tmp_path / "run" / "run.json").read_text())
    assert saved["regressors"] == ["day_type", "holiday:US"]


def test_rows_after_the_last_observation_in_the_data_serve_as_the_future(files, tmp_path):
    fresh, table = forecast(tmp_path, *MODEL, "--data", str(files["both"]), "--target", "count", "--exog",
                            "day_type", "--holidays", "US")
    assert fresh.exit_code == 0, fresh.output
    other = tmp_path / "saved"
    rolled, from_saved = forecast(other, "--from", str(files["model"]), "--future", str(files["future"]))
    assert rolled.exit_code == 0, rolled.output
    np.testing.assert_allclose(table["forecast"].to_numpy(), from_saved["forecast"].to_numpy(), rtol=1e-6)
    # fitting and forecasting in one run takes --future as well, from a config file (relative path)
    config = files["history"].parent / "forecast.toml"
    config.write_text(f'model = "sarima"\ndata = "{files["history"].name}"\ntarget = "count"\nexog = "day_type"\n'
                      f'holidays = "US"\nfuture = "{files["future"].name}"\n')
    fresh_file, from_file = forecast(tmp_path / "file", "--config", str(config))
    assert fresh_file.exit_code == 0, fresh_file.output
    np.testing.assert_allclose(from_file["forecast"].to_numpy(), table["forecast"].to_numpy(), rtol=1e-6)


def test_a_saved_model_rolls_forward_onto_new_rows_with_their_regressors(files, tmp_path):
    frame = planted_frame()
    newer = frame.copy()
    days = frame.index[(frame.index > LAST) & (frame.index <= LAST + pd.Timedelta(days=3))]
    newer.loc[days, "count"] = 990.0  # three more observed days, then the future rows
    path = tmp_path / "newer.csv"
    newer.to_csv(path)
    result, table = forecast(tmp_path / "out", "--from", str(files["model"]), "--data", str(path))
    assert result.exit_code == 0, result.output
    assert table.index[0] == LAST + pd.Timedelta(days=4)
    assert json.loads((tmp_path / "out" / "run" / "run.json").read_text())["appended"] == 3


def test_a_holidays_only_model_needs_no_future_file(files, tmp_path):
    model = tmp_path / "holidays.tsf"
    fitted = runner.invoke(app, ["fit", *MODEL, "--data", str(files["history"]), "--target", "count", "--holidays",
                                 "US-IL", "--holiday-days-around", "--save", str(model), "--quiet"])
    assert fitted.exit_code == 0, fitted.output
    result, table = forecast(tmp_path / "out", "--from", str(model))
    assert result.exit_code == 0, result.output
    # the saved model's calendar and its days around are rebuilt, with no option given
    assert json.loads((tmp_path / "out" / "run" / "run.json").read_text())["regressors"] == [
        "holiday:US-IL", "holiday:US-IL:before", "holiday:US-IL:after"]
    assert table.loc["2023-12-25", "forecast"] < table.loc["2023-12-27", "forecast"] * 0.7
    extra = forecast(tmp_path / "again", "--from", str(model), "--future", str(files["future"]))[0]
    assert_refused(extra, "takes no regressors of its own", "leave out --future")


def future_file(tmp_path: Path, edit) -> Path:
    frame = planted_frame()
    future = frame.loc[frame.index > LAST, ["day_type"]]
    path = tmp_path / "edited.csv"
    edit(future).to_csv(path)
    return path


@pytest.mark.parametrize(("edit", "fragments"), [
    (lambda f: f.iloc[:HORIZON - 3], ["horizon is not covered", "2024-01-01", "2024-01-02", "2024-01-03"]),
    (lambda f: f.rename(columns={"day_type": "daytype"}), ["lacks the model's column(s) day_type",
                                                            "daytype the model was not fitted with"]),
    (lambda f: f.assign(promo=1), ["promo the model was not fitted with"]),
    (lambda f: f.assign(day_type=f["day_type"].mask(f.index == pd.Timestamp("2023-12-24"))),
     ["missing regressor values", "day_type at 2023-12-24"]),
    (lambda f: f.set_axis(f.index + pd.Timedelta(hours=12)), ["off the series' D grid", "2023-12-21T12:00:00"]),
])
def test_future_files_that_do_not_fit_the_model_are_refused_with_what_differs(files, tmp_path, edit, fragments):
    result, _ = forecast(tmp_path / "out", "--from", str(files["model"]), "--future", str(future_file(tmp_path, edit)))
    assert_refused(result, *fragments)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_same_refusals_hold_for_the_rows_in_the_data_file(files, tmp_path):
    frame = planted_frame()
    frame.loc[pd.Timestamp("2023-12-22"), "day_type"] = np.nan
    path = tmp_path / "gap.csv"
    frame.to_csv(path)
    result, _ = forecast(tmp_path / "out", *MODEL, "--data", str(path), "--target", "count", "--exog", "day_type")
    assert_refused(result, "missing regressor values", "day_type at 2023-12-22")
    short = tmp_path / "short.csv"
    planted_frame().iloc[:-7].to_csv(short)  # 12 of the 19 future rows: 2024-01-02 and 01-03 missing
    result, _ = forecast(tmp_path / "out", *MODEL, "--data", str(short), "--target", "count", "--exog", "day_type")
    assert_refused(result, "horizon is not covered", "2024-01-02")


def test_a_model_with_regressors_and_no_future_rows_says_where_to_give_them(files, tmp_path):
    result, _ = forecast(tmp_path / "out", "--from", str(files["model"]))
    assert_refused(result, "regressor(s) day_type", "--future FILE", "14 forecast timestamp(s) from 2023-12-21")


def test_options_that_contradict_the_saved_model_are_refused(files, tmp_path):
    other = forecast(tmp_path, "--from", str(files["model"]), "--future", str(files["future"]), "--holidays", "US-IL")
    assert_refused(other[0], "--holidays US-IL", "fitted with the US calendar")
    around = forecast(tmp_path, "--from", str(files["model"]), "--future", str(files["future"]), "--holidays", "US",
                      "--holiday-days-around")
    assert_refused(around[0], "fitted without the days around holidays")
    alone = runner.invoke(app, ["fit", *MODEL, "--holiday-days-around", "--save", str(tmp_path / "m.tsf")])
    assert_refused(alone, "give --holidays too")
    exog = forecast(tmp_path, "--from", str(files["model"]), "--future", str(files["future"]), "--exog", "promo")
    assert_refused(exog[0], "--exog promo", "fitted with day_type")
    both = forecast(tmp_path, "--from", str(files["model"]), "--data", str(files["both"]), "--future",
                    str(files["future"]))
    assert_refused(both[0], "give the known-future rows in one place")


def test_regressors_for_a_model_that_takes_none_are_refused(files, tmp_path):
    result = runner.invoke(app, ["fit", "--model", "ridge", "--data", str(files["history"]), "--target", "count",
                                 "--holidays", "US", "--save", str(tmp_path / "r.tsf")])
    assert_refused(result, "--holidays: ridge takes no regressors")


def test_holidays_in_a_config_file_and_in_a_backtest(files, tmp_path):
    config = tmp_path / "run.toml"
    config.write_text(f'data = "{files["history"].as_posix()}"\ntarget = "count"\nholidays = "us"\n')
    result = runner.invoke(app, ["backtest", "--config", str(config), "--models", "ar,naive", "--horizon", "14",
                                 "--folds", "2", "--output", str(tmp_path / "out"), "--name", "bt", "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "bt" / "run.json").read_text())
    text = json.dumps(summary)
    assert "holiday:US" in text and "holidays US" in text
    config.write_text('holidays = "ZZ"\n')
    bad = runner.invoke(app, ["backtest", "--config", str(config), "--models", "naive", "--quiet"])
    assert_refused(bad, "unknown country code 'ZZ'", "tsforecast holidays")


def test_holidays_reach_every_series_of_a_long_table(tmp_path):
    result = runner.invoke(app, ["backtest", "--dataset", "stations", "--models", "ar", "--holidays", "US",
                                 "--horizon", "7", "--folds", "1", "--output", str(tmp_path), "--name", "panel",
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "panel" / "run.json").read_text())
    assert "holiday:US" in json.dumps(summary) and "series by station" in json.dumps(summary)
