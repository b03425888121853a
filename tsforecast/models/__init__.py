"""Model families: baselines, statistical (statsmodels) and neural (PyTorch) forecasters."""
