"""ETS on seasons above 24 observations: STL-adjusted (the default) against the non-seasonal
forms alone (what ETS did before) and the seasonal baselines, on real weekly series.

Series: statsmodels' raw weekly Mauna Loa co2 (1958-2001, gaps filled by interpolation), the
CTA weekly bus and rail totals 2015-2019 of the dev set (``accuracy_suite.py --set dev``;
skipped when the CTA file is absent) and three weeks of half-hourly electricity demand
(pmdarima's ``taylor``, as stored in ``tests/data/mstl_statsforecast.json``; season 48).
Protocol of the accuracy suite: 5 rolling origins, horizon 8 (the suite's default for a season
it has no horizon for), refit at every origin, MASE against each fold's in-sample
seasonal-naive MAE, 80% coverage, CPU seconds per fit.

ETS on such a season *is* ``mstl`` on that one period with a non-seasonal ETS trend: the
``ets`` and ``mstl_one_period`` columns must be equal (the script checks it).

    .venv/bin/python benchmarks/ets_long_seasons.py
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.core.frequency import infer_season

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy_suite import dev_set, horizon_for  # noqa: E402

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "data" / "mstl_statsforecast.json"


def series() -> dict[str, pd.Series]:
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"].interpolate()
    out = {"co2_weekly": weekly.asfreq("W-SAT")}
    out.update({k: v for k, v in dev_set().items() if k.endswith("_weekly")})
    case = next(c for c in json.loads(FIXTURE.read_text())["cases"] if c["periods"] == [48, 336])
    out["taylor_half_hourly"] = pd.Series(case["y"], pd.date_range(case["start"], periods=len(case["y"]),
                                                                   freq=case["freq"]))
    return out


def main() -> None:
    rows = []
    for name, y in series().items():
        season = infer_season(y.index.freq)  # what ETS takes by default
        models = {"ets": tsforecast.ETS(), "ets_nonseasonal": tsforecast.ETS(model="ZZN"),
                  "mstl_one_period": tsforecast.MSTL(periods=[season]), "snaive": "snaive", "theta": "theta"}
        started = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = backtest(y.rename(name), models, horizon=horizon_for(y), n_windows=5, seed=0)
        frame = result.forecasts.set_index(["model", "cutoff", "step"])["forecast"]
        gap = float((frame.loc["ets"] - frame.loc["mstl_one_period"]).abs().max())
        print(f"{name}: season {season}, largest |ets - mstl_one_period| forecast gap {gap:.3g}", file=sys.stderr)
        board = result.leaderboard()
        for model, row in board.iterrows():
            rows.append({"series": name, "model": model, "mase": row["mase"], "coverage": row["coverage"]})
        print(f"{name}: {len(y)} points, {time.process_time() - started:.1f} CPU s", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    print(table.pivot(index="series", columns="model", values="mase").round(3).to_string())
    print(table.pivot(index="series", columns="model", values="coverage").round(3).to_string())


if __name__ == "__main__":
    main()
