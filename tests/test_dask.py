"""The Dask engine on a real ``distributed.LocalCluster`` of two worker processes: the same
forecasts as a serial run, failures isolated per task, an existing cluster by address, and
clear errors for a scheduler that is not there; blocks packed for the workers run as the
local engine runs them."""

from __future__ import annotations

import ctypes
import dataclasses
import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tsforecast
from tsforecast.app.cli import EXIT_MODEL_FAILED, EXIT_USAGE, app
from tsforecast.backtest import backtest, backtest_partitioned
from tsforecast.backtest.block_payload import SealedBlock, pack_block, seal_block
from tsforecast.backtest.chains import chain_tasks, plan_chains
from tsforecast.backtest.dask_engine import close_dask_clients, dask_client
from tsforecast.backtest.frame import ForecastBlock
from tsforecast.backtest.runner import plan_blocks, run_block
from tsforecast.backtest.splits import make_folds
from tsforecast.core.errors import ConfigError
from tsforecast.data.synthetic import make_panel
from tsforecast.models.baseline import Drift, Naive, SeasonalNaive

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


class PanelFails(SeasonalNaive):
    """Seasonal naive whose many-series call fails: its chains go one by one (``forecast_folds``)."""

    def forecast_panel(self, *args, **kwargs):
        raise RuntimeError("no many-series call today")


class PanelAndFoldsFail(Naive):
    """Naive whose many-series and per-chain calls fail: its chains go fold by fold, on the
    Series rebuilt from the arrays."""

    def forecast_panel(self, *args, **kwargs):
        raise RuntimeError("no many-series call today")

    def forecast_folds(self, *args, **kwargs):
        raise RuntimeError("no per-chain call either")


#: a mix of every path a block takes: panel groups, a failed group one chain at a time, fold by
#: fold on a rebuilt Series, and fits that fail at some folds
_PAYLOAD_MODELS = {"snaive": SeasonalNaive(), "naive": Naive(), "drift": Drift(), "panel_fails": PanelFails(),
                   "fold_by_fold": PanelAndFoldsFail(), "exploding": Exploding()}


def _ragged_series(lengths: list[int], tz: str | None, seed: int) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2024-06-30", tz=tz)
    return {f"s{k}": pd.Series(np.round(rng.gamma(2.0, 10.0, n), 1), name=f"s{k}",
                               index=pd.date_range(end=end, periods=n, freq="D", name="day"))
            for k, n in enumerate(lengths)}


def _compare_outputs(expected, got) -> None:
    # every fold's forecasts, to the last bit: each array of the two outputs' blocks
    got_block, expected_block = got.forecast_block(), expected.forecast_block()
    assert (got_block is None) == (expected_block is None)
    for field in dataclasses.fields(ForecastBlock) if got_block is not None else ():
        mine, theirs = getattr(got_block, field.name), getattr(expected_block, field.name)
        if isinstance(theirs, np.ndarray):
            np.testing.assert_array_equal(mine, theirs, strict=True)
        else:
            assert mine == theirs, field.name
    columns = ["series", "model", "cutoff", "refitted", "fitted", "notes"]
    pd.testing.assert_frame_equal(got.timing_frame()[columns], expected.timing_frame()[columns])
    pd.testing.assert_frame_equal(got.diagnostic_frame(), expected.diagnostic_frame(), check_exact=True)
    assert got.failures == expected.failures


@settings(max_examples=20, deadline=None)
# 31 points: the 7 a fold trains on at least, before 3 folds of 8
@given(lengths=st.lists(st.integers(31, 120), min_size=1, max_size=6), horizon=st.integers(1, 8),
       windows=st.integers(1, 3), refit=st.sampled_from([True, False, 2]), block_size=st.integers(1, 12),
       tz=st.sampled_from([None, "America/Chicago"]), seed=st.integers(0, 10_000))
def test_a_packed_block_runs_as_the_block_itself(lengths, horizon, windows, refit, block_size, tz, seed):
    series = _ragged_series(lengths, tz, seed)
    folds = {name: make_folds(len(y), horizon, windows, min_train=7) for name, y in series.items()}
    tasks = chain_tasks(plan_chains(folds, list(_PAYLOAD_MODELS), refit), _PAYLOAD_MODELS, series, None,
                        refit=refit, coverage=0.8, time_limit=None)
    for block in plan_blocks(tasks, 1, block_size):
        packed = pack_block(block.tasks)
        # what a worker receives: the packed block through pickle, as Dask sends it
        travelled = pickle.loads(pickle.dumps(packed, protocol=5))
        _compare_outputs(run_block(block), travelled.run())
        # and sealed, as the Dask engine sends it: opened only by the worker
        sealed = pickle.loads(pickle.dumps(seal_block(packed), protocol=5))
        _compare_outputs(run_block(block), sealed.run())


