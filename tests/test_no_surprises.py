"""Inputs that used to fail late, silently or with a foreign error: out-of-range seeds and time
limits, values too large for floating point, a closed stderr, and a script that starts worker
processes without a main guard."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tsforecast
from tsforecast.app.cli import app
from tsforecast.backtest import backtest
from tsforecast.backtest.executors import unguarded_main_script
from tsforecast.core.errors import ConfigError, DataError
from tsforecast.core.params import MAX_SEED

from .conftest import weekly_series
from .test_cli import assert_one_line_usage_error

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("args, fragment", [
    (["--seed", "-1"], "seed must be an integer from 0 to 4294967295, got -1"),
    (["--seed", str(MAX_SEED + 1)], "seed must be an integer from 0"),
    (["--time-limit", "1e308"], "time-limit must be a positive number of seconds up to 31,536,000"),
    (["--time-limit", "0"], "time-limit must be a positive number of seconds"),
])
def test_seeds_and_time_limits_out_of_range_are_refused_before_any_fit(tmp_path, args, fragment):
    result = runner.invoke(app, ["backtest", "--models", "snaive", "--output", str(tmp_path), *args])
    assert_one_line_usage_error(result, fragment)
    assert not any(tmp_path.iterdir())


def test_the_library_refuses_the_same_ranges(daily):
    with pytest.raises(ConfigError, match="seed must be an integer from 0"):
        backtest(daily, ["naive"], horizon=7, n_windows=2, seed=-1)
    with pytest.raises(ConfigError, match="time_limit must be a positive number of seconds"):
        backtest(daily, ["naive"], horizon=7, n_windows=2, time_limit=1e308)
    with pytest.raises(ConfigError, match="lstm: seed must be an integer from 0"):
        tsforecast.LSTM(seed=-1).fit(daily)
    # the largest seed is a seed every generator takes
    model = tsforecast.ETS(seed=MAX_SEED).fit(daily)
    bounds, forecast = model.predict_interval(7), model.predict(7)
    assert ((bounds["lower"] < forecast) & (forecast < bounds["upper"])).all()


@pytest.mark.parametrize("model", ["sarima", "theta", "naive"])
def test_values_beyond_floating_point_s_reach_are_a_data_error(model):
    y = pd.Series(np.tile([1e308, -1e308], 30), index=pd.date_range("2020-01-01", periods=60, freq="D"))
    with pytest.raises(DataError, match=r"values too large to model .* Fix: rescale"):
        tsforecast.get_model(model).fit(y)


@settings(max_examples=15, deadline=None)
@given(st.integers(-6, 140))
def test_any_scale_up_to_the_bound_forecasts_finite_values(power):
    y = weekly_series(60) * 10.0**power
    forecast = tsforecast.get_model("theta").fit(y).predict(7)
    level = y.iloc[-14:].abs().mean()
    # the method is scale-equivariant: the same forecast as on the series in its own units
    unscaled = tsforecast.get_model("theta").fit(weekly_series(60)).predict(7)
    np.testing.assert_allclose(forecast.to_numpy() / 10.0**power, unscaled.to_numpy(), rtol=1e-6)
    assert (forecast.abs() < 10 * level).all() and (forecast.abs() > level / 10).all()


def test_a_closed_stderr_does_not_fail_a_run_that_wrote_its_outputs(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # whatever reads stderr went away: every write to it is a broken pipe
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), "backtest", "--models", "naive", "--horizon", "7", "--folds",
             "2", "--output", str(tmp_path), "--name", "run"],
            stderr=write_end, stdout=subprocess.PIPE, timeout=300,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0
    assert (tmp_path / "run" / "leaderboard.csv").is_file() and (tmp_path / "run" / "report.html").is_file()


SCRIPT = """
import pandas as pd
from tsforecast.backtest import backtest
y = pd.Series(range(60), index=pd.date_range("2020-01-01", periods=60, freq="D"), dtype=float)
{body}
"""


@pytest.mark.parametrize("guarded", [False, True])
def test_a_script_that_starts_workers_without_a_main_guard_is_told_what_to_add(tmp_path, guarded):
    call = ('print(backtest(y, ["naive", "mean"], horizon=7, n_windows=2, n_jobs=2)'
            '.leaderboard()["mae"].round(3).to_dict())')
    body = f'if __name__ == "__main__":\n    {call}' if guarded else call
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(body=body))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    if guarded:
        assert done.returncode == 0, done.stderr
        assert "'naive': 4.0" in done.stdout
    else:
        assert done.returncode == 1
        assert "ConfigError" in done.stderr and 'if __name__ == "__main__":' in done.stderr
        assert "worker process died" not in done.stderr


def test_the_guard_check_reads_the_script_s_top_level(tmp_path, monkeypatch):
    main = sys.modules["__main__"]
    for text, unguarded in [("x = 1\n", True), ("if __name__ == '__main__':\n    x = 1\n", False),
                            ("if '__main__' == __name__:\n    pass\n", False),
                            ("if __name__ == '__main__' and True:\n    pass\n", False),
                            ("try:\n    if __name__ in ('__main__',):\n        pass\nexcept Exception:\n    pass\n",
                             False),
                            ("name = __name__\nprint('__main__')\n", True)]:
        script = tmp_path / "script.py"
        script.write_text(text)
        monkeypatch.setattr(main, "__file__", str(script), raising=False)
        monkeypatch.setattr(main, "__spec__", None, raising=False)
        assert (unguarded_main_script() == str(script)) is unguarded, text


def test_usage_and_file_mistakes_are_told_before_any_model_library_loads(tmp_path):
    """A CLI error used to take seconds on a loaded machine: statsmodels and PyTorch were
    imported before the arguments and the file were checked."""
    bad = tmp_path / "bad.csv"
    bad.write_text("date,y\n2020-01-01,abc\n2020-01-02,1\n")
    code = (
        "import sys\n"
        "from tsforecast.app.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    heavy = [m for m in ('torch', 'statsmodels', 'sklearn') if m in sys.modules]\n"
        "    print(exit.code, heavy)\n"
    )
    for args in (["--models", "sarima,lsmt"], ["--data", str(tmp_path / "absent.csv")], ["--seed", "-3"],
                 ["--data", str(bad)]):
        done = subprocess.run([sys.executable, "-c", code, "backtest", *args, "--output", str(tmp_path / "out")],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert done.stdout.strip() == "2 []", (args, done.stdout, done.stderr)
        assert done.stderr.count("error:") == 1
    assert not (tmp_path / "out").exists()


def test_models_lists_one_line_on_what_each_model_is():
    from tsforecast.registry import REGISTRY, available_models, model_class

    result = runner.invoke(app, ["models"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    for name in available_models():
        assert model_class(name).short_name == name  # the registry's path leads to the model it names
        summary = REGISTRY[name].summary
        row = next(line for line in result.output.splitlines() if line.startswith(f"│ {name} "))
        assert 20 < len(summary) < 100 and " ".join(summary.split()[:3]) in row


def test_progress_names_the_model_and_series_it_waits_for(daily):
    seen: list[tuple[int, int, str]] = []
    two_arguments: list[tuple[int, int]] = []
    backtest(daily, ["naive", "mean"], horizon=7, n_windows=2, progress=lambda *a: seen.append(a))
    backtest(daily, ["naive"], horizon=7, n_windows=2, progress=lambda done, total: two_arguments.append((done, total)))
    total = seen[0][1]
    assert [done for done, _, _ in seen] == list(range(1, total + 1)) and {t for _, t, _ in seen} == {total}
    assert {running for _, _, running in seen[:-1]} <= {"snaive on y", "mean on y", "naive on y"}
    assert seen[0][2] != seen[1][2] and seen[-1][2] == ""
    assert two_arguments[-1][0] == two_arguments[-1][1]


def test_the_progress_bar_shows_series_ids_as_text_never_as_markup():
    import io

    from rich.console import Console

    from tsforecast.app import console as messages

    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    original = messages.err
    messages.err = console
    try:
        # each in a bar of its own: a bar draws its latest state when it closes
        with messages.progress(True, "backtesting") as update:
            update(1, 3, "arima on store[/x]")  # a closing tag that matches nothing: Rich would raise
        with messages.progress(True, "backtesting") as update:
            update(2, 3, "naive on [bold]A")
    finally:
        messages.err = original
    shown = console.file.getvalue()
    assert "arima on store[/x]" in shown and "naive on [bold]A" in shown

