"""Default settings of the neural forecasters, written once.

The estimators' signatures (:class:`~tsforecast.models.neural.estimator.NeuralForecaster`,
:class:`~tsforecast.models.neural.estimator.WaveNet`), the network description
(:class:`~tsforecast.models.neural.networks.NetworkConfig`) and the training loop's settings
(:class:`~tsforecast.models.neural.training.TrainConfig`) all take their defaults from here, so
changing one changes it everywhere. Plain constants (not a dataclass instance) because
scikit-learn reads an estimator's parameters and defaults from its ``__init__`` signature.
No import of PyTorch here: checking parameters stays cheap.
"""

from __future__ import annotations

__all__ = [
    "OUTPUT_STEPS", "HIDDEN", "NUM_LAYERS", "DROPOUT", "DILATIONS", "GATED", "RESIDUAL",
    "MAX_EPOCHS", "MIN_EPOCHS", "BATCH_SIZE", "LEARNING_RATE", "LOSS", "PATIENCE",
    "VALIDATION_FRACTION", "EPOCH_WINDOWS", "SEED", "N_THREADS", "LAYER_NORM", "SEQ2SEQ", "CALENDAR",
    "NORMALIZE", "SCOPE", "SAMPLE", "SAMPLES", "PANEL_SCALE", "PANEL_SCALES",
]

# ------------------------------------------------------------------ the network
#: outputs of the direct head (longer horizons continue recursively)
OUTPUT_STEPS = 14
#: hidden units of the recurrent stack, channels of the WaveNet stack
HIDDEN = 32
#: recurrent layers stacked
NUM_LAYERS = 1
DROPOUT = 0.0
#: layer normalisation after the encoder
LAYER_NORM = False
#: WaveNet's dilations: 1, 2, 4, 8 twice (a receptive field of 31 steps)
DILATIONS: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)
#: WaveNet's gated activations and residual/skip connections
GATED = True
RESIDUAL = True

# ------------------------------------------------------------------ inputs
#: calendar features of each timestamp (day of week, month...) as known inputs
CALENDAR = True
#: how each window is re-centred: "last" (NLinear's choice), "window" or "global"
NORMALIZE = "last"

# ------------------------------------------------------------------ training
#: train on forecasts from every step of a window, not only its end
SEQ2SEQ = False
#: one network across a panel's series ("global") or one per series ("local")
SCOPE = "global"
#: how a global model draws its training windows across a panel: "series" (each series
#: equally likely, then a window of it: long histories do not drown short ones) or "windows"
#: (every window equally likely); one series is always trained on all its windows alike
SAMPLE = "series"
SAMPLES = ("series", "windows")
#: how a global model scales each series of a panel: "window" (by its seasonal-naive MAE, the
#: MASE denominator, and then every window the network reads by its own mean absolute
#: deviation, RevIN's scaling: a level shift such as CTA's 2020 collapse leaves the windows
#: after it at the scale the network was trained on), "seasonal" (the MASE denominator alone,
#: so the loss weighs every series' errors as MASE does) or "std" (its standard deviation);
#: one series is always standardised
PANEL_SCALE = "window"
PANEL_SCALES = ("seasonal", "std", "window")
MAX_EPOCHS = 200
#: warm-up epochs: early stopping neither stops in them nor restores their weights
MIN_EPOCHS = 10
BATCH_SIZE = 32
LEARNING_RATE = 3e-3
#: one of :data:`tsforecast.models.features.LOSS_NAMES`
LOSS = "huber"
#: epochs without a better early-stopping loss before training stops
PATIENCE = 15
#: the chronologically last share of the windows held out (early stopping, then calibration)
VALIDATION_FRACTION = 0.15
#: training windows drawn per epoch (bounds an epoch's cost on long series and large panels)
EPOCH_WINDOWS: int | None = 8192
SEED = 0
#: torch intra-op threads while fitting and forecasting (1: numbers independent of the machine)
N_THREADS: int | None = 1
