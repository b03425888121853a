"""The global LSTM against neuralforecast's LSTM on the same folds: MASE and CPU side by side.

Runs in the peers venv (neuralforecast 3.3.0; tsforecast is imported from this checkout):

    .venv-peers/bin/python benchmarks/global_peers.py [--series N] [--folds 3] [--max-steps 1000]
        [--max-epochs 200] [--sample series|windows] [--panel-scale seasonal|std|window]
        [--loss huber|mae|mse] [--hidden 32] [--panel stations|cta|stocks] [--skip-peer]
        [--model lstm|gru|wavenet|rnn] [--validation-fraction F] [--log-epochs] [--series-ids]

The panel (the bundled ``stations``: 30 ragged daily series of 120 to 1,399 days, or its first
``--series``; ``cta``: CTA rail and bus boardings as two series, skipped cleanly when the file is
absent; ``stocks``: monthly prices of 10 US stocks and indices, 1990-2015, matplotlib's sample
data) is backtested by tsforecast with a global ``lstm`` (or ``--model``) and seasonal naive (horizon 14,
``--folds`` rolling windows every 14 days, cut from each series' own end, seed 0). For each of
those folds, neuralforecast's ``LSTM`` is fitted on every series up to its cutoff (the same
``input_size`` as tsforecast's window, 56 days or 96 months; ``h=14``; ``max_steps``; its defaults otherwise:
robust scaling per window, MAE loss, 32 series x 128 windows per step) and forecasts the same 14
days. Both are scored with the same per-series MASE (each fold's in-sample seasonal-naive MAE as
the scale, averaged over the series' points); printed: mean and median MASE over series, the
share of series beating seasonal naive, CPU seconds (``time.process_time``, all threads of this
process) and the training windows each model read. Torch runs one thread for both.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import tsforecast  # noqa: E402
from tsforecast.backtest import backtest  # noqa: E402
from tsforecast.core.frequency import infer_season  # noqa: E402
from tsforecast.models.window_rules import default_window  # noqa: E402

HORIZON, SEED = 14, 0
#: each panel's pandas frequency (neuralforecast's ``freq``)
FREQ = {"stations": "D", "cta": "D", "stocks": "MS"}
PANEL = dict(id_col="station", time_col="date", target_col="riders")


def load_panel(name: str, series: int | None) -> pd.DataFrame | None:
    """The long panel (station, date, riders), or None when its data is absent."""
    if name == "stations":
        panel = tsforecast.load_dataset("stations").reset_index()
        if series is not None:
            keep = panel["station"].drop_duplicates().iloc[:series]
            panel = panel[panel["station"].isin(keep)]
        return panel
    if name == "stocks":
        # monthly closing prices of 10 US stocks and indices (Yahoo Finance, 1990-2015, ragged
        # starts), the sample data matplotlib installs
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "sample_data" / "Stocks.csv"
        if not path.is_file():
            return None
        wide = pd.read_csv(path, comment="#", parse_dates=["Date"]).rename(columns={"Date": "date"})
        # the month-start closes; the file's few mid-month rows (one stock each) are dropped
        wide = wide[wide["date"].dt.day == 1]
        long = wide.melt(id_vars="date", var_name="station", value_name="riders").dropna()
        return long.sort_values(["station", "date"]).reset_index(drop=True)
    from _cta import CTA_PATH, load_rail  # the CTA file, read by path (never copied)

    if not CTA_PATH.is_file():
        return None
    frame = load_rail()
    long = frame[["rail", "bus"]].rename_axis("date").reset_index().melt(
        id_vars="date", var_name="station", value_name="riders")
    return long


def per_series_mase(rows: pd.DataFrame) -> pd.Series:
    """MASE per series: scaled absolute errors averaged over the series' forecast points."""
    scaled = (rows["forecast"] - rows["actual"]).abs() / rows["scale"]
    return scaled.groupby(rows["series"]).mean()


