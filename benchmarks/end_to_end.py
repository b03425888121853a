"""Wall time of the README's main job (sarima + lstm on the embedded ridership data) and
where it goes: fit, predict, report."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import tsforecast
from tsforecast.backtest import backtest

if __name__ == "__main__":
    start = time.perf_counter()
    rail = tsforecast.load_dataset("ridership")["rail"]
    result = backtest(rail, ["sarima", "lstm"], horizon=14, n_windows=5)
    run = time.perf_counter() - start
    report_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        tsforecast.write_report(result, Path(folder) / "r.html")
        result.to_csv(folder)
    report = time.perf_counter() - report_start
    totals = result.timings.groupby("model")[["fit_time", "predict_time"]].sum()
    print(totals.round(2).to_string())
    print(f"backtest {run:.1f} s, report {report:.1f} s, total {run + report:.1f} s")
    print(result.leaderboard()[["mae", "mase", "skill", "p_vs_baseline"]].round(3).to_string())
