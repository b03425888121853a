"""`tsforecast fit` weekly, `tsforecast forecast --from` daily: the saved model rolled forward
onto newer data forecasts what fitting and updating in Python does."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import tsforecast
from tsforecast.app.cli import EXIT_NO_NEW_DATA, EXIT_USAGE, app

from .conftest import weekly_series
from .test_cli import assert_one_line_usage_error

runner = CliRunner()
SMALL_LSTM = "[model_params.lstm]\nwindow = 14\noutput_steps = 7\nhidden = 8\nmax_epochs = 3\n"


@pytest.fixture()
def files(tmp_path) -> dict[str, Path]:
    """A week-old export and today's export of the same series (7 more days)."""
    y = weekly_series(200).rename("sales")
    y.index.name = "day"
    y.iloc[:-7].to_frame().to_csv(tmp_path / "last_week.csv")
    y.to_frame().to_csv(tmp_path / "today.csv")
    (tmp_path / "lstm.toml").write_text(SMALL_LSTM)
    return {"old": tmp_path / "last_week.csv", "new": tmp_path / "today.csv", "config": tmp_path / "lstm.toml"}


@pytest.mark.parametrize("model", ["ets", "lstm"])
def test_fit_then_forecast_from_equals_fit_and_update(tmp_path, files, model):
    saved = tmp_path / "models" / f"{model}.tsf"
    fitted = runner.invoke(app, ["fit", "--model", model, "--data", str(files["old"]), "--save", str(saved),
                                 "--config", str(files["config"]), "--quiet"])
    assert fitted.exit_code == 0, fitted.output
    result = runner.invoke(app, ["forecast", "--from", str(saved), "--data", str(files["new"]),
                                 "--horizon", "10", "--output", str(tmp_path / "out"), "--name", "today"])
    assert result.exit_code == 0, result.output
    run = tmp_path / "out" / "today"
    table = pd.read_csv(run / "forecast.csv", index_col="timestamp", parse_dates=True)

    y = pd.read_csv(files["new"], index_col="day", parse_dates=True)["sales"].asfreq("D")
    params = {"window": 14, "output_steps": 7, "hidden": 8, "max_epochs": 3} if model == "lstm" else {}
    expected = tsforecast.get_model(model, **params).fit(y.iloc[:-7]).update(y.iloc[-7:])
    forecast = expected.predict(10)
    assert list(table.index) == list(forecast.index)
    assert table["forecast"].tolist() == forecast.tolist()  # the CSV holds the exact floats
    info = json.loads((run / "run.json").read_text())
    assert info["appended"] == 7 and info["model"] == model and info["history_end"].startswith(str(y.index[-1].date()))
    assert info["training_data_sha256"] != info["data_sha256"]


