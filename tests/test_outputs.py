"""All-or-nothing outputs: atomic files, run directories published in one step, killed runs,
a full disk, and worker processes that never outlive their parent."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tsforecast.app.outputs import RunDirectory, check_stem
from tsforecast.core.errors import ConfigError
from tsforecast.core.files import atomic_write, spreadsheet_safe

ROOT = Path(__file__).resolve().parents[1]
RUN_FILES = {"report.html", "forecasts.csv", "leaderboard.csv", "run.json"}
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and Linux signals")


def _cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tsforecast.app.cli", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _assert_only_complete_runs(folder: Path) -> list[Path]:
    """Every entry is a complete run directory: no partial set, no staging, no .part file."""
    runs = sorted(folder.iterdir()) if folder.exists() else []
    for run in runs:
        assert run.is_dir() and not run.name.startswith("."), run
        assert {p.name for p in run.iterdir()} >= RUN_FILES, sorted(run.iterdir())
        assert not list(run.glob("*.part")) and not list(run.glob(".*"))
    return runs


def test_concurrent_writers_never_tear_a_file(tmp_path):
    path = tmp_path / "shared.txt"
    contents = ["a" * 200_000, "b" * 300_000]
    seen: set[str] = set()

    def writer(text: str) -> None:
        for _ in range(40):
            atomic_write(path, text)

    threads = [threading.Thread(target=writer, args=(text,)) for text in contents]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        if path.exists():
            seen.add(path.read_text())
    for thread in threads:
        thread.join()
    assert seen <= set(contents) and path.read_text() in contents
    assert [p.name for p in tmp_path.iterdir()] == ["shared.txt"]


def test_a_failed_run_leaves_the_file_system_as_it_was(tmp_path):
    out = tmp_path / "a" / "b"
    with pytest.raises(RuntimeError), RunDirectory(out, "run") as run:
        run.write("report.html", "<html>")
        raise RuntimeError("the computation failed after writing")
    assert list(tmp_path.iterdir()) == []


def test_a_rerun_replaces_the_whole_directory_in_one_step(tmp_path):
    with RunDirectory(tmp_path, "nightly", replace=True) as run:
        run.write("failures.csv", "old")
        run.write("report.html", "old")
        run.publish()
    with RunDirectory(tmp_path, "nightly", replace=True) as run:
        run.write("report.html", "new")
        final = run.publish()
    assert {p.name: p.read_text() for p in final.iterdir()} == {"report.html": "new"}
    assert [p.name for p in tmp_path.iterdir()] == ["nightly"]
    with pytest.raises(ConfigError, match="already exists"), RunDirectory(tmp_path, "nightly"):
        pass  # a name unique to a run never replaces anything


@pytest.mark.parametrize("name", ["../x", "/abs/x", "a/b", "x" * 101, "", ".hidden", "a..b", 7])
def test_stems_are_plain_names(name):
    with pytest.raises(ConfigError, match="plain file name stem"):
        check_stem(name)


def test_spreadsheet_formulas_are_neutralised_but_numbers_are_not():
    import pandas as pd

    frame = pd.DataFrame({"name": ["=1+1", "+x", "-y", "@z", "plain", "\tt"], "value": [-1.0, 2, 3, 4, 5, 6]})
    safe = spreadsheet_safe(frame)
    assert safe["name"].tolist() == ["'=1+1", "'+x", "'-y", "'@z", "plain", "'\tt"]
    assert safe["value"].tolist() == frame["value"].tolist()


@linux_only
def test_a_full_disk_writes_nothing_and_exits_4(tmp_path):
    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))  # the report is larger

    out = tmp_path / "out"
    done = _cli("backtest", "--models", "naive", "--horizon", "7", "--folds", "2", "--quiet",
                "--output", str(out), preexec_fn=small_files)
    _, stderr = done.communicate(timeout=120)
    assert done.returncode == 4, stderr
    assert stderr.count("\n") == 1 and "nothing was written" in stderr
    assert not out.exists()


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(child) for child in text.split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _workers(pid: int, timeout: float = 60) -> set[int]:
    """The spawned worker processes of ``pid`` once they are running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = {
            child for child in _children(pid)
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        } if _alive(pid) else set()
        if len(workers) >= 2:
            return workers
        time.sleep(0.1)
    raise AssertionError("the run started no workers")


SLOW = ["backtest", "--models", "arima,sarima", "--horizon", "7", "--folds", "40", "--jobs", "2", "--quiet"]


@pytest.mark.slow
@linux_only
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_run_leaves_the_previous_complete_run_and_no_worker(tmp_path, how):
    out = tmp_path / "out"
    first = _cli("backtest", "--models", "naive", "--horizon", "7", "--folds", "2", "--quiet",
                 "--output", str(out), "--name", "nightly")
    assert first.wait(timeout=120) == 0, first.stderr.read()
    before = (out / "nightly" / "run.json").read_text()
    run = _cli(*SLOW, "--output", str(out), "--name", "nightly")
    workers = _workers(run.pid)
    run.send_signal(how)
    _, stderr = run.communicate(timeout=60)
    if how == signal.SIGTERM:
        assert run.returncode == 143 and "terminated; nothing was written" in stderr, stderr
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), "a worker outlived its parent"
    assert [r.name for r in _assert_only_complete_runs(out) if not r.name.startswith(".")] == ["nightly"]
    assert (out / "nightly" / "run.json").read_text() == before
    # a killed run's staging directory is removed by the next run in the same folder
    again = _cli("backtest", "--models", "naive", "--horizon", "7", "--folds", "2", "--quiet",
                 "--output", str(out))
    assert again.wait(timeout=120) == 0
    assert len(_assert_only_complete_runs(out)) == 2


@pytest.mark.slow
@linux_only
def test_more_jobs_than_work_starts_no_more_workers_than_cores(tmp_path):
    run = _cli("backtest", "--models", "arima", "--horizon", "7", "--folds", "12", "--jobs", "999",
               "--quiet", "--output", str(tmp_path / "out"))
    workers = _workers(run.pid)
    assert len(workers) <= os.cpu_count()
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    board = json.loads((_assert_only_complete_runs(tmp_path / "out")[0] / "run.json").read_text())
    assert board["parameters"]["n_jobs"] == 999
