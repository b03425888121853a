"""ETS on seasons above 24 observations: STL-adjusted (the default) against the non-seasonal
forms alone (what ETS did before) and the seasonal baselines, on real weekly series.

Series: statsmodels' raw weekly Mauna Loa co2 (1958-2001, gaps filled by interpolation) and
the CTA weekly bus and rail totals 2015-2019 of the dev set (``accuracy_suite.py --set dev``;
skipped when the CTA file is absent). Protocol of the accuracy suite: 5 rolling origins,
horizon 8 (the suite's default for a season it has no horizon for), refit at every origin,
MASE against each fold's in-sample seasonal-naive MAE, 80% coverage, CPU seconds per fit.

    .venv/bin/python benchmarks/ets_long_seasons.py
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import pandas as pd

import tsforecast
from tsforecast.backtest import backtest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy_suite import dev_set, horizon_for  # noqa: E402


def series() -> dict[str, pd.Series]:
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"].interpolate()
    out = {"co2_weekly": weekly.asfreq("W-SAT")}
    out.update({k: v for k, v in dev_set().items() if k.endswith("_weekly")})
    return out


def main() -> None:
    models = {"ets": tsforecast.ETS(), "ets_nonseasonal": tsforecast.ETS(model="ZZN"), "snaive": "snaive",
              "theta": "theta"}
    rows = []
    for name, y in series().items():
        started = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = backtest(y.rename(name), models, horizon=horizon_for(y), n_windows=5, seed=0)
        board = result.leaderboard()
        for model, row in board.iterrows():
            rows.append({"series": name, "model": model, "mase": row["mase"], "coverage": row["coverage"]})
        print(f"{name}: {len(y)} points, {time.process_time() - started:.1f} CPU s", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    print(table.pivot(index="series", columns="model", values="mase").round(3).to_string())
    print(table.pivot(index="series", columns="model", values="coverage").round(3).to_string())


if __name__ == "__main__":
    main()