def test_forecast_from_without_data_forecasts_the_saved_model(tmp_path, files):
    saved = tmp_path / "m.tsf"
    fit = ["fit", "--model", "snaive", "--data", str(files["old"]), "--save", str(saved)]
    assert runner.invoke(app, fit).exit_code == 0
    result = runner.invoke(app, ["forecast", "--from", str(saved), "--horizon", "3",
                                 "--output", str(tmp_path), "--name", "r"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "r" / "forecast.csv")
    assert table["timestamp"].iloc[0].startswith(str(pd.read_csv(files["new"])["day"].iloc[-7]))


def test_one_toml_drives_the_weekly_fit_and_the_daily_forecast(tmp_path, files):
    config = tmp_path / "schedule.toml"
    config.write_text(f'model = "theta"\nmodel_file = "{tmp_path / "theta.tsf"}"\ndata = "{files["new"]}"\n'
                      f'horizon = 7\noutput = "{tmp_path / "reports"}"\nname = "daily"\n')
    assert runner.invoke(app, ["fit", "--config", str(config)]).exit_code == 0
    result = runner.invoke(app, ["forecast", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "reports" / "daily" / "run.json").read_text())["model"] == "theta"


@pytest.mark.parametrize(("args", "fragments"), [
    (["fit", "--model", "naive"], ["--save is required"]),
    (["forecast", "--from", "absent.tsf"], ["absent.tsf: no such model file"]),
    (["forecast", "--from", "{old}"], ["is not a tsforecast model file"]),
    (["forecast", "--from", "{model}", "--model", "naive"], ["--model and --from exclude each other"]),
    (["forecast", "--from", "{model}", "--data", "{other}"], ["does not continue the model's series"]),
    (["forecast", "--from", "{model}", "--data", "{gap}"], ["the next observation is"]),
])
def test_schedule_mistakes_are_one_line_and_write_nothing(tmp_path, files, args, fragments):
    model = tmp_path / "m.tsf"
    fit = ["fit", "--model", "naive", "--data", str(files["old"]), "--save", str(model)]
    assert runner.invoke(app, fit).exit_code == 0
    y = pd.read_csv(files["new"], index_col="day")
    (y * 3).to_csv(tmp_path / "other.csv")
    y.iloc[-3:].to_csv(tmp_path / "gap.csv")
    paths = {"old": files["old"], "model": model, "other": tmp_path / "other.csv", "gap": tmp_path / "gap.csv"}
    args = [a.format(**paths) for a in args]
    output = ["--output", str(tmp_path / "out")] if args[0] == "forecast" else []
    result = runner.invoke(app, [*args, *output])
    assert_one_line_usage_error(result, *fragments)
    assert not (tmp_path / "out").exists()


def test_fit_refuses_a_directory_as_the_model_file(tmp_path):
    result = runner.invoke(app, ["fit", "--model", "naive", "--save", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE and "is a directory" in result.output


# ------------------------------------------------------------------ issue 24: --from in production
def _fit_naive(tmp_path, files, model: str = "naive") -> Path:
    saved = tmp_path / f"{model}.tsf"
    fitted = runner.invoke(app, ["fit", "--model", model, "--data", str(files["old"]), "--save", str(saved), "-q"])
    assert fitted.exit_code == 0, fitted.output
    return saved


def _forecast(tmp_path, saved: Path, data: Path, *extra: str):
    return runner.invoke(app, ["forecast", "--from", str(saved), "--data", str(data), "--horizon", "5",
                               "--output", str(tmp_path / "out"), "--name", "today", "-q", *extra])


def test_stale_data_warns_by_default_and_fails_with_require_new_data(tmp_path, files):
    saved = _fit_naive(tmp_path, files)
    last = str(pd.read_csv(files["old"])["day"].iloc[-1])[:10]
    result = _forecast(tmp_path, saved, files["old"])  # last week's export again
    assert result.exit_code == 0, result.output
    warning = " ".join(result.output.split())
    assert warning.startswith("warning: no new data") and warning.count(last) >= 2
    assert (tmp_path / "out" / "today" / "forecast.csv").is_file()

    config = tmp_path / "cron.toml"
    config.write_text("require_new_data = true\n")
    for extra in (["--require-new-data"], ["--config", str(config)]):
        (tmp_path / "out" / "today" / "forecast.csv").unlink(missing_ok=True)
        result = _forecast(tmp_path, saved, files["old"], *extra)
        assert result.exit_code == EXIT_NO_NEW_DATA == 5, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: no new data"), result.output
        assert not (tmp_path / "out" / "today" / "forecast.csv").exists()
    assert _forecast(tmp_path, saved, files["new"], "--require-new-data").exit_code == 0


def test_a_gap_after_the_models_last_day_is_refused_or_filled_with_fill_gap(tmp_path, files):
    saved = _fit_naive(tmp_path, files)
    y = pd.read_csv(files["new"], index_col="day")
    y.drop(y.index[-7:-4]).to_csv(tmp_path / "gap.csv")  # the 3 days after the model's last one are missing
    result = _forecast(tmp_path, saved, tmp_path / "gap.csv")
    assert_one_line_usage_error(result, f"ends at {y.index[-8][:10]}", f"first newer one is {y.index[-4][:10]}",
                                "--fill-gap")
    assert not (tmp_path / "out").exists()
    result = _forecast(tmp_path, saved, tmp_path / "gap.csv", "--fill-gap")
    assert result.exit_code == 0 and "filled 3 missing value(s)" in " ".join(result.output.split())
    info = json.loads((tmp_path / "out" / "today" / "run.json").read_text())
    assert info["appended"] == 7 and info["filled"] == 3


def test_another_series_at_10000_times_the_level_is_refused(tmp_path, files):
    saved = _fit_naive(tmp_path, files, "ets")
    y = pd.read_csv(files["new"], index_col="day")
    (y.iloc[-7:] * 10_000).to_csv(tmp_path / "other.csv")  # only the new days: nothing overlaps
    result = _forecast(tmp_path, saved, tmp_path / "other.csv")
    assert_one_line_usage_error(result, "do not look like the model's series", "times the history's recent level",
                                "--allow-level-shift")
    result = _forecast(tmp_path, saved, tmp_path / "other.csv", "--allow-level-shift")
    assert result.exit_code == 0, result.output
    (y.iloc[-7:] * 0.2).to_csv(tmp_path / "drop.csv")  # a drop to a fifth is a real shift
    assert _forecast(tmp_path, saved, tmp_path / "drop.csv").exit_code == 0


@pytest.mark.parametrize("offset", ["", "+00:00", "+01:00"], ids=["no-offset", "utc", "plus-one"])
def test_dates_with_a_utc_offset_and_files_of_only_the_new_days(tmp_path, files, offset):
    saved = _fit_naive(tmp_path, files, "ets")
    y = pd.read_csv(files["new"], index_col="day")
    assert _forecast(tmp_path, saved, files["new"]).exit_code == 0
    expected = pd.read_csv(tmp_path / "out" / "today" / "forecast.csv")
    for rows in (y, y.iloc[-7:], y.iloc[-7:-6]):  # the full export, a week's, a day's
        with_offset = rows.set_axis([f"{day}T00:00:00{offset}" for day in rows.index], axis=0).rename_axis("day")
        with_offset.to_csv(tmp_path / "export.csv")
        result = _forecast(tmp_path, saved, tmp_path / "export.csv")
        assert result.exit_code == 0, result.output
        table = pd.read_csv(tmp_path / "out" / "today" / "forecast.csv")
        if len(rows) > 1:  # the model's clock: naive dates, the same forecast
            pd.testing.assert_frame_equal(table, expected)
    # fit and backtest keep the offset (the forecasts carry it)
    y.set_axis([f"{day}T00:00:00{offset}" for day in y.index], axis=0).rename_axis("day").to_csv(tmp_path / "tz.csv")
    fitted = runner.invoke(app, ["fit", "--model", "naive", "--data", str(tmp_path / "tz.csv"),
                                 "--save", str(tmp_path / "tz.tsf"), "-q"])
    assert fitted.exit_code == 0, fitted.output
    result = _forecast(tmp_path, tmp_path / "tz.tsf", files["new"])  # naive dates: read in the model's offset
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "out" / "today" / "forecast.csv")["timestamp"].str.endswith(offset).all()
    backtest = runner.invoke(app, ["backtest", "--models", "naive", "--data", str(tmp_path / "tz.csv"),
                                   "--folds", "2", "--output", str(tmp_path / "bt"), "-q"])
    assert backtest.exit_code == 0, backtest.output


def test_rolling_options_need_from_and_exit_code_5_is_documented(tmp_path):
    result = runner.invoke(app, ["forecast", "--model", "naive", "--fill-gap", "--output", str(tmp_path)])
    assert_one_line_usage_error(result, "--fill-gap only applies to --from")
    # the same key in a config file is no less a mistake than on the command line
    config = tmp_path / "daily.toml"
    config.write_text("require_new_data = true\n")
    result = runner.invoke(app, ["forecast", "--model", "naive", "--config", str(config), "--output", str(tmp_path)])
    assert_one_line_usage_error(result, "--require-new-data only applies to --from")
    saved = tmp_path / "m.tsf"
    assert runner.invoke(app, ["fit", "--model", "naive", "--save", str(saved), "-q"]).exit_code == 0
    result = runner.invoke(app, ["forecast", "--from", str(saved), "--allow-level-shift", "--output", str(tmp_path)])
    assert_one_line_usage_error(result, "--allow-level-shift act on the new rows of --data")
    assert "5 no new data" in " ".join(runner.invoke(app, ["--help"]).output.split())
    options = " ".join(runner.invoke(app, ["forecast", "--help"]).output.split())
    assert all(option in options for option in ("--require-new-data", "--fill-gap", "--allow-level-shift"))
