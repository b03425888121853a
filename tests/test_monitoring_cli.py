"""``tsforecast monitor`` and ``forecast --refit-on-drift`` on a real SQLite store: the daily
loop through the commands (backtest --store, fit, forecast --from --store, monitor), exit 0
while the errors are as promised and 5 when a drift alarm fires, the outputs, the refit that
follows, and bad input as one ``error:`` line with exit 2."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tsforecast.app.cli import EXIT_USAGE, app
from tsforecast.app.console import EXIT_DRIFT, EXIT_OK
from tsforecast.persistence import read_metadata
from tsforecast.store import Store

from .conftest import weekly_series
from .store_backends import BACKENDS, free_port, store_location

runner = CliRunner()
HISTORY, LIVE, SHIFT_AT, SHIFT = 200, 16, 10, 40.0


def _csv(y: pd.Series, path: Path) -> Path:
    y.rename("y").to_frame().rename_axis("date").to_csv(path)
    return path


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args])
    return result.exit_code, result.output


@pytest.fixture(scope="module", params=BACKENDS)
def loop(request, tmp_path_factory):
    """The whole loop, one day at a time, on a SQLite file and on a real PostgreSQL server:
    each day's forecast is recorded, then the day's actual arrives and is scored. The level
    rises by 40 (about 10 scales) on live day 10."""
    folder = tmp_path_factory.mktemp("loop")
    y = weekly_series(HISTORY + LIVE, seed=5)
    y.iloc[HISTORY + SHIFT_AT:] += SHIFT
    locations = store_location(request.param, folder)
    store, model = next(locations), folder / "snaive.tsf"
    history = _csv(y.iloc[:HISTORY], folder / "history.csv")
    assert _run("backtest", "--models", "snaive", "--data", str(history), "--store", store, "--quiet",
                "--output", str(folder / "bt"))[0] == EXIT_OK
    assert _run("fit", "--model", "snaive", "--data", str(history), "--save", str(model), "--quiet")[0] == EXIT_OK
    days = []
    for day in range(LIVE):
        known = _csv(y.iloc[:HISTORY + day], folder / "data.csv")
        code, out = _run("forecast", "--from", str(model), "--data", str(known), "--store", store, "--quiet",
                         "--output", str(folder / "fc"))
        assert code == EXIT_OK, out
        actual = _csv(y.iloc[HISTORY + day:HISTORY + day + 1], folder / "actual.csv")
        code, out = _run("monitor", "--store", store, "--data", str(actual), "--output", str(folder / "mon"),
                         "--name", f"day{day}", "--quiet")
        days.append((code, out))
    yield {"folder": folder, "store": store, "model": model, "days": days, "y": y}
    with contextlib.suppress(StopIteration):
        next(locations)  # drops the PostgreSQL database


def test_monitor_exits_5_on_the_day_the_alarm_fires_and_0_before(loop):
    codes = [code for code, _ in loop["days"]]
    assert set(codes) <= {EXIT_OK, EXIT_DRIFT}
    first = codes.index(EXIT_DRIFT)
    assert SHIFT_AT <= first < SHIFT_AT + 7, codes
    assert "drift: snaive on y: alarm at" in loop["days"][first][1]


def test_monitor_writes_its_outputs_and_records_the_scores(loop):
    day = loop["folder"] / "mon" / "day3"
    assert {p.name for p in day.iterdir()} == {"report.html", "scores.csv", "alarms.csv", "run.json"}
    meta = json.loads((day / "run.json").read_text())
    # day 3's actual closes the forecasts of the four runs made so far (origins days -1 to 2)
    assert meta["scored"] == 4 and meta["new_alarms"] == []
    with Store(loop["store"]) as store:
        scores = store.scores()
    assert not scores.duplicated(["run_id", "series_id", "target_time"]).any()
    assert len(scores) == sum(min(day + 1, 14) for day in range(LIVE))
    html = (day / "report.html").read_text()
    assert "Monitoring report" in html and "No drift alarm" in html


def test_scoring_the_same_actuals_again_adds_nothing(loop, tmp_path):
    actual = _csv(loop["y"].iloc[HISTORY:HISTORY + 3], tmp_path / "again.csv")
    with Store(loop["store"]) as store:
        before = len(store.scores())
    code, out = _run("monitor", "--store", loop["store"], "--data", str(actual), "--output", str(tmp_path))
    assert code == EXIT_OK, out  # no new score, so no new alarm
    with Store(loop["store"]) as store:
        assert len(store.scores()) == before


def test_refit_on_drift_refits_the_saved_model_once(loop, tmp_path):
    model = tmp_path / "snaive.tsf"
    model.write_bytes(loop["model"].read_bytes())
    trained = read_metadata(model)["training"]["last"]
    data = _csv(loop["y"], tmp_path / "all.csv")
    args = ("forecast", "--from", str(model), "--data", str(data), "--refit-on-drift", "--store", loop["store"],
            "--output", str(tmp_path / "out"))
    code, out = _run(*args)
    assert code == EXIT_OK, out
    assert "refit: drift alarm for snaive on y" in out
    assert pd.Timestamp(read_metadata(model)["training"]["last"]) == loop["y"].index[-1] > pd.Timestamp(trained)
    (run,) = (tmp_path / "out").iterdir()
    assert json.loads((run / "run.json").read_text())["refit_on_drift"]["since"]
    code, out = _run(*args)  # the refitted model has seen the alarm: no second refit
    assert code == EXIT_OK and "refit:" not in out


def test_bad_input_is_one_error_line_and_exit_2(loop, tmp_path):
    actual = _csv(loop["y"].iloc[-1:], tmp_path / "a.csv")
    unreachable = f"postgresql+psycopg://nobody:secret@127.0.0.1:{free_port()}/none"
    for args, expected in (
        (("monitor", "--data", str(actual)), "--store is required"),
        (("monitor", "--store", loop["store"]), "--data is required"),
        (("monitor", "--store", unreachable, "--data", str(actual)), "127.0.0.1"),
        (("monitor", "--store", str(tmp_path / "empty.db"), "--data", str(actual)), "holds no forecast"),
        (("forecast", "--from", str(loop["model"]), "--data", str(actual), "--refit-on-drift"), "give --store"),
    ):
        code, out = _run(*args, "--output", str(tmp_path / "o"))
        assert code == EXIT_USAGE, out
        assert out.count("error:") == 1 and expected in out, out
        assert "secret" not in out
    assert not (tmp_path / "o").exists()  # nothing written


def test_unknown_series_in_the_actuals_is_a_warning_and_the_rest_is_scored(loop, tmp_path):
    path = tmp_path / "panel.csv"
    pd.DataFrame({"date": [loop["y"].index[-1]] * 2, "id": ["y", "ghost"], "value": [1.0, 2.0]}).to_csv(path,
                                                                                                       index=False)
    code, out = _run("monitor", "--store", loop["store"], "--data", str(path), "--id-column", "id",
                     "--output", str(tmp_path / "o"), "--quiet")
    assert code in (EXIT_OK, EXIT_DRIFT), out
    assert "warning:" in out and "ghost" in out
    (run,) = (tmp_path / "o").iterdir()
    unscored = pd.read_csv(run / "unscored.csv")
    assert unscored["series_id"].tolist() == ["ghost"] and unscored["reason"].tolist() == ["unknown series id"]
