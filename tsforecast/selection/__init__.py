"""Model selection: ``auto`` chooses (and combines) models per series by backtesting them, so
it sits above :mod:`tsforecast.backtest`, not among the models it chooses from."""
