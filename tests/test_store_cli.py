"""``--store`` on ``forecast`` and ``backtest``: what a run records (against the run's own
files), an unusable store stopping the run before any work, and a failed write after it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tsforecast.app.cli import EXIT_USAGE, app
from tsforecast.app.console import EXIT_STORE
from tsforecast.evaluation.metrics import seasonal_naive_scale
from tsforecast.store import SCHEMA_VERSION, Store

from .conftest import weekly_series
from .store_backends import BACKENDS, free_port, store_location

runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    yield from store_location(request.param, tmp_path)


@pytest.fixture
def data_file(tmp_path) -> Path:
    path = tmp_path / "sales.csv"
    weekly_series(90).rename("sales").to_frame().rename_axis("date").to_csv(path)
    return path


def _only_run(folder: Path) -> Path:
    (run,) = sorted(folder.iterdir())
    return run


def test_forecast_records_its_rows_as_written_to_forecast_csv(store_url, data_file, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["forecast", "--model", "snaive", "--data", str(data_file), "--horizon", "10",
                                 "--coverage", "0.9", "--store", store_url, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "store: run " in result.output
    written = pd.read_csv(_only_run(out) / "forecast.csv", parse_dates=["timestamp"])
    y = pd.read_csv(data_file, index_col=0, parse_dates=True)["sales"]
    with Store(store_url) as store:
        runs, rows = store.runs(), store.forecasts()
    assert runs[["command", "model", "n_forecasts"]].values.tolist() == [["forecast", "snaive", 10]]
    assert runs["extra"][0]["run_folder"] == str(_only_run(out)) and len(runs["data_sha256"][0]) == 64
    assert (rows["series_id"] == "sales").all() and (rows["origin"] == y.index[-1]).all()
    assert rows["step"].tolist() == list(range(1, 11))
    pd.testing.assert_series_equal(rows["target_time"], written["timestamp"], check_names=False, check_dtype=False)
    np.testing.assert_allclose(rows["point"], written["forecast"], rtol=1e-12)
    # --coverage 0.9: the interval's bounds are the 5% and 95% quantiles
    np.testing.assert_allclose(rows["q0.05"], written["lower"], rtol=1e-12)
    np.testing.assert_allclose(rows["q0.95"], written["upper"], rtol=1e-12)
    np.testing.assert_allclose(rows["scale"], seasonal_naive_scale(y.to_numpy(), 7), rtol=1e-12)


def test_backtest_records_every_fold_with_its_actual(data_file, tmp_path):
    out, path = tmp_path / "out", tmp_path / "store.db"
    result = runner.invoke(app, ["backtest", "--models", "naive,drift", "--data", str(data_file), "--horizon", "7",
                                 "--folds", "3", "--store", str(path), "--output", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(_only_run(out) / "forecasts.csv", parse_dates=["cutoff", "timestamp"])
    with Store(path) as store:
        run = store.runs().iloc[0]
        rows = store.forecasts(command="backtest")
    assert run["model"] == "snaive,naive,drift" and run["n_forecasts"] == 3 * 7 * 3 == len(rows)
    assert run["parameters"]["backtest"]["n_windows"] == 3
    merged = rows.merge(written, left_on=["model", "origin", "step"], right_on=["model", "cutoff", "step"])
    assert len(merged) == len(rows)
    np.testing.assert_allclose(merged["y_true"], merged["actual"], rtol=1e-12)
    np.testing.assert_allclose(merged["point"], merged["forecast"], rtol=1e-12)
    np.testing.assert_allclose(merged["q0.975_x"], merged["q0.975_y"], rtol=1e-12)  # store, then file
    np.testing.assert_allclose(merged["scale_x"], merged["scale_y"], rtol=1e-12)


@pytest.mark.parametrize("command", [["forecast", "--model", "snaive"], ["backtest", "--models", "naive"]])
def test_an_unusable_store_stops_the_run_before_any_work(command, data_file, tmp_path):
    out = tmp_path / "out"
    url = f"postgresql+psycopg://someone:pw-not-shown@127.0.0.1:{free_port()}/db"
    result = runner.invoke(app, [*command, "--data", str(data_file), "--store", url, "--output", str(out)])
    assert result.exit_code == EXIT_USAGE
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: forecast store postgresql+psycopg://someone:***@")
    assert "cannot be reached" in result.output and "pw-not-shown" not in result.output
    assert not out.exists()
    missing = tmp_path / "no-such-folder" / "store.db"
    result = runner.invoke(app, [*command, "--data", str(data_file), "--store", str(missing), "--output", str(out)])
    assert result.exit_code == EXIT_USAGE and "not a writable directory" in result.output and not out.exists()


def test_a_newer_store_is_refused_with_the_versions(data_file, tmp_path):
    path = tmp_path / "store.db"
    Store(path).record_run({"command": "forecast", "model": "m"}, pd.DataFrame(
        columns=["series_id", "model", "origin", "target_time", "step", "point", "scale"]))
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE tsforecast_schema_version SET version_num = '0042'")
    result = runner.invoke(app, ["forecast", "--model", "snaive", "--data", str(data_file), "--store", str(path),
                                 "--output", str(tmp_path / "out")])
    assert result.exit_code == EXIT_USAGE
    assert f"schema version 42, newer than this tsforecast's {SCHEMA_VERSION}" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_a_failed_write_after_the_forecast_keeps_the_files_and_exits_6(data_file, tmp_path):
    path, out = tmp_path / "store.db", tmp_path / "out"
    Store(path).record_run({"command": "forecast", "model": "m"}, pd.DataFrame(
        columns=["series_id", "model", "origin", "target_time", "step", "point", "scale"]))
    with sqlite3.connect(path) as connection:  # a real database failure: the store refuses new runs
        connection.execute("CREATE TRIGGER frozen BEFORE INSERT ON forecast_quantiles "
                           "BEGIN SELECT RAISE(ABORT, 'the store is frozen for maintenance'); END")
    result = runner.invoke(app, ["forecast", "--model", "snaive", "--data", str(data_file), "--store", str(path),
                                 "--output", str(out), "--quiet"])
    assert result.exit_code == EXIT_STORE, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    text = " ".join(result.output.split())
    assert len(lines) == 1 and lines[0].startswith("error: ") and "frozen for maintenance" in text
    assert "files in" in text and "complete; the store is unchanged" in text
    assert (_only_run(out) / "forecast.csv").is_file()
    with Store(path) as store:
        assert len(store.runs()) == 1 and store.forecasts().empty


def test_the_store_from_a_config_file_or_the_environment(data_file, tmp_path, monkeypatch):
    config = tmp_path / "conf" / "nightly.toml"
    config.parent.mkdir()
    config.write_text(f'model = "snaive"\ndata = "{data_file}"\nstore = "kept.db"\nhorizon = 5\nquiet = true\n')
    result = runner.invoke(app, ["forecast", "--config", str(config), "--output", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert len(Store(config.parent / "kept.db").forecasts()) == 5  # relative to the config file
    monkeypatch.setenv("TSFORECAST_STORE", str(tmp_path / "env.db"))
    result = runner.invoke(app, ["forecast", "--model", "naive", "--data", str(data_file), "--horizon", "3",
                                 "--output", str(tmp_path / "b"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert Store(tmp_path / "env.db").runs()["model"].tolist() == ["naive"]


def test_forecast_from_a_saved_model_records_the_rolled_origin(data_file, tmp_path):
    y = pd.read_csv(data_file, index_col=0, parse_dates=True)["sales"]
    history = tmp_path / "history.csv"
    y.iloc[:-5].rename_axis("date").to_frame().to_csv(history)
    model, path = tmp_path / "m.tsf", tmp_path / "store.db"
    assert runner.invoke(app, ["fit", "--model", "snaive", "--data", str(history), "--save", str(model),
                               "--quiet"]).exit_code == 0
    result = runner.invoke(app, ["forecast", "--from", str(model), "--data", str(data_file), "--horizon", "4",
                                 "--store", str(path), "--output", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0, result.output
    with Store(path) as store:
        run, rows = store.runs().iloc[0], store.forecasts()
    assert run["extra"]["model_file"] == str(model) and run["model"] == "snaive"
    assert (rows["origin"] == y.index[-1]).all()  # the five appended days moved the origin
    np.testing.assert_allclose(rows["scale"], seasonal_naive_scale(y.to_numpy(), 7), rtol=1e-12)
