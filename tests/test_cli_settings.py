"""One declaration per option: the Typer options, the TOML keys, the checks and the defaults
shared with the Python API all come from it; ``--folds`` (formerly ``--windows``)."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from tsforecast.app.cli import app
from tsforecast.app.flags import options_of
from tsforecast.app.settings import DEFAULTS, OPTIONS, read_config
from tsforecast.backtest import backtest
from tsforecast.core.params import check_coverage, check_jobs

from .test_cli import assert_one_line_usage_error, only_run

runner = CliRunner()
COMMANDS = ("backtest", "fit", "forecast", "monitor")
RUN = ["--models", "naive", "--horizon", "7", "--quiet"]


def _words(text: str) -> str:
    return " ".join(text.split())


def _cutoffs(folder) -> int:
    """How many folds the one run in ``folder`` backtested."""
    return pd.read_csv(only_run(folder) / "forecasts.csv")["cutoff"].nunique()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_every_declared_option_with_its_help(command):
    shown = _words(runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output)
    for option in options_of(command):
        assert f"{option.flag_for(command)} " in shown, option.name
        assert _words(option.help_for(command)) in shown, option.name
    assert "--windows <int>" not in shown  # the former spelling works but is no longer listed


@pytest.mark.parametrize("command", COMMANDS)
def test_the_typer_command_takes_exactly_the_declared_options(command):
    click_command = typer.main.get_command(app).commands[command]
    flags = {flag for param in click_command.params for flag in param.opts}
    declared = {option.flag_for(command) for option in options_of(command)}
    former = {f"--{option.formerly}" for option in options_of(command) if option.formerly}
    assert flags - {"--help", "-q"} == declared | former


def test_a_config_file_may_hold_exactly_the_declared_keys():
    assert set(OPTIONS) == {option.name for command in COMMANDS for option in options_of(command)} - {"config"}
    assert "folds" in OPTIONS and "windows" not in OPTIONS


@pytest.mark.parametrize(("api", "setting"), [
    ("horizon", "horizon"), ("n_windows", "folds"), ("coverage", "coverage"), ("seed", "seed"),
    ("n_jobs", "jobs"), ("engine", "engine"), ("refit", "refit"),
])
def test_the_python_api_and_the_command_line_share_each_default(api, setting):
    assert inspect.signature(backtest).parameters[api].default == DEFAULTS[setting]


def test_folds_and_the_former_windows_run_the_same_backtest_with_a_deprecation_note(tmp_path):
    folds = runner.invoke(app, ["backtest", *RUN, "--folds", "3", "--output", str(tmp_path / "folds")])
    assert folds.exit_code == 0 and folds.output == "", folds.output
    windows = runner.invoke(app, ["backtest", *RUN, "--windows", "3", "--output", str(tmp_path / "windows")])
    assert windows.exit_code == 0, windows.output
    assert _words(windows.output) == "warning: --windows is deprecated; use --folds (same meaning)."
    config = tmp_path / "old.toml"
    config.write_text('models = "naive"\nhorizon = 7\nwindows = 3\nquiet = true\n')
    toml = runner.invoke(app, ["backtest", "--config", str(config), "--output", str(tmp_path / "toml")])
    assert toml.exit_code == 0, toml.output
    assert "windows is deprecated; use folds" in _words(toml.output)
    tables = [(only_run(tmp_path / run) / "forecasts.csv").read_text() for run in ("folds", "windows", "toml")]
    assert tables[0] == tables[1] == tables[2]
    assert _cutoffs(tmp_path / "folds") == 3


def test_a_config_with_the_former_key_is_read_under_the_new_one(tmp_path):
    config = tmp_path / "old.toml"
    config.write_text("windows = 4\n")
    with pytest.warns(FutureWarning, match="use folds"):
        assert read_config(config) == {"folds": 4}


def test_both_spellings_at_once_are_one_line_usage_error(tmp_path):
    out = tmp_path / "out"
    both = runner.invoke(app, ["backtest", *RUN, "--folds", "3", "--windows", "2", "--output", str(out)])
    assert_one_line_usage_error(both, "--folds and --windows are the same option", "give only --folds")
    config = tmp_path / "both.toml"
    config.write_text("folds = 3\nwindows = 2\n")
    in_file = runner.invoke(app, ["backtest", "--config", str(config), "--output", str(out)])
    assert_one_line_usage_error(in_file, "folds and windows are the same option", "give only folds")
    assert not out.exists()


def test_the_command_line_wins_over_a_former_key_in_the_config(tmp_path):
    config = tmp_path / "old.toml"
    config.write_text('models = "naive"\nhorizon = 7\nwindows = 5\nquiet = true\n')
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", "--config", str(config), "--folds", "2", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert _cutoffs(out) == 2


@pytest.mark.parametrize(("command", "text", "library_check"), [
    ("forecast", "coverage = 1.5", lambda: check_coverage(1.5)),
    ("backtest", "jobs = 0", lambda: check_jobs(None, "jobs", 0)),
])
def test_config_values_fail_with_the_library_s_own_message(tmp_path, command, text, library_check):
    with pytest.raises(Exception) as library:  # noqa: PT011 - the message is what is compared
        library_check()
    config = tmp_path / "run.toml"
    config.write_text(f'output = "{(tmp_path / "out").as_posix()}"\n{text}\n')
    result = runner.invoke(app, [command, "--config", str(config)])
    assert_one_line_usage_error(result, str(library.value))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "fragment"), [
    (["--folds", "0"], "folds must be an integer >= 1, got 0"),
    (["--folds", "two"], "Invalid value for '--folds'"),
    (["--engine", "spark"], "engine must be one of 'local', 'dask', got 'spark'"),
])
def test_folds_and_engine_mistakes_on_the_command_line(tmp_path, args, fragment):
    result = runner.invoke(app, ["backtest", "--quiet", "--output", str(tmp_path / "out"), *args])
    assert_one_line_usage_error(result, fragment)
    assert not (tmp_path / "out").exists()


def test_forecast_from_a_saved_model_reads_its_config_once(tmp_path):
    """A shared config with a former key warns once per run, also when forecast --from
    asks whether the config names a dataset (it used to read the file a second time)."""
    model = tmp_path / "naive.tsf"
    fitted = runner.invoke(app, ["fit", "--model", "naive", "--save", str(model), "--quiet"])
    assert fitted.exit_code == 0, fitted.output
    config = tmp_path / "shared.toml"
    config.write_text(f'windows = 3\nmodel_file = "{model}"\ndataset = "ridership"\nhorizon = 7\nquiet = true\n')
    run = runner.invoke(app, ["forecast", "--config", str(config), "--output", str(tmp_path / "out")])
    assert run.exit_code == 0, run.output
    assert _words(run.output).count("windows is deprecated") == 1
