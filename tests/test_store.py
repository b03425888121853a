"""The forecast store, on a SQLite file and on a real PostgreSQL server alike: round trips,
scores, the schema (newer refused, older upgraded, migrations equal to the tables), bad input,
and what a killed, failed or concurrent write leaves behind (real processes, no mocks)."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.core.errors import DataError, StoreError
from tsforecast.store import SCHEMA_VERSION, Store
from tsforecast.store.connect import MIGRATIONS
from tsforecast.store.schema import VERSION_TABLE, metadata

from .store_backends import BACKENDS, free_port, postgres_server_url, store_location

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """A new, empty store on each backend (a SQLite file, a PostgreSQL database)."""
    yield from store_location(request.param, tmp_path)


@pytest.fixture
def postgres_server():
    return postgres_server_url()


def frame(n_series: int = 2, horizon: int = 3, origins: int = 1, levels=(0.1, 0.9), seed: int = 0,
          model: str = "ets", y_true: bool = False) -> pd.DataFrame:
    """A forecasts frame: n_series x origins x horizon rows with quantiles at ``levels``."""
    rng = np.random.default_rng(seed)
    parts = []
    for s in range(n_series):
        for o in range(origins):
            origin = pd.Timestamp("2024-01-31") + pd.Timedelta(days=7 * o)
            part = pd.DataFrame({
                "series_id": f"s{s}", "model": model, "origin": origin,
                "target_time": pd.date_range(origin + pd.Timedelta(days=1), periods=horizon, freq="D"),
                "step": np.arange(1, horizon + 1), "point": rng.normal(100, 10, horizon), "scale": 2.5 + s,
            })
            if y_true:
                part["y_true"] = rng.normal(100, 10, horizon)
            for level in levels:
                part[f"q{level:g}"] = part["point"] + 10 * (level - 0.5)
            parts.append(part)
    return pd.concat(parts, ignore_index=True)


META = {"command": "forecast", "model": "ets", "parameters": {"alpha": 0.3, "season": None},
        "data_sha256": "ab" * 32, "versions": {"tsforecast": "0.1.0"},
        "started_at": pd.Timestamp("2024-02-01 06:00", tz="Europe/Paris"),
        "finished_at": pd.Timestamp("2024-02-01 05:00:03"), "source": "rail.csv"}


def test_store_is_public_and_names_the_schema_version():
    assert tsforecast.Store is Store
    assert tsforecast.StoreError is StoreError
    from alembic.script import ScriptDirectory

    # SCHEMA_VERSION (the fast check on open) is Alembic's head revision
    assert int(ScriptDirectory(str(MIGRATIONS)).get_current_head()) == SCHEMA_VERSION


def test_quantile_columns_are_spelled_as_the_backtest_spells_them():
    from tsforecast.backtest.frame import quantile_column as backtest_spelling
    from tsforecast.evaluation.intervals import quantile_levels
    from tsforecast.store.frames import quantile_column

    for level in (*quantile_levels(0.83), 0.001, 0.3333):
        assert quantile_column(level) == backtest_spelling(level)


def test_a_run_round_trips(store_url):
    written = frame(origins=2)
    with Store(store_url) as store:
        run_id = store.record_run(META, written)
        assert len(run_id) == 32 and int(run_id, 16) >= 0
        assert store.schema_version == SCHEMA_VERSION
        runs = store.runs()
        back = store.forecasts()
    assert len(runs) == 1
    run = runs.iloc[0]
    assert (run["run_id"], run["command"], run["model"], run["n_forecasts"]) == (run_id, "forecast", "ets", 12)
    assert run["parameters"] == {"alpha": 0.3, "season": None} and run["versions"] == {"tsforecast": "0.1.0"}
    assert run["started_at"] == pd.Timestamp("2024-02-01 05:00")  # Paris 06:00 is 05:00 UTC
    assert run["extra"] == {"source": "rail.csv"}
    assert list(back.columns) == ["run_id", "command", "series_id", "model", "origin", "target_time", "step",
                                  "point", "scale", "y_true", "q0.1", "q0.9"]
    assert (back["run_id"] == run_id).all() and (back["command"] == "forecast").all()
    pd.testing.assert_frame_equal(back[written.columns.tolist()], written, check_dtype=False, check_exact=False,
                                  rtol=1e-12)
    assert back["y_true"].isna().all()


def test_aware_times_are_stored_as_utc(tmp_path):
    aware = frame().assign(origin=pd.Timestamp("2024-03-31 23:00", tz="America/Chicago"),
                           target_time=lambda f: f["target_time"].dt.tz_localize("America/Chicago"))
    with Store(tmp_path / "tz.db") as store:
        back = store.forecasts(run_id=store.record_run(META, aware))
    assert (back["origin"] == pd.Timestamp("2024-04-01 04:00")).all()  # CDT is UTC-5
    pd.testing.assert_series_equal(back["target_time"], aware["target_time"].dt.tz_convert("UTC").dt.tz_localize(None),
                                   check_dtype=False)


def test_filters_and_order_newest_last(store_url):
    with Store(store_url) as store:
        first = store.record_run(META, frame(model="ets"))
        second = store.record_run({**META, "command": "backtest", "model": "snaive,theta"},
                                  frame(model="theta", y_true=True, levels=(0.025, 0.5, 0.975)))
        assert store.runs()["run_id"].tolist() == [first, second]
        assert set(store.forecasts(run_id=second)["model"]) == {"theta"}
        assert set(store.forecasts(command="forecast")["run_id"]) == {first}
        assert len(store.forecasts(series_id="s1")) == 6
        assert len(store.forecasts(model=["ets", "theta"], series_id=["s0"])) == 6
        assert store.forecasts(model="nothing").empty
        both = store.forecasts()
    # each run keeps its own quantile levels; the other run's are missing, not invented
    assert {"q0.1", "q0.9", "q0.025", "q0.5", "q0.975"} <= set(both.columns)
    assert both.loc[both["run_id"] == first, "q0.5"].isna().all()
    assert both.loc[both["run_id"] == second, "y_true"].notna().all()


def test_scores_are_replaced_not_duplicated(store_url):
    with Store(store_url) as store:
        run_id = store.record_run(META, frame())
        rows = store.forecasts()
        scores = rows.assign(actual=rows["point"] + 1, error=1.0, abs_scaled_error=1 / rows["scale"],
                             covered=[True, False, None, True, True, False], pinball=0.5)
        columns = ["run_id", "series_id", "model", "origin", "target_time", "step", "actual", "error",
                   "abs_scaled_error", "covered", "pinball"]
        assert store.record_scores(scores[columns]) == 6
        assert store.record_scores(scores[columns].assign(error=2.0)) == 6  # scored again: replaced
        stored = store.scores()
        assert len(stored) == 6 and (stored["error"] == 2.0).all()
        assert stored["covered"].isna().sum() == 1 and stored["covered"].sum() == 3
        assert len(store.scores(run_id=run_id, series_id="s0")) == 3
        with pytest.raises(StoreError, match="could not record 1 scores"):  # a run that is not stored
            store.record_scores(scores[columns].head(1).assign(run_id="0" * 32))
        assert len(store.scores()) == 6


def test_bad_input_is_refused_before_anything_is_written(store_url):
    with Store(store_url) as store:
        with pytest.raises(DataError, match="lacks the column"):
            store.record_run(META, frame().drop(columns="scale"))
        with pytest.raises(DataError, match="command"):
            store.record_run({**META, "command": "fit"}, frame())
        with pytest.raises(DataError, match="does not know: lower"):
            store.record_run(META, frame().assign(lower=1.0))
        with pytest.raises(DataError, match="step"):
            store.record_run(META, frame().assign(step=0))
        with pytest.raises(DataError, match="strictly between 0 and 1"):
            store.record_run(META, frame().rename(columns={"q0.9": "q1.5"}))
        assert store.runs().empty


def test_a_row_given_twice_fails_the_whole_run_mid_batch(store_url):
    with Store(store_url) as store:
        kept = store.record_run(META, frame())
        big = frame(n_series=500, horizon=30, origins=4)  # 60,000 rows: two chunks
        big = pd.concat([big, big.iloc[[0]]], ignore_index=True)  # the last row repeats the first
        with pytest.raises(StoreError, match=r"could not record the run \(60001 forecast rows\)"):
            store.record_run(META, big)
        assert store.runs()["run_id"].tolist() == [kept]
        assert len(store.forecasts()) == 6
    engine = sa.create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.connect() as connection:  # nothing of the failed run is left, in any table
        assert connection.execute(sa.text("SELECT count(*) FROM forecast_quantiles")).scalar() == 12
    engine.dispose()


def test_a_sqlite_file_is_created_on_the_first_write(tmp_path):
    path = tmp_path / "later.db"
    store = Store(path)
    assert store.schema_version == 0 and store.runs().empty and store.forecasts().empty and store.scores().empty
    assert not path.exists()
    store.record_run(META, frame())
    assert path.exists() and store.schema_version == SCHEMA_VERSION
    store.close()
    assert len(Store(f"sqlite:///{path}").forecasts()) == 6


def test_what_is_not_a_store_is_refused(tmp_path):
    with pytest.raises(StoreError, match="not a writable directory"):
        Store(tmp_path / "missing" / "store.db")
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is a text file, not a database" * 100)
    with pytest.raises(StoreError, match="not a forecast store"):
        Store(junk)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match="not a forecast store: it holds other tables"):
        Store(other)
    with pytest.raises(StoreError, match="in-memory"):
        Store("sqlite://")


def test_a_newer_schema_is_refused_with_both_versions(store_url):
    Store(store_url).record_run(META, frame())
    engine = sa.create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '0009'"))
    engine.dispose()
    with pytest.raises(StoreError, match=f"schema version 9, newer than this tsforecast's {SCHEMA_VERSION}"):
        Store(store_url)


def test_a_version_1_store_is_upgraded_on_open_and_keeps_its_runs(store_url):
    from alembic.command import upgrade
    from alembic.config import Config

    engine = sa.create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.begin() as connection:  # what the first release wrote: schema 1, one run
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        upgrade(config, "0001")
        connection.execute(sa.text(
            "INSERT INTO runs VALUES ('r1', 'forecast', 'ets', '{}', NULL, '{}', '2024-01-01 00:00:00', "
            "'2024-01-01 00:00:01', '2024-01-01 00:00:02', 1, '{}')"))
        connection.execute(sa.text("INSERT INTO forecasts VALUES ('r1', 0, 'rail', 'ets', '2024-01-01 00:00:00', "
                                   "'2024-01-02 00:00:00', 1, 5.0, 1.0, NULL)"))
        assert "scores" not in sa.inspect(connection).get_table_names()
    engine.dispose()
    with Store(store_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.runs()["run_id"].tolist() == ["r1"]
        assert store.forecasts()["point"].tolist() == [5.0]
        row = store.forecasts().assign(actual=6.0, error=1.0, abs_scaled_error=1.0, covered=None, pinball=0.5)
        assert store.record_scores(row.drop(columns=["command", "point", "scale", "y_true"])) == 1


def test_the_migrations_build_exactly_the_tables_of_the_schema_module(store_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    Store(store_url).record_run(META, frame())
    engine = sa.create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(points=st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64), st.just(math.nan)),
                       min_size=1, max_size=20),
       levels=st.lists(st.sampled_from([0.01, 0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975, 0.99]), unique=True,
                       max_size=4),
       series=st.text(min_size=1, max_size=12))
def test_any_numbers_and_levels_round_trip_on_sqlite(tmp_path, points, levels, series):
    n = len(points)
    written = pd.DataFrame({"series_id": series, "model": "m", "origin": pd.Timestamp("2024-01-01"),
                            "target_time": pd.date_range("2024-01-02", periods=n, freq="h"),
                            "step": np.arange(1, n + 1), "point": points, "scale": np.nan})
    for i, level in enumerate(levels):
        written[f"q{level:g}"] = np.asarray(points) + i
    with Store(tmp_path / f"h{abs(hash((series, n))) % 10**9}.db") as store:
        run_id = store.record_run(META, written)
        back = store.forecasts(run_id=run_id)
    assert back["series_id"].tolist() == [series] * n
    for column in ["point", *[f"q{level:g}" for level in levels]]:
        np.testing.assert_array_equal(back[column].to_numpy(), written[column].to_numpy())  # NaN stays NaN


def test_unreachable_and_refused_servers_are_named_with_the_password_masked(postgres_server):
    closed = sa.make_url(postgres_server).set(host="127.0.0.1", port=free_port(), password="hunter2-pw")
    with pytest.raises(StoreError, match="cannot be reached") as caught:
        Store(closed.render_as_string(hide_password=False))
    assert "hunter2-pw" not in str(caught.value) and "***" in str(caught.value)
    wrong = sa.make_url(postgres_server).set(password="wrong-pw-123")
    try:
        Store(wrong.render_as_string(hide_password=False)).close()
    except StoreError as exc:
        assert "refused the credentials" in str(exc) and "wrong-pw-123" not in str(exc)
    else:
        pytest.skip("this server trusts any password, so refused credentials cannot be shown on it")


_CHILD = """
import sys
import numpy as np, pandas as pd
from tsforecast.store import Store
url, rows, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n = rows // 20
frame = pd.DataFrame({"series_id": np.repeat([f"{tag}{i}" for i in range(n)], 20), "model": "ets",
                      "origin": pd.Timestamp("2024-01-01"),
                      "target_time": np.tile(pd.date_range("2024-01-02", periods=20).to_numpy(), n),
                      "step": np.tile(np.arange(1, 21), n), "point": 1.0, "scale": 1.0, "q0.1": 0.5, "q0.9": 1.5})