def _baseline_tasks_of_300_series() -> tuple[dict, dict, list]:
    """300 ragged series, the seasonal naive and naive models, and their chain tasks (3 folds of 14)."""
    series = _ragged_series([200 + 3 * k for k in range(300)], None, seed=1)
    folds = {name: make_folds(len(y), 14, 3) for name, y in series.items()}
    models = {"snaive": SeasonalNaive(), "naive": Naive()}
    tasks = chain_tasks(plan_chains(folds, list(models), True), models, series, None, refit=True, coverage=0.9,
                        time_limit=None)
    return series, models, tasks


def test_a_packed_block_is_a_few_arrays_not_an_object_per_chain():
    series, models, tasks = _baseline_tasks_of_300_series()
    packed = pack_block(tasks)
    assert packed.others == () and len(packed.groups) == 2 and packed.size == 600
    buffers: list[pickle.PickleBuffer] = []
    inline = pickle.dumps(packed, protocol=5, buffer_callback=buffers.append)
    # the values and stamps travel as a few out-of-band buffers per group (no copy); in line go
    # the names and the models, about 40 bytes per chain, where the tasks themselves put their
    # stamps, folds and chains in line (about 2.8 KB per chain) and a buffer per series
    assert len(buffers) <= 8 * len(packed.groups)
    assert len(inline) < 64 * len(tasks)
    task_buffers: list[pickle.PickleBuffer] = []
    assert len(pickle.dumps(tasks, protocol=5, buffer_callback=task_buffers.append)) > 50 * len(inline)
    assert len(task_buffers) == len(series)


_MALLINFO_FIELDS = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                    "keepcost")


def _mmapped_chunks_for_a_4_mib_allocation() -> int:
    """How many chunks glibc maps on their own (``mmap``) while a 4 MiB block is held."""
    libc = ctypes.CDLL(None)

    class Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO_FIELDS]

    libc.mallinfo2.restype = Info
    libc.malloc.restype = ctypes.c_void_p
    before = libc.mallinfo2().hblks
    block = libc.malloc(4 << 20)
    try:
        return libc.mallinfo2().hblks - before
    finally:
        libc.free(ctypes.c_void_p(block))


_GLIBC = sys.platform.startswith("linux") and (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")


@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.integers(1, 40), min_size=1, max_size=6),
       step=st.sampled_from([1, 3_600 * 10**9, 86_400 * 10**9]), start=st.integers(-10**18, 10**18),
       jitter=st.one_of(st.none(), st.integers(0, 10**6)),
       unit=st.sampled_from(["ns", "s"]), seed=st.integers(0, 1_000))
def test_a_panel_group_s_stamps_cross_pickle_bit_for_bit(lengths, step, start, jitter, unit, seed):
    from tsforecast.backtest.panel_forecasts import panel_group

    series = _ragged_series([30, 40], None, seed=1)
    tasks = chain_tasks(plan_chains({n: make_folds(len(y), 7, 1) for n, y in series.items()}, ["snaive"], True),
                        {"snaive": SeasonalNaive()}, series, None, refit=True, coverage=0.9, time_limit=None)
    rng = np.random.default_rng(seed)
    # chains one after another, each from its own first stamp by one step (sent as firsts and the step),
    # or with one point moved (sent as they are)
    firsts = start + rng.integers(0, 10**4, len(lengths)) * step
    stamps = np.concatenate([first + np.arange(n, dtype="int64") * step
                             for first, n in zip(firsts, lengths, strict=True)])
    if jitter is not None:
        stamps[int(rng.integers(len(stamps)))] += jitter
    group = dataclasses.replace(panel_group(tasks), lengths=np.array(lengths, dtype="int64"),
                                stamps=stamps.view(f"datetime64[{unit}]"))
    again = pickle.loads(pickle.dumps(group, protocol=5))
    assert again.stamps.dtype == group.stamps.dtype
    np.testing.assert_array_equal(again.stamps.view("int64"), stamps)


def test_a_sealed_block_is_bytes_and_arrays_to_the_scheduler():
    series, models, tasks = _baseline_tasks_of_300_series()
    packed = pack_block(tasks)
    sealed = seal_block(packed)
    # what the scheduler unpickles and pickles again: a few byte arrays (the pickle stream, the
    # groups' values, out of band: no copy; the evenly spaced stamps as each chain's first one), none of
    # the block's objects
    buffers: list[pickle.PickleBuffer] = []
    inline = pickle.dumps(sealed, protocol=5, buffer_callback=buffers.append)
    assert all(b.dtype == np.uint8 for b in (sealed.inline, *sealed.buffers))
    assert len(buffers) == len(sealed.buffers) + 1 and len(inline) < 1024
    points = sum(len(y) for y in series.values()) * len(models)
    assert 8 * points <= sum(len(b) for b in sealed.buffers) < 9 * points
    _compare_outputs(run_block(plan_blocks(tasks, 1, len(tasks))[0]), pickle.loads(inline, buffers=buffers).run())
    assert isinstance(pickle.loads(inline, buffers=buffers), SealedBlock)


