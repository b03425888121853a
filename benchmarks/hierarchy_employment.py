"""Accuracy per level on a real five-level hierarchy: US employment by industry (BLS CES).

Runs in the peers venv (hierarchicalforecast for the equality check; tsforecast from this
checkout, put first on the path):

    .venv-peers/bin/pip install vega_datasets==0.9.0
    .venv-peers/bin/python benchmarks/hierarchy_employment.py                       # ets,auto_arima
    .venv-peers/bin/python benchmarks/hierarchy_employment.py --models auto --folds 4

The data (``tsforecast.hierarchy.us_employment``): 15 industries, monthly 2006-01..2015-12,
seasonally adjusted, in thousands; levels total > sector > domain > supersector > industry,
the industries that are not split as far repeated down (32 series). Each model is backtested
on every series with ``backtest_hierarchy`` (rolling origins, every fold refitted) and
reconciled by every method; for each it prints the CPU seconds, MASE per level of the base
forecasts and of each reconciliation with the change against the base, the largest
incoherence of every reconciled forecast (each series against the sum of its children, over
all cutoffs and steps, relative to the largest value), and the largest difference from
hierarchicalforecast's reconciliation of the same base forecasts at the last cutoff
(:func:`hierarchy_peers.compare`). Seasonal naive (the backtest's baseline) is shown once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "benchmarks"))

from tsforecast.backtest.hierarchical import backtest_hierarchy, level_accuracy  # noqa: E402
from tsforecast.hierarchy import (  # noqa: E402
    EMPLOYMENT_LEVELS,
    METHODS,
    POINT_ONLY_METHODS,
    Hierarchy,
    aggregate,
    us_employment,
)
from tsforecast.report.hierarchy import change_text  # noqa: E402


def incoherence(h: Hierarchy, result, label: str) -> float:
    """The largest |series - sum of its children| over every aggregate, cutoff and step of
    ``label``'s forecasts (and medians, where given), relative to the largest |forecast|."""
    rows = result.forecasts[result.forecasts["model"] == label]
    method = result.model_parameters[label]["reconciliation"]
    worst = 0.0
    for column in ["forecast"] if method in POINT_ONLY_METHODS else ["forecast", "q0.5"]:
        table = rows.pivot_table(index=["cutoff", "step"], columns="series", values=column)[h.ids].to_numpy()
        scale = float(np.abs(table).max())
        for parent in np.unique(h.parent[h.parent >= 0]):
            children = np.flatnonzero(h.parent == parent)
            worst = max(worst, float(np.abs(table[:, parent] - table[:, children].sum(axis=1)).max()) / scale)
    return worst


def per_level_table(table: pd.DataFrame, model: str, methods: list[str]) -> str:
    """Markdown: one row for the base model and one per method, MASE per level, the methods'
    change against the base beside their MASE (negative: more accurate)."""
    labels = [lv.rsplit("/", 1)[-1] for lv in table.index]
    lines = ["| model | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    lines.append(f"| {model} | " + " | ".join(f"{v:.3f}" for v in table[model]) + " |")
    for method in methods:
        label = f"{model}/{method}"
        cells = [f"{v:.3f} ({change_text(v / b - 1)})" for v, b in zip(table[label], table[model], strict=True)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="ets,auto_arima")
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--no-peer", action="store_true", help="skip the comparison with hierarchicalforecast")
    args = parser.parse_args()
    frame = us_employment()
    levels = list(EMPLOYMENT_LEVELS)
    h = aggregate(frame, levels, time_column="month", target_column="employment")
    print(f"US employment: {len(h.ids)} series ({h.n_bottom} bottom), levels "
          + ", ".join(f"{lv.rsplit('/', 1)[-1]} ({len(rows)})" for lv, rows in h.levels.items())
          + f"; {args.folds} folds of horizon {args.horizon}")
    baseline_shown = False
    for model in args.models.split(","):
        started = time.process_time()
        result = backtest_hierarchy(frame, [model], levels, time_col="month", target_col="employment",
                                    horizon=args.horizon, n_windows=args.folds, methods=METHODS)
        seconds = time.process_time() - started
        cutoffs = sorted(result.forecasts["cutoff"].unique())
        print(f"\n## {model}: backtest + reconciliation {seconds:.1f} CPU s; cutoffs "
              f"{pd.Timestamp(cutoffs[0]):%Y-%m}..{pd.Timestamp(cutoffs[-1]):%Y-%m}")
        table = level_accuracy(result)
        if not baseline_shown:
            print("snaive (seasonal naive) MASE per level: "
                  + ", ".join(f"{lv.rsplit('/', 1)[-1]} {v:.3f}" for lv, v in table["snaive"].items()))
            baseline_shown = True
        print(per_level_table(table, model, list(METHODS)))
        gaps = {m: incoherence(h, result, f"{model}/{m}") for m in METHODS}
        print("largest incoherence / largest |forecast|: " + ", ".join(f"{m} {g:.1e}" for m, g in gaps.items()))
        if not args.no_peer:
            from hierarchy_peers import compare

            diffs = compare(h, result, model)
            print("largest difference from hierarchicalforecast / mean |y| (last cutoff): "
                  + ", ".join(f"{m} {d:.1e}" for m, d in diffs.items()))


if __name__ == "__main__":
    main()
