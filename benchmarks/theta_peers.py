"""AutoTheta against statsforecast's ``AutoTheta`` on real series: the chosen model, the
seasonal decision and the point forecasts; ``fixture`` writes tests/data/auto_theta_statsforecast.json.

    PYTHONPATH=. /work/main/.venv-peers/bin/python benchmarks/theta_peers.py           # compare
    PYTHONPATH=. /work/main/.venv-peers/bin/python benchmarks/theta_peers.py fixture   # and write the fixture

Each series' last ``horizon`` values are held out. Two comparisons: (1) each of the four models
forced, without seasonal adjustment (statsforecast with ``season_length=1``), which must agree
to rounding on every series; (2) the automatic choice with the season, which agrees where the two
seasonality tests (statsmodels' in ours, statsforecast's own) give the same answer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import tsforecast

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "auto_theta_statsforecast.json"
COMMAND = "PYTHONPATH=. /work/main/.venv-peers/bin/python benchmarks/theta_peers.py fixture"


def series() -> dict[str, tuple[pd.Series, int]]:
    """name -> (series, horizon): statsmodels' bundled data (not R's datasets, not fpp)."""
    import statsmodels.api as sm

    macro = sm.datasets.macrodata.load_pandas().data
    quarters = pd.date_range("1959-01", periods=len(macro), freq="QS")
    nile = sm.datasets.nile.load_pandas().data
    co2 = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean().interpolate()["1980":]
    sun = sm.datasets.sunspots.load_pandas().data
    return {
        "macro_cpi": (pd.Series(macro["cpi"].to_numpy(), quarters), 8),
        "macro_unemp": (pd.Series(macro["unemp"].to_numpy(), quarters), 8),
        "nile": (pd.Series(nile["volume"].to_numpy(), pd.date_range("1871", periods=len(nile), freq="YS")), 8),
        "co2_monthly": (co2, 12),
        "sunspots": (pd.Series(sun["SUNACTIVITY"].to_numpy(), pd.date_range("1700", periods=len(sun), freq="YS")), 8),
    }


def cases() -> list[dict]:
    from statsforecast.theta import auto_theta, forecast_theta

    out = []
    for name, (y, horizon) in series().items():
        train = y.iloc[:-horizon]
        values = train.to_numpy(dtype="float64")
        season = tsforecast.get_model("auto_theta").fit(train).season_
        forced = {}
        for model in ("STM", "OTM", "DSTM", "DOTM"):
            sf = forecast_theta(auto_theta(values, 1, model=model), horizon)["mean"]
            ours = tsforecast.get_model("auto_theta", model=model, deseasonalize=False).fit(train).predict(horizon)
            forced[model] = {"statsforecast": np.asarray(sf).tolist(),
                             "max_abs_diff": float(np.max(np.abs(sf - ours.to_numpy())))}
        fit = auto_theta(values, season)
        sf_auto = forecast_theta(fit, horizon)["mean"]
        ours = tsforecast.get_model("auto_theta").fit(train)
        out.append({"series": name, "freq": train.index.freqstr, "start": str(train.index[0]), "season": season,
                    "horizon": horizon, "y": values.tolist(), "forced": forced,
                    "auto": {"statsforecast": np.asarray(sf_auto).tolist(), "sf_model": fit["modeltype"],
                             "sf_decomposition": fit["decomposition_type"] if fit.get("decompose") else "none",
                             "ours_model": ours.model_, "ours_decomposition": ours.method_,
                             "max_abs_diff": float(np.max(np.abs(sf_auto - ours.predict(horizon).to_numpy())))}})
    return out


def main() -> None:
    found = cases()
    for case in found:
        forced = ", ".join(f"{m} {v['max_abs_diff']:.1e}" for m, v in case["forced"].items())
        auto = case["auto"]
        print(f"{case['series']:<12} forced: {forced}; auto: sf {auto['sf_model']}/{auto['sf_decomposition']}, "
              f"ours {auto['ours_model']}/{auto['ours_decomposition']}, max diff {auto['max_abs_diff']:.2e}")
    if sys.argv[1:] == ["fixture"]:
        FIXTURE.write_text(json.dumps({"command": COMMAND, "statsforecast": "2.1.1", "cases": found}) + "\n")
        print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
