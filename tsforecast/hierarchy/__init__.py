"""Hierarchies: aggregate series built from a panel's grouping columns, and forecasts
reconciled so that every level adds up (bottom-up, top-down, MinT). Pure array work, below
the models and the backtest."""

__all__: list[str] = []
