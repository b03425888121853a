"""Monitoring: stored forecasts scored against the actuals that arrived, and drift alarms
against what the backtest promised. Reads and writes through the store.

>>> import tsforecast
>>> result = tsforecast.monitor("forecasts.db", actuals)  # doctest: +SKIP
>>> result.alarms, result.accuracy, result.drifted  # doctest: +SKIP
"""

from tsforecast.monitoring.run import MonitorResult, monitor, stored_alarms

__all__ = ["MonitorResult", "monitor", "stored_alarms"]
