"""`tsforecast fit` weekly, `tsforecast forecast --from` daily: the saved model rolled forward
onto newer data forecasts what fitting and updating in Python does."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import tsforecast
from tsforecast.cli import EXIT_USAGE, app

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