def test_a_dask_result_is_built_when_read_like_a_local_one(cluster):
    frame = make_panel(6, length=120)
    options = dict(horizon=7, n_windows=2, **PANEL)
    local = backtest(frame, ["snaive", "naive"], **options)
    on_dask = backtest(frame, ["snaive", "naive"], engine="dask", scheduler=cluster.scheduler_address, **options)
    # the Dask path builds no Series and no table in the client until they are read, as the local one
    assert local.data.built() == [] and on_dask.data.built() == []
    pd.testing.assert_frame_equal(local.forecasts, on_dask.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(local.diagnostics, on_dask.diagnostics, check_exact=True)
    assert on_dask.data.built() == []  # reading the tables needs none of the Series either
    first = list(local.data)[0]
    pd.testing.assert_series_equal(on_dask.data[first], local.data[first])
    assert on_dask.data.built() == [first]


@pytest.mark.skipif(not _GLIBC, reason="malloc's thresholds are glibc's")
def test_a_worker_set_up_keeps_arrays_of_a_few_mib_out_of_mmap(cluster, panel):
    # a process started as Dask's nanny starts its workers (MALLOC_TRIM_THRESHOLD_=65536) maps
    # every 4 MiB array afresh; set up, it takes them from its heap, as a plain process does
    script = ("from tests.test_dask import _mmapped_chunks_for_a_4_mib_allocation as probe; "
              "from tsforecast.backtest.dask_engine import set_up_worker; "
              "before = probe(); set_up_worker(); print(before, probe())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120,
                          env={**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}, cwd=os.path.dirname(os.path.dirname(
                              os.path.abspath(__file__))))
    assert done.stdout.split() == ["1", "0"]
    # the cluster's workers, set up by the runs before
    backtest(panel, ["naive"], horizon=7, n_windows=2, engine="dask", scheduler=cluster.scheduler_address, **PANEL)
    with distributed.Client(cluster) as client:
        assert set(client.run(_mmapped_chunks_for_a_4_mib_allocation).values()) == {0}


@settings(max_examples=6, deadline=None)
@given(lengths=st.lists(st.integers(40, 160), min_size=2, max_size=8), block_size=st.sampled_from([None, 1, 3]),
       tz=st.sampled_from([None, "Europe/Paris"]), seed=st.integers(0, 10_000))
def test_dask_gives_the_local_numbers_on_ragged_panels(cluster, lengths, block_size, tz, seed):
    frame = pd.concat([y.rename("y").rename_axis("ds").reset_index().assign(id=name)
                       for name, y in _ragged_series(lengths, tz, seed).items()], ignore_index=True)
    options = dict(horizon=7, n_windows=2, id_col="id", block_size=block_size)
    local = backtest(frame, _PAYLOAD_MODELS, **options)
    on_dask = backtest(frame, _PAYLOAD_MODELS, engine="dask", scheduler=cluster.scheduler_address, **options)
    pd.testing.assert_frame_equal(local.forecasts, on_dask.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(local.diagnostics, on_dask.diagnostics, check_exact=True)
    pd.testing.assert_frame_equal(local.failures, on_dask.failures)
    assert not local.failures.empty  # the exploding model's folds, recorded alike


def test_cheap_chains_go_one_block_per_dask_thread_and_others_in_several():
    from tsforecast.backtest.block_payload import PANEL_BLOCK, dask_block_size

    series = _ragged_series([60 + k for k in range(30)], None, seed=2)
    folds = {name: make_folds(len(y), 7, 2) for name, y in series.items()}

    def tasks(models):
        return chain_tasks(plan_chains(folds, list(models), True), models, series, None, refit=True, coverage=0.9,
                           time_limit=None)

    cheap = tasks({"snaive": SeasonalNaive(), "naive": Naive()})
    assert dask_block_size(cheap, 1) == 60 and dask_block_size(cheap, 4) == 15
    assert dask_block_size(cheap * 100, 1) == PANEL_BLOCK  # 6,000 chains: blocks of at most PANEL_BLOCK
    # one chain fitted fold by fold (or any model without the many-series call): the runner's default
    assert dask_block_size(tasks({"snaive": SeasonalNaive(), "exploding": Exploding()}), 1) is None


def test_a_group_made_without_shapes_says_it_cannot_make_its_tasks_again():
    from tsforecast.backtest.panel_forecasts import panel_group, panel_groups

    series = _ragged_series([50, 60], None, seed=3)
    folds = {name: make_folds(len(y), 7, 2) for name, y in series.items()}
    tasks = chain_tasks(plan_chains(folds, ["snaive"], True), {"snaive": SeasonalNaive()}, series, None, refit=True,
                        coverage=0.9, time_limit=None)
    (positions,) = panel_groups(tasks)
    with pytest.raises(ConfigError, match="without its chains' shapes"):
        panel_group([tasks[k] for k in positions]).tasks()
    again = panel_group([tasks[k] for k in positions], shapes=True).tasks()
    assert [t.chain for t in again] == [tasks[k].chain for k in positions]
    for task in again:  # each Series rebuilt from the arrays, freq, name and all
        pd.testing.assert_series_equal(task.series(), series[task.chain.series])
