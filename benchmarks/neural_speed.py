"""Training speed, memory and batched inference of the neural forecasters.

Sections (all on 2 threads, figures from one run, so ratios are comparable):

* ``epoch``: seconds per epoch of tsforecast's training loop next to a minimal plain-PyTorch
  loop of the same architecture on the same windows (CTA rail 2016-2018, window 56, 14
  outputs, batch 32, univariate so both see the same single input channel; both compute
  the validation loss every epoch, as early stopping needs). LSTM(32) and the WaveNet stack
  (32 filters, dilations 1,2,4,8 x2). Where darts is installed (the peers venv, see
  ``benchmarks/README.md``), its BlockRNNModel and TCNModel on the same data, 20 epochs.
  Then the default models as an analyst runs them (calendar features, early stopping).
* ``memory``: peak resident memory of fitting an LSTM on a 100,000-point series, next to the
  size the windows would take if they were materialised as copies.
* ``batched``: forecasts from 500 cutoffs with ``predict_at`` (one forward pass) against
  ``update`` + ``predict`` origin by origin.

    python benchmarks/neural_speed.py [--sections epoch,memory,batched]
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch
from _cta import load_rail
from torch import nn

import tsforecast

EPOCHS = 20
ROUNDS = 3  # interleaved repetitions per contender in the epoch section
WINDOW, HORIZON, HIDDEN, BATCH = 56, 14, 32, 32


def rail_train() -> pd.Series:
    return load_rail().loc["2016-01-01":"2018-12-31", "rail"].astype("float64")


# ----------------------------------------------------------------- plain PyTorch reference
class PlainRecurrent(nn.Module):
    """nn.RNN / nn.LSTM / nn.GRU with a Dense(14)-style head on the last step."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](1, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, HORIZON)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0][:, -1])


class PlainWaveNet(nn.Module):
    """The textbook gated residual WaveNet stack, written with ``nn.Conv1d`` as tutorials do:
    causal kernel-2 convolutions by left padding, 1x1 convolutions for residual and skip
    paths, the same sizes as tsforecast's encoder (32 channels, dilations 1,2,4,8 x2)."""

    def __init__(self, dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)) -> None:
        super().__init__()
        self.dilations = dilations
        self.inp = nn.Conv1d(1, HIDDEN, 1)
        self.convs = nn.ModuleList(nn.Conv1d(HIDDEN, 2 * HIDDEN, 2, dilation=d) for d in dilations)
        self.mixes = nn.ModuleList(nn.Conv1d(HIDDEN, HIDDEN, 1) for _ in dilations)
        self.skips = nn.ModuleList(nn.Conv1d(HIDDEN, HIDDEN, 1) for _ in dilations)
        self.head = nn.Linear(HIDDEN, HORIZON)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x.transpose(1, 2))
        skips = 0
        for d, conv, mix, skip in zip(self.dilations, self.convs, self.mixes, self.skips, strict=True):
            filt, gate = conv(nn.functional.pad(h, (d, 0))).chunk(2, dim=1)
            z = torch.tanh(filt) * torch.sigmoid(gate)
            h = h + mix(z)
            skips = skips + skip(z)
        return self.head(torch.relu(skips)[..., -1])


def plain_loop(network: nn.Module, y: pd.Series) -> float:
    """Seconds per epoch of the textbook loop: materialised windows, DataLoader-free batches."""
    values = ((y - y.mean()) / y.std()).to_numpy(dtype="float32")
    windows = np.lib.stride_tricks.sliding_window_view(values, WINDOW + HORIZON).copy()
    x = torch.from_numpy(windows[:, :WINDOW, None])
    target = torch.from_numpy(windows[:, WINDOW:])
    n_val = int(round(len(x) * 0.15))
    x_train, y_train = x[: -n_val - HORIZON + 1], target[: -n_val - HORIZON + 1]
    x_val, y_val = x[-n_val:], target[-n_val:]
    torch.manual_seed(0)
    optimiser = torch.optim.Adam(network.parameters(), lr=3e-3)
    loss_fn = nn.HuberLoss()
    start = time.perf_counter()
    for _ in range(EPOCHS):
        network.train()
        for batch in torch.randperm(len(x_train)).split(BATCH):
            optimiser.zero_grad()
            loss = loss_fn(network(x_train[batch]), y_train[batch])
            loss.backward()
            optimiser.step()
        network.eval()
        with torch.no_grad():
            loss_fn(network(x_val), y_val).item()
    return (time.perf_counter() - start) / EPOCHS


def tsforecast_loop(name: str, y: pd.Series, **params) -> tuple[float, float, int]:
    """Seconds per epoch (from the progress callback), total fit seconds, epochs run."""
    stamps: list[float] = []
    model = tsforecast.get_model(name, window=WINDOW, output_steps=HORIZON, hidden=HIDDEN,
                                 batch_size=BATCH, progress=lambda *_: stamps.append(time.perf_counter()),
                                 **params)
    start = time.perf_counter()
    model.fit(y)
    total = time.perf_counter() - start
    per_epoch = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    return per_epoch, total, len(stamps)


