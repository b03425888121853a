"""The command line: help everywhere, exit codes, one line per mistake, config = flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tsforecast.app.cli import EXIT_MODEL_FAILED, EXIT_USAGE, app

from .conftest import weekly_series

runner = CliRunner()
FAST = ["--models", "naive,drift", "--horizon", "7", "--folds", "2", "--quiet"]
ROOT = Path(__file__).resolve().parents[1]


def only_run(folder: Path) -> Path:
    """The one run directory a command published in ``folder`` (no staging left behind)."""
    entries = sorted(folder.iterdir())
    assert len(entries) == 1 and entries[0].is_dir(), entries
    return entries[0]


def assert_one_line_usage_error(result, *fragments: str) -> None:
    assert result.exit_code == EXIT_USAGE, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in " ".join(result.output.split()), result.output


@pytest.mark.parametrize("command", [[], ["backtest"], ["fit"], ["forecast"], ["monitor"], ["models"], ["datasets"]])
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_backtest_on_the_embedded_default_writes_one_complete_run(tmp_path):
    result = runner.invoke(app, ["backtest", *FAST, "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path)
    assert run.name.startswith("backtest_ridership_")
    assert {p.name for p in run.iterdir()} == {"report.html", "forecasts.csv", "leaderboard.csv", "run.json"}
    assert "<svg" in (run / "report.html").read_text()


def test_runs_started_together_never_share_a_name(tmp_path):
    for _ in range(3):
        assert runner.invoke(app, ["backtest", *FAST, "--output", str(tmp_path)]).exit_code == 0
    assert len({p.name for p in tmp_path.iterdir()}) == 3


def test_bad_csv_gets_one_line_usage_exit_and_no_output(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,value\n2020-01-01,1\n2020-01-02,abc\n2020-01-03,3\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(bad), "--output", str(out)])
    assert_one_line_usage_error(result, "non-numeric")
    assert not out.exists()


def test_a_row_number_column_is_never_read_as_dates(tmp_path):
    """DataFrame.to_csv() writes the row number first; read as dates it was 1970 nanoseconds."""
    values = pd.Series(100 + 10 * np.sin(np.arange(400) * 2 * np.pi / 7), name="sales")
    values.to_csv(tmp_path / "rowindex.csv")
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(tmp_path / "rowindex.csv"),
                                 "--output", str(out)])
    assert_one_line_usage_error(result, "only numbers the rows")
    assert not out.exists()
    # with the real dates in the second column, they are used and the row number dropped
    dated = pd.DataFrame({"day": pd.date_range("2021-01-01", periods=400), "sales": values})
    dated.to_csv(tmp_path / "second.csv")
    ok = runner.invoke(app, ["backtest", *FAST, "--data", str(tmp_path / "second.csv"), "--output", str(out)])
    assert ok.exit_code == 0, ok.output
    meta = json.loads((only_run(out) / "run.json").read_text())
    assert meta["metadata"]["frequency"] == "D" and meta["metadata"]["start"].startswith("2021-01-01")


def test_day_first_dates_are_read_day_first_and_nothing_is_invented(tmp_path):
    days = pd.date_range("2020-01-01", periods=701)
    frame = pd.DataFrame({"date": days.strftime("%d/%m/%Y"), "sales": weekly_series(701).to_numpy()})
    frame.to_csv(tmp_path / "dayfirst.csv", index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(tmp_path / "dayfirst.csv"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    meta = json.loads((only_run(out) / "run.json").read_text())
    assert meta["repairs"] == [] and meta["metadata"]["observations"] == 701


def test_ambiguous_dates_need_a_format(tmp_path):
    days = pd.date_range("2020-01-01", periods=12, freq="MS")  # 01/01 .. 01/12: both readings regular
    frame = pd.DataFrame({"date": days.strftime("%d/%m/%Y"), "sales": np.arange(12.0)})
    frame.to_csv(tmp_path / "amb.csv", index=False)
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(tmp_path / "amb.csv"),
                                 "--output", str(tmp_path / "o")])
    assert_one_line_usage_error(result, "ambiguous", "--date-format")


def test_mixed_utc_offsets_are_a_usage_error(tmp_path):
    stamps = [f"2020-03-{d:02d} 00:00{'+01:00' if d < 29 else '+02:00'}" for d in range(1, 32)]
    pd.DataFrame({"date": stamps, "v": np.arange(31.0)}).to_csv(tmp_path / "tz.csv", index=False)
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(tmp_path / "tz.csv"),
                                 "--output", str(tmp_path / "o")])
    assert_one_line_usage_error(result, "mixes UTC offsets")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--horizon", "abc"], "--horizon"),
        (["--time-limit", "-1"], "time-limit must be a positive number of seconds"),
        (["--time-limit", "nan"], "time-limit must be a positive number of seconds"),
        (["--window", "0"], "window must be an integer >= 1"),
        (["--jobs", "0"], "jobs must be a positive number of workers"),
        (["--name", "x" * 300], "--name must be a plain file name stem"),
        (["--name", "../../x"], "--name must be a plain file name stem"),
        (["--name", "/abs/x"], "--name must be a plain file name stem"),
        (["--refit", "sometimes"], "refit must be true, false or a positive number"),
        (["--models", "lstmm"], "Did you mean 'lstm'"),
    ],
)
def test_command_line_mistakes_are_one_line_and_write_nothing(tmp_path, args, fragment):
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", "--quiet", "--output", str(out), *args])
    assert_one_line_usage_error(result, fragment)
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('jobs = "2"', "jobs must be a positive number of workers"),
        ("model_params = 5", "model_params must be a table of tables"),
        ("[model_params]\nnaive = 5", "model_params.naive must be a table of parameters"),
        ('data = ["a"]', "data must be a non-empty text"),
        ('data = "missing.csv"', "no such file"),
        ('quiet = "no"', "quiet must be true or false"),
        ('seed = "abc"', "seed must be an integer"),
        ('time_limit = "5"', "time-limit must be a positive number of seconds"),
        ("horizn = 7", "unknown key(s) horizn"),
        ("models = [", "not valid TOML"),
    ],
)
def test_config_mistakes_are_one_line_and_write_nothing(tmp_path, text, fragment):
    config = tmp_path / "run.toml"
    config.write_text(f'output = "{(tmp_path / "out").as_posix()}"\n{text}\n')
    result = runner.invoke(app, ["backtest", "--config", str(config)])
    assert_one_line_usage_error(result, fragment)
    assert not (tmp_path / "out").exists()


def test_a_config_that_is_not_utf8_is_a_usage_error(tmp_path):
    config = tmp_path / "latin.toml"
    config.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    assert_one_line_usage_error(runner.invoke(app, ["backtest", "--config", str(config)]), "not UTF-8")


def test_an_output_that_is_a_file_fails_before_computing(tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a directory")
    result = runner.invoke(app, ["backtest", "--models", "sarima,lstm", "--quiet", "--output", str(target)])
    assert_one_line_usage_error(result, "is a file, not a directory")
    assert target.read_text() == "not a directory"


def test_user_csv_and_target(tmp_path):
    y = weekly_series(120)
    path = tmp_path / "mine.csv"
    pd.DataFrame({"day": y.index, "sales": y.to_numpy(), "other": 1.0}).to_csv(path, index=False)
    out = tmp_path / "out"
    missing = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--output", str(out)])
    assert_one_line_usage_error(missing, "--target")
    ok = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--target", "sales",
                             "--output", str(out), "--name", "mine"])
    assert ok.exit_code == 0, ok.output
    assert (out / "mine" / "report.html").is_file()


def test_exog_columns_reach_the_models_and_the_report(tmp_path):
    args = ["backtest", "--models", "arma", "--horizon", "7", "--folds", "2", "--quiet",
            "--output", str(tmp_path)]
    plain = runner.invoke(app, [*args, "--name", "plain"])
    with_exog = runner.invoke(app, [*args, "--exog", "day_type", "--name", "exog"])
    assert plain.exit_code == 0 and with_exog.exit_code == 0, with_exog.output
    meta = json.loads((tmp_path / "exog" / "run.json").read_text())
    assert meta["parameters"]["exogenous"] == ["day_type"]
    plain_meta = json.loads((tmp_path / "plain" / "run.json").read_text())
    assert meta["metadata"]["data_hash"] != plain_meta["metadata"]["data_hash"]
    boards = [pd.read_csv(tmp_path / stem / "leaderboard.csv", index_col=0) for stem in ("plain", "exog")]
    assert boards[0].loc["arma", "mae"] != boards[1].loc["arma", "mae"]
    y = weekly_series(120)
    frame = pd.DataFrame({"date": y.index, "sales": y.to_numpy(),
                          "promo": (y.index.day_of_week == 4).astype(float)})
    path = tmp_path / "dupes.csv"
    pd.concat([frame, frame.iloc[:5]]).to_csv(path, index=False)  # exact duplicate rows
    from_file = runner.invoke(app, [*args, "--data", str(path), "--target", "sales", "--exog", "promo",
                                    "--name", "file"])
    assert from_file.exit_code == 0, from_file.output
    missing = runner.invoke(app, [*args, "--exog", "holiday"])
    assert_one_line_usage_error(missing, "--exog 'holiday' is not a column")


def test_config_file_reproduces_the_command_line(tmp_path):
    flags = runner.invoke(app, ["backtest", *FAST, "--seed", "3", "--output", str(tmp_path),
                                "--name", "flags"])
    config = tmp_path / "run.toml"
    config.write_text(
        'models = ["naive", "drift"]\nhorizon = 7\nfolds = 2\nseed = 3\nquiet = true\n'
        f'output = "{tmp_path.as_posix()}"\nname = "config"\n'
    )
    from_config = runner.invoke(app, ["backtest", "--config", str(config)])
    assert flags.exit_code == 0 and from_config.exit_code == 0, from_config.output
    assert (tmp_path / "flags" / "forecasts.csv").read_bytes() == (tmp_path / "config" / "forecasts.csv").read_bytes()


def test_bad_model_parameter_in_config_is_a_usage_error(tmp_path):
    config = tmp_path / "typo.toml"
    config.write_text('models = ["naive", "lstm"]\nquiet = true\n'
                      f'output = "{(tmp_path / "out").as_posix()}"\n[model_params.lstm]\nhidden = "64"\n')
    result = runner.invoke(app, ["backtest", "--config", str(config)])
    assert_one_line_usage_error(result, "lstm: hidden must be an integer >= 1, got '64'")
    assert not (tmp_path / "out").exists()


def test_model_failure_exit_code_and_a_clean_rerun_replaces_the_whole_run(tmp_path):
    config = tmp_path / "fail.toml"
    common = f'models = ["sarima"]\nhorizon = 7\nfolds = 2\nquiet = true\noutput = "{tmp_path.as_posix()}"\n'
    config.write_text(common + 'name = "nightly"\ntime_limit = 0.001\n')  # every fit runs out of time
    result = runner.invoke(app, ["backtest", "--config", str(config)])
    assert result.exit_code == EXIT_MODEL_FAILED, result.output
    assert (tmp_path / "nightly" / "failures.csv").is_file()
    config.write_text(common + 'name = "nightly"\n')
    rerun = runner.invoke(app, ["backtest", "--config", str(config)])
    assert rerun.exit_code == 0, rerun.output
    assert not (tmp_path / "nightly" / "failures.csv").exists()  # nothing of the old run remains
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["nightly"]


def test_the_leaderboard_shows_a_dash_where_a_model_has_no_number(tmp_path):
    """A model whose every fit failed, and the baseline's p-value against itself, have no
    number: the printed leaderboard says so with a dash, not "nan"."""
    result = runner.invoke(app, ["backtest", "--models", "sarima", "--horizon", "7", "--folds", "2",
                                 "--time-limit", "0.001", "--output", str(tmp_path)])
    assert result.exit_code == EXIT_MODEL_FAILED, result.output
    board = result.output[result.output.index("Leaderboard"):]
    sarima_row = next(line for line in board.splitlines() if "sarima" in line)
    assert "–" in sarima_row and "nan" not in board


def test_text_cells_cannot_become_spreadsheet_formulas(tmp_path):
    y = weekly_series(100)
    path = tmp_path / "hostile.csv"
    pd.DataFrame({"date": y.index, "=HYPERLINK(\"http://x\")": y.to_numpy()}).to_csv(path, index=False)
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--output", str(tmp_path / "o"),
                                 "--name", "h"])
    assert result.exit_code == 0, result.output
    forecasts = pd.read_csv(tmp_path / "o" / "h" / "forecasts.csv")
    assert set(forecasts["series"]) == {"'=HYPERLINK(\"http://x\")"}
    assert forecasts["forecast"].dtype == float  # numbers, negative ones too, stay numbers


def test_forecast_command(tmp_path):
    result = runner.invoke(app, ["forecast", "--model", "snaive", "--horizon", "5",
                                 "--output", str(tmp_path), "--name", "f"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "f" / "forecast.csv")
    assert list(frame.columns) == ["timestamp", "forecast", "lower", "upper"] and len(frame) == 5
    assert (tmp_path / "f" / "forecast.svg").read_text().startswith("<svg")


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
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--help"], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    assert done.returncode == 0 and "backtest" in done.stdout


def test_help_and_import_load_no_heavy_library():
    """`tsforecast --help` answers at once: neither the CLI nor `import tsforecast` loads
    pandas, scikit-learn, statsmodels or PyTorch until a command or a model needs them."""
    code = (
        "import sys, tsforecast, tsforecast.app.cli\n"
        "heavy = [m for m in ('torch', 'statsmodels', 'sklearn', 'pandas', 'matplotlib') if m in sys.modules]\n"
        "print(heavy)\n"
        "tsforecast.SARIMA\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "False"], done.stdout


def _refuse_non_json_number(name: str) -> None:
    raise AssertionError(f"run.json holds {name}, which is not JSON")


def test_auto_without_a_time_limit_from_a_config_file_keeps_run_json_valid(tmp_path):
    """TOML has no null, so ``time_budget = inf`` asks auto for no limit; run.json records it
    as text (strict JSON has no Infinity)."""
    config = tmp_path / "run.toml"
    config.write_text('models = "auto"\n[model_params.auto]\ntime_budget = inf\n'
                      'candidates = ["snaive", "naive", "theta"]\n')
    result = runner.invoke(app, ["backtest", "--config", str(config), "--horizon", "7", "--folds", "2",
                                 "--quiet", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    text = (only_run(tmp_path / "out") / "run.json").read_text()
    meta = json.loads(text, parse_constant=_refuse_non_json_number)
    assert meta["model_parameters"]["auto"]["time_budget"] == "inf"


def test_param_sets_a_model_parameter_and_wins_over_the_config_file(tmp_path):
    """``--param MODEL.NAME=VALUE`` reads the value as TOML (``inf``, lists); a config file's
    other parameters of the same model stay."""
    config = tmp_path / "run.toml"
    config.write_text('[model_params.auto]\ntime_budget = 5\ncandidates = ["snaive", "naive", "theta"]\n')
    result = runner.invoke(app, ["backtest", "--models", "auto", "--config", str(config), "--param",
                                 "auto.time_budget=inf", "--param", "auto.top_k=2", "--horizon", "7",
                                 "--folds", "2", "--quiet", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    meta = json.loads((only_run(tmp_path / "out") / "run.json").read_text(), parse_constant=_refuse_non_json_number)
    chosen = meta["model_parameters"]["auto"]
    assert chosen["time_budget"] == "inf" and chosen["top_k"] == 2
    assert chosen["candidates"] == "['snaive', 'naive', 'theta']"


@pytest.mark.parametrize("param, fragments", [
    ("auto.time_budget", ["--param 'auto.time_budget'", "MODEL.NAME=VALUE"]),
    ("time_budget=3", ["MODEL.NAME=VALUE"]),
    ("auto.budget=3", ["has no parameter(s) budget", "time_budget"]),
    ("lstm.hidden=8", ["lstm", "not in --models"]),
])
def test_a_wrong_param_is_a_one_line_usage_error(tmp_path, param, fragments):
    result = runner.invoke(app, ["backtest", "--models", "auto,naive", "--param", param, "--horizon", "7",
                                 "--folds", "2", "--quiet", "--output", str(tmp_path / "out")])
    assert_one_line_usage_error(result, *fragments)
    assert not (tmp_path / "out").exists()


def test_forecast_records_the_parameters_the_data_hash_and_versions(tmp_path):
    result = runner.invoke(app, ["forecast", "--model", "theta", "--param", "theta.theta=1.5", "--param",
                                 "theta.method=additive", "--horizon", "5", "--output", str(tmp_path), "--name", "f"])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "f" / "run.json").read_text())
    assert meta["parameters"]["theta"] == 1.5 and meta["parameters"]["method"] == "additive"  # bare text kept
    assert len(meta["data_sha256"]) == 64 and "statsmodels" in meta["versions"]


def test_param_for_another_model_than_the_one_fitted_is_refused(tmp_path):
    result = runner.invoke(app, ["fit", "--model", "sarima", "--param", "lstm.hidden=8", "--save",
                                 str(tmp_path / "m.tsf")])
    assert_one_line_usage_error(result, "--param for lstm", "the model is sarima")
    assert not (tmp_path / "m.tsf").exists()


def test_param_values_are_read_as_toml_or_kept_as_text():
    from tsforecast.app.settings import parse_params

    assert parse_params(["auto.time_budget=inf", "LSTM.normalize=window", "lstm.hidden= 64 ",
                         'auto.candidates=["ets", "theta"]', "a.b=1\nc = 2"]) == {
        "auto": {"time_budget": float("inf"), "candidates": ["ets", "theta"]},
        "lstm": {"normalize": "window", "hidden": 64},
        "a": {"b": "1\nc = 2"},  # one value, not a TOML document
    }
