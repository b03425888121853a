"""Rolling-origin backtesting: every model on the same folds, a tidy result, a leaderboard."""

from tsforecast.backtest.api import backtest, data_hash
from tsforecast.backtest.hierarchical import backtest_hierarchy, level_accuracy
from tsforecast.backtest.partitioned import PartitionedResult, backtest_partitioned
from tsforecast.backtest.result import BASELINE, BacktestResult
from tsforecast.backtest.splits import Fold, make_folds

__all__ = ["backtest", "backtest_hierarchy", "level_accuracy", "backtest_partitioned", "PartitionedResult",
           "data_hash", "BacktestResult", "BASELINE", "Fold", "make_folds"]
