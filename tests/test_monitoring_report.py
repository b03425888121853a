"""The monitoring report (tsforecast.report.monitoring) from plain frames: a panel with an
alarm on one series, hostile series names kept as text, bad actuals listed, and a report of
nothing scored yet."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsforecast.monitoring.drift import H, detect_drift
from tsforecast.monitoring.run import accuracy_over_time
from tsforecast.monitoring.scoring import score_forecasts
from tsforecast.report.monitoring import MonitoringTables, render_monitoring_report

HOSTILE = "<script>alert(1)</script>"
DAYS = pd.date_range("2024-01-01", periods=50, freq="D")


def _tables(series=("calm", HOSTILE)) -> MonitoringTables:
    rng = np.random.default_rng(0)
    stored, actuals = [], []
    for sid in series:
        point = 100 + rng.normal(0, 1, len(DAYS))
        stored.append(pd.DataFrame({"run_id": [f"{sid}-{i}" for i in range(len(DAYS))], "series_id": sid,
                                    "model": "snaive", "origin": DAYS - pd.Timedelta(days=1), "target_time": DAYS,
                                    "step": 1, "point": point, "scale": 1.0, "q0.1": point - 2, "q0.9": point + 2}))
        truth = point + rng.normal(0, 1, len(DAYS))
        if sid == HOSTILE:
            truth[35:] += 15  # this series drifts
        actuals.append(pd.DataFrame({"series_id": sid, "target_time": DAYS, "actual": truth}))
    actuals.append(pd.DataFrame({"series_id": ["ghost"], "target_time": [DAYS[0]], "actual": [1.0]}))
    scored = score_forecasts(pd.concat(stored, ignore_index=True), pd.concat(actuals, ignore_index=True))
    drift = detect_drift(scored.scores)
    alarms = drift.alarms.assign(new=True)
    return MonitoringTables(accuracy_over_time(scored.scores), drift.path, alarms, drift.references,
                            scored.unscored, scored.problems, H, "store.db")


def test_a_panel_report_names_the_alarm_and_keeps_hostile_names_as_text():
    html = render_monitoring_report(_tables())
    assert "<script" not in html  # no script of its own, and none injected
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "new drift alarm" in html and "ghost" in html and "unknown series id" in html
    assert html.count("<svg") == 1 + 2 * 3  # calibration, and per series forecast, rolling error, CUSUM
    # series with an alarm come first in the per-series table
    table = html[html.index("<h2>Per series</h2>"):]
    assert table.index("&lt;script&gt;") < table.index(">calm<")


def test_a_report_with_nothing_scored_still_renders():
    empty = _tables()
    nothing = MonitoringTables(empty.accuracy.iloc[:0], empty.path.iloc[:0], empty.alarms.iloc[:0],
                               empty.references.iloc[:0])
    html = render_monitoring_report(nothing)
    assert "No drift alarm" in html and "<svg" not in html