def darts_epoch(kind: str, y: pd.Series) -> float:
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    from darts import TimeSeries
    from darts.models import BlockRNNModel, TCNModel

    series = TimeSeries.from_series(((y - y.mean()) / y.std()).astype("float32"))
    common = dict(input_chunk_length=WINDOW, output_chunk_length=HORIZON, batch_size=BATCH,
                  n_epochs=EPOCHS, random_state=0, optimizer_kwargs={"lr": 1e-3},
                  pl_trainer_kwargs={"accelerator": "cpu", "enable_progress_bar": False,
                                     "enable_model_summary": False, "logger": False,
                                     "enable_checkpointing": False})
    if kind == "lstm":
        model = BlockRNNModel(model="LSTM", hidden_dim=HIDDEN, n_rnn_layers=1, **common)
    else:
        model = TCNModel(kernel_size=2, num_filters=HIDDEN, num_layers=4, dilation_base=2,
                         weight_norm=False, dropout=0.0, **common)
    start = time.perf_counter()
    model.fit(series)
    return (time.perf_counter() - start) / EPOCHS


def epoch_section() -> None:
    y = rail_train()
    fixed = {"calendar": False, "max_epochs": EPOCHS, "patience": 10_000}
    have_darts = importlib.util.find_spec("darts") is not None
    print(f"fixed {EPOCHS} epochs, univariate, window {WINDOW}, {HORIZON} outputs, batch {BATCH}")
    for name in ("rnn", "lstm", "gru", "wavenet"):
        # interleave the contenders and keep each one's best of ROUNDS: the machine is shared
        # and noisy (+-30% run to run), and the minimum is the least disturbed measurement
        with_darts = have_darts and name in ("lstm", "wavenet")
        reference, ours, theirs = np.inf, np.inf, np.inf
        for _ in range(ROUNDS):
            plain = PlainWaveNet() if name == "wavenet" else PlainRecurrent(name)
            reference = min(reference, plain_loop(plain, y))
            ours = min(ours, tsforecast_loop(name, y, **fixed)[0])
            if with_darts:
                theirs = min(theirs, darts_epoch(name, y))
        line = (f"  {name:<8} plain PyTorch {reference:6.3f} s/epoch   tsforecast {ours:6.3f} "
                f"s/epoch   ratio {ours / reference:4.2f}x")
        if with_darts:
            line += f"   darts {theirs:6.3f} s/epoch ({theirs / ours:4.1f}x tsforecast)"
        print(line)
    if not have_darts:
        print("  darts not installed (see benchmarks/README.md: the peers venv)")
    print("defaults as an analyst runs them (calendar features, early stopping)")
    for name in ("rnn", "lstm", "gru", "wavenet"):
        per_epoch, total, epochs = tsforecast_loop(name, y)
        print(f"  {name:<8} {per_epoch:6.3f} s/epoch   {epochs:3d} epochs   fit {total:6.1f} s")


def memory_section() -> None:
    """Run in a child process so the peak belongs to this fit alone."""
    code = (
        "import resource, numpy as np, pandas as pd, tsforecast, torch\n"
        "torch.set_num_threads(2)\n"
        "n = 100_000\n"
        "rng = np.random.default_rng(0)\n"
        "y = pd.Series(100 + 10*np.sin(np.arange(n)*2*np.pi/24) + rng.normal(0, 1, n),\n"
        "              index=pd.date_range('2010-01-01', periods=n, freq='h'))\n"
        "def fit(series):\n"
        "    model = tsforecast.get_model('lstm', window=168, output_steps=24, max_epochs=1,\n"
        "                                 batch_size=256)\n"
        "    return model.fit(series)\n"
        "fit(y.iloc[:2000])  # warm-up: torch's thread pools and kernels, whatever the length\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "m = fit(y)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "channels = m.network_.config.n_inputs\n"
        "print(before, after, channels)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, channels = map(int, out.stdout.split())
    n, window = 100_000, 168
    copies = n * window * channels * 4 / 2**20
    print(f"100,000 hourly points, window {window}, {channels} input channels, 1 epoch "
          "(after a warm-up fit on 2,000 points, so torch's fixed start-up memory is excluded):")
    print(f"  peak RSS before the fit {before / 1024:6.0f} MiB, after {after / 1024:6.0f} MiB "
          f"(+{(after - before) / 1024:.0f} MiB)")
    print(f"  materialised windows would take {copies:,.0f} MiB on their own")


def batched_section() -> None:
    y = rail_train()
    model = tsforecast.get_model("lstm", max_epochs=3).fit(y.iloc[:-500])
    tail = y.iloc[-500:]
    rolled = tsforecast.get_model("lstm", max_epochs=3).fit(y.iloc[:-500])
    start = time.perf_counter()
    one_by_one = []
    for i in range(len(tail)):
        one_by_one.append(rolled.predict(14).to_numpy())
        rolled.update(tail.iloc[i : i + 1])
    loop_seconds = time.perf_counter() - start
    start = time.perf_counter()
    model.update(tail)
    cutoffs = y.index[-501:-1]
    batched = model.predict_at(cutoffs, 14)
    batch_seconds = time.perf_counter() - start
    gap = np.abs(batched.to_numpy() - np.stack(one_by_one)).max()
    print(f"500 cutoffs x 14 steps: update+predict loop {loop_seconds:6.2f} s, predict_at "
          f"{batch_seconds:6.3f} s ({loop_seconds / batch_seconds:.0f}x), max difference {gap:.2g}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="epoch,memory,batched")
    args = parser.parse_args()
    torch.set_num_threads(2)
    sections = {"epoch": epoch_section, "memory": memory_section, "batched": batched_section}
    for section in args.sections.split(","):
        print(f"== {section}")
        sections[section]()
