"""Evaluation: point metrics (MAE, MASE...), probabilistic scores (pinball, CRPS), significance
tests, residual diagnostics and level-shift checks, as pure functions on arrays and series."""