def run_peer(
    panel: pd.DataFrame, cutoffs: pd.DataFrame, max_steps: int, freq: str, window: int
) -> tuple[pd.DataFrame, float, int]:
    """neuralforecast's LSTM fitted per fold on every series up to its cutoff: its forecasts
    (series, timestamp, forecast), CPU seconds and training windows read."""
    import torch
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    torch.set_num_threads(1)
    df = panel.rename(columns={"station": "unique_id", "date": "ds", "riders": "y"})[["unique_id", "ds", "y"]]
    df["y"] = df["y"].astype("float64")
    out, cpu = [], 0.0
    for _fold, group in cutoffs.groupby("fold"):
        cut = df.merge(group.rename(columns={"series": "unique_id"}), on="unique_id")
        train = cut[cut["ds"] <= cut["cutoff"]][["unique_id", "ds", "y"]]
        # neuralforecast refuses a panel with a series shorter than its input; tsforecast
        # fails such a series alone, and it is left out of the comparison either way
        lengths = train.groupby("unique_id")["y"].transform("size")
        train = train[lengths >= window + HORIZON]
        started = time.process_time()
        model = LSTM(h=HORIZON, input_size=window, max_steps=max_steps, random_seed=SEED + 1,
                     enable_progress_bar=False, enable_model_summary=False, logger=False,
                     accelerator="cpu", devices=1)
        nf = NeuralForecast(models=[model], freq=freq)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nf.fit(train)
            predicted = nf.predict()
        cpu += time.process_time() - started
        predicted = predicted.reset_index() if "unique_id" not in predicted.columns else predicted
        out.append(predicted.rename(columns={"unique_id": "series", "ds": "timestamp", "LSTM": "forecast"})[
            ["series", "timestamp", "forecast"]])
    windows = max_steps * 128 * len(out)
    return pd.concat(out, ignore_index=True), cpu, windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", choices=("stations", "cta", "stocks"), default="stations")
    parser.add_argument("--model", choices=("lstm", "gru", "wavenet", "rnn"), default="lstm",
                        help="tsforecast's global network (neuralforecast's is always its LSTM)")
    parser.add_argument("--series", type=int, default=None)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--max-steps", type=int, default=1000, help="neuralforecast's training steps per fold")
    parser.add_argument("--max-epochs", type=int, default=None, help="tsforecast's max_epochs (default: its own)")
    parser.add_argument("--sample", choices=("series", "windows"), default=None,
                        help="tsforecast's window sampling on a panel (default: its own)")
    parser.add_argument("--panel-scale", choices=("seasonal", "std", "window"), default=None,
                        help="tsforecast's scaling of each series on a panel (default: its own)")
    parser.add_argument("--loss", default=None, help="tsforecast's loss (default: its own)")
    parser.add_argument("--hidden", type=int, default=None, help="tsforecast's hidden units (default: its own)")
    parser.add_argument("--validation-fraction", type=float, default=None,
                        help="tsforecast's held-out share of each series' windows (default: its own)")
    parser.add_argument("--skip-peer", action="store_true", help="tsforecast only (the default venv works too)")
    parser.add_argument("--series-ids", action="store_true",
                        help="tsforecast reads a one-hot of each series' id as static known columns (through "
                             "the network's input and head weights: a learned series embedding)")
    parser.add_argument("--log-epochs", action="store_true",
                        help="print tsforecast's train and validation loss per epoch")
    args = parser.parse_args()
    panel = load_panel(args.panel, args.series)
    if panel is None:
        print(f"skipped: the data of panel {args.panel!r} is absent")
        return
    epochs: list[tuple[int, int, float, float]] = []  # (epoch, max_epochs, train loss, validation loss)
    def progress(*epoch: float) -> None:
        epochs.append(epoch)
        if args.log_epochs:
            print("epoch {}/{}: train loss {:.4f}, validation loss {:.4f}".format(*epoch), flush=True)

    params: dict = {"scope": "global", "seed": SEED, "n_threads": 1, "progress": progress}
    if args.max_epochs is not None:
        params["max_epochs"] = args.max_epochs
    if args.sample is not None:
        params["sample"] = args.sample
    if args.loss is not None:
        params["loss"] = args.loss
    if args.hidden is not None:
        params["hidden"] = args.hidden
    if args.validation_fraction is not None:
        params["validation_fraction"] = args.validation_fraction
    if args.panel_scale is not None:
        params["panel_scale"] = args.panel_scale
    model = tsforecast.get_model(args.model, **params)
    exog: dict = {}
    if args.series_ids:
        ids = pd.get_dummies(panel["station"].astype(str), prefix="id", dtype=float)
        panel = pd.concat([panel, ids], axis=1)
        exog = {"exog_columns": list(ids.columns)}
    started = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(panel, {args.model: model}, horizon=HORIZON, n_windows=args.folds, seed=SEED, **PANEL,
                          **exog)
    ts_cpu = time.process_time() - started
    rows = result.forecasts[["series", "model", "cutoff", "timestamp", "actual", "forecast", "scale"]]
    base = rows[rows["model"] == "snaive"].drop(columns=["model", "forecast"])
    ours = f"tsforecast {args.model}"
    table = {"snaive": per_series_mase(rows[rows["model"] == "snaive"]),
             ours: per_series_mase(rows[rows["model"] == args.model])}
    cpu = {ours: ts_cpu}
    # an epoch draws epoch_windows windows (fewer only on a panel with fewer training windows)
    windows = {ours: len(epochs) * model.epoch_windows}
    print(f"tsforecast: {len(epochs)} epochs over {args.folds} folds; last epoch train loss {epochs[-1][2]:.4f}, "
          f"validation loss {epochs[-1][3]:.4f}; best validation loss {min(e[3] for e in epochs):.4f}", flush=True)
    if not args.skip_peer:
        cutoffs = base[["series", "cutoff"]].drop_duplicates().sort_values(["series", "cutoff"])
        cutoffs["fold"] = cutoffs.groupby("series").cumcount()
        freq = FREQ[args.panel]
        # neuralforecast reads what tsforecast's window rule gives (56 days, 96 months)
        window = default_window(infer_season(pd.tseries.frequencies.to_offset(freq)))
        peer, peer_cpu, peer_windows = run_peer(panel, cutoffs, args.max_steps, freq, window)
        peer["series"] = peer["series"].astype(str)
        merged = base.merge(peer, on=["series", "timestamp"], how="inner")
        table["neuralforecast LSTM"] = per_series_mase(merged)
        cpu["neuralforecast LSTM"] = peer_cpu
        windows["neuralforecast LSTM"] = peer_windows
    scores = pd.DataFrame(table)
    dropped = scores.index[scores.isna().any(axis=1)].tolist()
    if dropped:  # compared on the series every model forecast (a series shorter than the window fails alone)
        print(f"not scored by every model, left out: {dropped}")
    scores = scores.dropna()
    snaive = scores["snaive"]
    summary = pd.DataFrame({
        "mean MASE": scores.mean(), "median MASE": scores.median(),
        "beats snaive": scores.lt(snaive, axis=0).mean(),
        "CPU s": pd.Series(cpu), "training windows": pd.Series(windows),
    })
    print(f"panel {args.panel}: {scores.shape[0]} series, {args.folds} folds, horizon {HORIZON}")
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
