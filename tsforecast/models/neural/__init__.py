"""Windowed neural forecasters in PyTorch: SimpleRNN, LSTM, GRU and WaveNet-style dilated
causal convolutions. How they forecast, and the module each concern lives in:
:mod:`tsforecast.models.neural.estimator`."""

from tsforecast.models.neural.estimator import GRU, LSTM, SCOPES, NeuralForecaster, SimpleRNN, WaveNet

__all__ = ["NeuralForecaster", "SimpleRNN", "LSTM", "GRU", "WaveNet", "SCOPES"]
