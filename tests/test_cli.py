"""The command line: help everywhere, exit codes, no partial output, config = flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tsforecast.cli import EXIT_MODEL_FAILED, EXIT_USAGE, app

from .conftest import weekly_series

runner = CliRunner()
FAST = ["--models", "naive,drift", "--horizon", "7", "--windows", "2", "--quiet"]


@pytest.mark.parametrize("command", [[], ["backtest"], ["forecast"], ["models"], ["datasets"]])
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_backtest_on_the_embedded_default_writes_report(tmp_path):
    result = runner.invoke(app, ["backtest", *FAST, "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = list(tmp_path.glob("backtest_ridership_*.html"))
    assert len(html) == 1 and "<svg" in html[0].read_text()
    assert list(tmp_path.glob("*_leaderboard.csv")) and list(tmp_path.glob("*.json"))


def test_bad_csv_gets_one_line_usage_exit_and_no_output(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,value\n2020-01-01,1\n2020-01-02,abc\n2020-01-03,3\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(bad), "--output", str(out)])
    assert result.exit_code == EXIT_USAGE
    assert "non-numeric" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_unknown_model_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["backtest", "--models", "lstmm", "--output", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE and "Did you mean 'lstm'" in result.output
    assert not list(tmp_path.iterdir())


def test_user_csv_and_target(tmp_path):
    y = weekly_series(120)
    path = tmp_path / "mine.csv"
    pd.DataFrame({"day": y.index, "sales": y.to_numpy(), "other": 1.0}).to_csv(path, index=False)
    missing = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--output", str(tmp_path)])
    assert missing.exit_code == EXIT_USAGE and "--target" in missing.output
    ok = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--target", "sales",
                             "--output", str(tmp_path), "--name", "mine"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "mine.html").is_file()


def test_exog_columns_reach_the_models_and_the_report(tmp_path):
    args = ["backtest", "--models", "arma", "--horizon", "7", "--windows", "2", "--quiet",
            "--output", str(tmp_path)]
    plain = runner.invoke(app, [*args, "--name", "plain"])
    with_exog = runner.invoke(app, [*args, "--exog", "day_type", "--name", "exog"])
    assert plain.exit_code == 0 and with_exog.exit_code == 0, with_exog.output
    meta = json.loads((tmp_path / "exog.json").read_text())
    assert meta["parameters"]["exogenous"] == ["day_type"]
    assert meta["metadata"]["data_hash"] != json.loads((tmp_path / "plain.json").read_text())["metadata"]["data_hash"]
    leaderboards = [pd.read_csv(tmp_path / f"{stem}_leaderboard.csv", index_col=0) for stem in ("plain", "exog")]
    assert leaderboards[0].loc["arma", "mae"] != leaderboards[1].loc["arma", "mae"]
    y = weekly_series(120)
    frame = pd.DataFrame({"date": y.index, "sales": y.to_numpy(),
                          "promo": (y.index.day_of_week == 4).astype(float)})
    path = tmp_path / "dupes.csv"
    pd.concat([frame, frame.iloc[:5]]).to_csv(path, index=False)  # exact duplicate rows
    from_file = runner.invoke(app, [*args, "--data", str(path), "--target", "sales", "--exog", "promo",
                                    "--name", "file"])
    assert from_file.exit_code == 0, from_file.output
    missing = runner.invoke(app, [*args, "--exog", "holiday"])
    assert missing.exit_code == EXIT_USAGE and "--exog 'holiday' is not a column" in missing.output


def test_config_file_reproduces_the_command_line(tmp_path):
    flags = runner.invoke(app, ["backtest", *FAST, "--seed", "3", "--output", str(tmp_path),
                                "--name", "flags"])
    config = tmp_path / "run.toml"
    config.write_text(
        'models = ["naive", "drift"]\nhorizon = 7\nwindows = 2\nseed = 3\nquiet = true\n'
        f'output = "{tmp_path.as_posix()}"\nname = "config"\n'
    )
    from_config = runner.invoke(app, ["backtest", "--config", str(config)])
    assert flags.exit_code == 0 and from_config.exit_code == 0, from_config.output
    assert (tmp_path / "flags_forecasts.csv").read_bytes() == (tmp_path / "config_forecasts.csv").read_bytes()


def test_bad_config_is_a_usage_error(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("horizn = 7\n")
    result = runner.invoke(app, ["backtest", "--config", str(config)])
    assert result.exit_code == EXIT_USAGE and "horizn" in result.output


def test_bad_model_parameter_in_config_is_a_usage_error(tmp_path):
    config = tmp_path / "typo.toml"
    config.write_text('models = ["naive", "lstm"]\nquiet = true\n'
                      f'output = "{(tmp_path / "out").as_posix()}"\n[model_params.lstm]\nhidden = "64"\n')
    result = runner.invoke(app, ["backtest", "--config", str(config)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "lstm: hidden must be an integer >= 1, got '64'" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_model_failure_exit_code(tmp_path):
    config = tmp_path / "fail.toml"
    config.write_text('models = ["sarima"]\nhorizon = 7\nwindows = 2\nquiet = true\n'
                      f'output = "{tmp_path.as_posix()}"\n[model_params.sarima]\norder = [1, 0, 0]\n'
                      'seasonal_order = [0, 1, 1, 7]\ntrend = "x"\n')
    result = runner.invoke(app, ["backtest", "--config", str(config)])
    assert result.exit_code == EXIT_MODEL_FAILED, result.output
    assert list(tmp_path.glob("*_failures.csv"))


def test_forecast_command(tmp_path):
    result = runner.invoke(app, ["forecast", "--model", "snaive", "--horizon", "5",
                                 "--output", str(tmp_path), "--name", "f"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "f.csv")
    assert list(frame.columns) == ["timestamp", "forecast", "lower", "upper"] and len(frame) == 5
    assert (tmp_path / "f.svg").read_text().startswith("<svg")


def test_data_repair_warning_is_one_readable_line(tmp_path):
    y = weekly_series(60)
    frame = pd.DataFrame({"date": y.index, "value": y.to_numpy()})
    path = tmp_path / "dupes.csv"
    pd.concat([frame, frame.iloc[:3]]).to_csv(path, index=False)  # three exact duplicate rows
    result = runner.invoke(app, ["forecast", "--model", "naive", "--horizon", "3", "--data", str(path),
                                 "--output", str(tmp_path), "--name", "d"])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "duplicate" in result.output
    assert ".py:" not in result.output  # no source location from inside the library


def test_models_and_datasets_list():
    assert "sarima" in runner.invoke(app, ["models"]).output
    assert "ridership" in runner.invoke(app, ["datasets"]).output


def test_checkout_shim_runs():
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "cli.py"), "--help"], capture_output=True,
                          text=True, cwd=root, check=False)
    assert done.returncode == 0 and "backtest" in done.stdout