store = Store(url)
print("writing", flush=True)
sys.stdin.readline()  # the parent says when to start (both writers at once)
store.record_run({"command": "backtest", "model": tag}, frame)
print("done", flush=True)
"""


def _writer(url: str, rows: int, tag: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(rows), tag], cwd=ROOT, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline().strip() == "writing", child.stderr.read()
    return child


def _write_in_progress(url: str) -> bool:
    """Whether another process's write transaction has begun writing rows."""
    if "://" not in url:
        wal = Path(url + "-wal")
        return wal.exists() and wal.stat().st_size > 4 << 20  # uncommitted pages spilled to the WAL
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        busy = connection.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")).scalar()
    engine.dispose()
    return bool(busy)


@pytest.mark.slow
def test_a_run_killed_mid_write_is_absent_and_the_store_intact(store_url):
    import signal
    import time

    kept = Store(store_url).record_run(META, frame())
    child = _writer(store_url, 200_000, "killed")
    child.stdin.write("go\n")
    child.stdin.flush()
    deadline = time.monotonic() + 120
    while not _write_in_progress(store_url):
        assert child.poll() is None, f"the writer ended before it was killed: {child.stderr.read()}"
        assert time.monotonic() < deadline, "the write never began"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with Store(store_url) as store:
        assert store.runs()["run_id"].tolist() == [kept]
        assert len(store.forecasts()) == 6
        assert store.record_run(META, frame())  # and it still takes writes


@pytest.mark.slow
def test_two_processes_writing_at_once_are_both_recorded(store_url):
    writers = [_writer(store_url, 20_000, tag) for tag in ("first", "second")]
    for child in writers:  # both released together: their transactions overlap
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in writers:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0 and out.strip() == "done", err
    with Store(store_url) as store:
        runs = store.runs()
        assert sorted(runs["model"]) == ["first", "second"] and runs["n_forecasts"].tolist() == [20_000, 20_000]
        stored = store.forecasts()
    assert len(stored) == 40_000 and stored[["q0.1", "q0.9"]].notna().all().all()


@pytest.mark.slow
def test_a_full_disk_fails_the_write_and_leaves_the_store_unchanged(tmp_path):
    import os

    if os.geteuid() != 0 or sys.platform != "linux":
        pytest.skip("a small real file system (tmpfs) can only be mounted by root on Linux")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        path = mount / "store.db"
        kept = Store(path).record_run(META, frame())
        with pytest.raises(StoreError, match="full"):
            Store(path).record_run(META, frame(n_series=2000, horizon=30))  # 60,000 rows: far over 2 MB
        with Store(path) as store:
            assert store.runs()["run_id"].tolist() == [kept]
            assert len(store.forecasts()) == 6
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
