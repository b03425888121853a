"""The Dask engine on a real ``distributed.LocalCluster`` of two worker processes: the same
forecasts as a serial run, failures isolated per task, an existing cluster by address, and
clear errors for a scheduler that is not there."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import tsforecast
from tsforecast.app.cli import EXIT_MODEL_FAILED, EXIT_USAGE, app
from tsforecast.backtest import backtest, backtest_partitioned
from tsforecast.backtest.dask_engine import close_dask_clients, dask_client
from tsforecast.core.errors import ConfigError
from tsforecast.data.synthetic import make_panel
from tsforecast.models.baseline import Naive

from .test_backtest import Exploding

distributed = pytest.importorskip("distributed", reason="the Dask extra is not installed")

PANEL = dict(id_col="station", time_col="date", target_col="riders")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as local:
        yield local
        close_dask_clients()  # the runs' kept client, before its scheduler goes


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel(5, length=150)


def test_dask_gives_the_serial_forecasts(cluster, panel):
    models = ["snaive", "theta", tsforecast.get_model("lstm", max_epochs=2, window=14, hidden=8)]
    serial = backtest(panel, models, horizon=7, n_windows=2, **PANEL)
    on_dask = backtest(panel, models, horizon=7, n_windows=2, engine="dask", scheduler=cluster.scheduler_address,
                       **PANEL)
    pd.testing.assert_frame_equal(serial.forecasts, on_dask.forecasts)
    assert on_dask.parameters["engine"] == "dask" and serial.parameters["engine"] == "local"
    # lstm trained one global network per fold, on a worker
    assert set(on_dask.timings.loc[on_dask.timings["model"] == "lstm", "fitted"]) == {"global over 5 series"}
    # the engine set up the cluster's two workers: one BLAS/PyTorch thread each
    with distributed.Client(cluster) as client:
        assert list(client.run(_omp_threads).values()) == ["1", "1"]


def _omp_threads() -> str | None:
    import os

    return os.environ.get("OMP_NUM_THREADS")


@pytest.mark.parametrize("block_size", [1, 3, 7, None])
def test_dask_gives_the_local_numbers_for_any_block_size(cluster, panel, block_size):
    models = ["snaive", "naive", "theta"]
    local = backtest(panel, models, horizon=7, n_windows=3, **PANEL)
    on_dask = backtest(panel, models, horizon=7, n_windows=3, engine="dask", scheduler=cluster.scheduler_address,
                       block_size=block_size, **PANEL)
    pd.testing.assert_frame_equal(local.forecasts, on_dask.forecasts)
    pd.testing.assert_frame_equal(local.diagnostics, on_dask.diagnostics)
    columns = ["series", "model", "cutoff", "refitted", "fitted"]
    pd.testing.assert_frame_equal(local.timings[columns], on_dask.timings[columns])


def test_an_existing_cluster_is_reused_by_two_runs_without_starting_workers(cluster, panel):
    with distributed.Client(cluster) as client:
        before = client.run(_pid)
    seen: list[tuple[int, int]] = []
    runs = [backtest(panel, ["naive", "theta"], horizon=7, n_windows=2, engine="dask",
                     scheduler=cluster.scheduler_address, block_size=2,
                     progress=lambda done, total: seen.append((done, total)), **PANEL) for _ in range(2)]
    with distributed.Client(cluster) as client:
        after = client.run(_pid)
    assert before == after  # the same worker processes served both runs: none started, none stopped
    pd.testing.assert_frame_equal(runs[0].forecasts, runs[1].forecasts)
    # progress heard after each block of two chains: 5 series x 3 models (with the baseline) = 15 chains
    assert seen[-1] == (15, 15) and len(seen) == 2 * 8
    assert [done for done, _ in seen[:8]] == [2, 4, 6, 8, 10, 12, 14, 15]


def test_runs_on_one_address_share_one_client_until_it_is_closed(cluster, panel):
    address = cluster.scheduler_address
    with dask_client(address, 1) as first, dask_client(address, 1) as second:
        assert first is second and first.status == "running"
    backtest(panel, ["naive"], horizon=7, n_windows=2, engine="dask", scheduler=address, **PANEL)
    with dask_client(address, 1) as after_run:
        assert after_run is first  # the run connected no client of its own, and left this one open
    close_dask_clients()
    assert first.status == "closed"
    with dask_client(address, 1) as fresh:
        assert fresh is not first and fresh.status == "running"
    # a kept client that stopped running is replaced, not handed out
    fresh.close()
    with dask_client(address, 1) as replaced:
        assert replaced is not fresh and replaced.status == "running"
    with distributed.Client(cluster) as client:
        assert client.run(_omp_threads) == {w: "1" for w in client.scheduler_info()["workers"]}


def _station_partition(k: int) -> pd.DataFrame:
    frame = make_panel(4, seed=k, length=120)
    frame["station"] = f"P{k}-" + frame["station"]
    return frame


def test_a_partitioned_backtest_streams_summaries_equal_to_each_partition_s_backtest(cluster, tmp_path):
    settings = dict(horizon=7, n_windows=2, **PANEL)
    heard: list[int] = []
    result = backtest_partitioned(_station_partition, 3, ["naive"], settings=settings, output=tmp_path,
                                  scheduler=cluster.scheduler_address, progress=lambda d, t, r: heard.append(d))
    alone = [backtest(_station_partition(k), ["naive"], **settings) for k in range(3)]
    scores = pd.concat([r.series_scores() for r in alone])
    expected = scores.groupby("model")["mase"].mean()
    assert heard == [1, 2, 3] and result.series == 12 and result.rows == sum(len(r.forecasts) for r in alone)
    for model in ("snaive", "naive"):
        assert result.leaderboard.loc[model, "mean_mase"] == pytest.approx(expected[model], rel=1e-12)
    written = pd.concat([pd.read_parquet(path) for path in result.files], ignore_index=True)
    pd.testing.assert_frame_equal(written, pd.concat([r.forecasts for r in alone], ignore_index=True),
                                  check_dtype=False)


def _pid() -> int:
    import os

    return os.getpid()


def test_a_failing_model_on_dask_is_recorded_like_a_local_one(cluster, panel):
    models = {"bad": Exploding(), "naive": Naive()}
    local = backtest(panel, models, horizon=7, n_windows=4, **PANEL)
    on_dask = backtest(panel, models, horizon=7, n_windows=4, engine="dask", scheduler=cluster.scheduler_address,
                       **PANEL)
    assert not on_dask.failures.empty and set(on_dask.failures["model"]) == {"bad"}
    pd.testing.assert_frame_equal(local.failures, on_dask.failures)
    pd.testing.assert_frame_equal(local.forecasts, on_dask.forecasts)


def test_without_an_address_dask_starts_and_stops_a_local_cluster(panel):
    result = backtest(panel.head(400), ["naive"], horizon=7, n_windows=2, engine="dask", n_jobs=2, **PANEL)
    assert not result.forecasts.empty and result.failures.empty


def test_bad_engine_options_are_refused_before_any_work(panel):
    with pytest.raises(ConfigError, match="engine must be one of 'local', 'dask'"):
        backtest(panel, ["naive"], engine="spark", **PANEL)
    with pytest.raises(ConfigError, match="needs engine='dask'"):
        backtest(panel, ["naive"], scheduler="tcp://127.0.0.1:8786", **PANEL)
    with pytest.raises(ConfigError, match="time_limit is not enforced on the Dask engine"):
        backtest(panel, ["naive"], engine="dask", time_limit=5, **PANEL)


def test_an_unreachable_scheduler_is_one_clear_error(panel, monkeypatch):
    from tsforecast.backtest import dask_engine

    monkeypatch.setattr(dask_engine, "_CONNECT_TIMEOUT", 1)
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        backtest(panel, ["naive"], horizon=7, n_windows=2, engine="dask", scheduler="tcp://127.0.0.1:9", **PANEL)


def test_cli_engine_dask_writes_the_local_run_s_forecasts(cluster, panel, tmp_path, monkeypatch):
    from tsforecast.backtest import dask_engine

    path = tmp_path / "panel.csv"
    panel.to_csv(path, index=False)
    runner = CliRunner()
    common = ["backtest", "--data", str(path), "--id-column", "station", "--date-column", "date", "--target",
              "riders", "--models", "naive,theta", "--horizon", "7", "--folds", "2", "--quiet",
              "--output", str(tmp_path)]
    local = runner.invoke(app, [*common, "--name", "local"])
    on_dask = runner.invoke(app, [*common, "--name", "dask", "--engine", "dask", "--scheduler",
                                  cluster.scheduler_address])
    assert local.exit_code == 0 and on_dask.exit_code == 0, on_dask.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "local" / "forecasts.csv"),
                                  pd.read_csv(tmp_path / "dask" / "forecasts.csv"))
    monkeypatch.setattr(dask_engine, "_CONNECT_TIMEOUT", 1)
    unreachable = runner.invoke(app, [*common, "--name", "nowhere", "--engine", "dask", "--scheduler",
                                      "tcp://127.0.0.1:9"])
    assert unreachable.exit_code == EXIT_USAGE and "cannot reach the Dask scheduler" in unreachable.output
    assert not (tmp_path / "nowhere").exists()
    wrong = runner.invoke(app, [*common, "--name", "wrong", "--engine", "spark"])
    assert wrong.exit_code == EXIT_USAGE and "engine must be one of 'local', 'dask'" in wrong.output
    assert EXIT_MODEL_FAILED != EXIT_USAGE


@pytest.fixture
def silent_port():
    """A port on 127.0.0.1 that accepts connections and never answers (a stuck scheduler, an
    HTTP server, a wrong port): the Dask client's own timeout does not cover the handshake."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in [*accepted, server]:
        connection.close()


def test_a_scheduler_that_never_answers_is_one_error_within_the_deadline(panel, tmp_path, silent_port):
    import subprocess
    import sys

    path = tmp_path / "panel.csv"
    panel.to_csv(path, index=False)
    # the CLI in its own process: the run must end (not only raise), abandoning the waiting client
    script = ("import sys; from tsforecast.backtest import dask_engine; dask_engine._CONNECT_TIMEOUT = 2; "
              "from tsforecast.app.cli import main; sys.argv[0] = 'tsforecast'; main()")
    done = subprocess.run(
        [sys.executable, "-c", script, "backtest", "--data", str(path), "--id-column", "station", "--date-column",
         "date", "--target", "riders", "--models", "naive", "--horizon", "7", "--folds", "2", "--quiet",
         "--output", str(tmp_path), "--engine", "dask", "--scheduler", f"tcp://127.0.0.1:{silent_port}"],
        capture_output=True, text=True, timeout=120,  # it used to wait forever
    )
    assert done.returncode == EXIT_USAGE, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0] and "no answer within 2 s" in lines[0]
