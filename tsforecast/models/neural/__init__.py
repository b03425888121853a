"""Windowed neural forecasters in PyTorch: SimpleRNN, LSTM, GRU and WaveNet-style dilated
causal convolutions (:mod:`.estimator`), one module per concern: inputs and covariates
(:mod:`.inputs`), training windows (:mod:`.windows`), fitting one series or a panel
(:mod:`.fitting`), the training loop (:mod:`.training`), recursion and sample paths
(:mod:`.recursion`), the networks (:mod:`.networks`) and every default (:mod:`.defaults`).
Intervals come from :mod:`tsforecast.models.calibration`, shared with ``ridge``."""

from tsforecast.models.neural.estimator import GRU, LSTM, SCOPES, NeuralForecaster, SimpleRNN, WaveNet

__all__ = ["NeuralForecaster", "SimpleRNN", "LSTM", "GRU", "WaveNet", "SCOPES"]
