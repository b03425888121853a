"""Windowed neural forecasters in PyTorch: SimpleRNN, LSTM, GRU and WaveNet-style dilated
causal convolutions, their networks, windows, training loop and calibration."""

from tsforecast.models.neural.estimator import GRU, LSTM, SCOPES, NeuralForecaster, SimpleRNN, WaveNet

__all__ = ["NeuralForecaster", "SimpleRNN", "LSTM", "GRU", "WaveNet", "SCOPES"]
