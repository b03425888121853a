"""The defaults that the Python API and the command line share, each written once.

``tsforecast.backtest.backtest()`` and ``tsforecast backtest`` / ``tsforecast forecast``
(:mod:`tsforecast.app.settings`) import these, so a default cannot drift between the
library and the command line. They live in ``core`` because the backtest and the app, two
layers apart, both need them.
"""

from __future__ import annotations

__all__ = ["HORIZON", "FOLDS", "COVERAGE", "SEED", "JOBS", "ENGINE", "REFIT"]

#: steps forecast from each cutoff (two weeks of daily data)
HORIZON = 14
#: number of folds (cutoffs) of a backtest: the API's ``n_windows``, the CLI's ``--folds``
FOLDS = 5
#: nominal coverage of prediction intervals (an 80% interval)
COVERAGE = 0.8
#: random seed given to every model that has one
SEED = 0
#: worker processes of a backtest
JOBS = 1
#: where a backtest runs (one of :data:`tsforecast.core.params.ENGINES`)
ENGINE = "local"
#: refit every fold (False: roll forward; N: refit every N folds)
REFIT = True
