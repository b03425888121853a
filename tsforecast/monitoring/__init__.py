"""Monitoring: stored forecasts scored against the actuals that arrived, and drift alarms
against what the backtest promised. Reads and writes through the store."""

__all__: list[str] = []
