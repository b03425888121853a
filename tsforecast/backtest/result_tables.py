"""What a backtest produced, held as given and built into pandas objects when first read.

:func:`~tsforecast.backtest.backtest` hands its result the engine's arrays, not DataFrames: on a
panel of a thousand series, assembling the tidy forecast frame, the timings and the
diagnostics, and a pandas Series per series, costs about as much as backtesting seasonal naive
on all of them, and many callers (``auto``'s inner validation, a partition's scores, a
scheduler that only stores the leaderboard) read only some of it. :class:`ResultTables` keeps
each table as a DataFrame or as a function of no arguments that builds it, called once on
first read; :class:`~tsforecast.backtest.result.BacktestResult` adds everything derived from
the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from tsforecast.backtest.frame import DIAGNOSTIC_COLUMNS

__all__ = ["ResultTables", "Table"]

#: a table of the result: a DataFrame, or a function of no arguments that builds it when
#: first read (what :func:`~tsforecast.backtest.backtest` passes: the engine's arrays)
Table = pd.DataFrame | Callable[[], pd.DataFrame]


class ResultTables:
    """The tables, series, parameters and metadata of a backtest; the four tables are built
    on first read (see the module docstring). ``data`` is a mapping id -> Series (a
    :class:`~tsforecast.data.panel_series.PanelSeries` builds each Series when it is read)."""

    def __init__(
        self,
        forecasts: Table,
        timings: Table,
        failures: Table,
        data: Mapping[str, pd.Series],
        parameters: dict,
        model_parameters: dict[str, dict],
        repairs: list[str] | None = None,
        metadata: dict | None = None,
        diagnostics: Table | None = None,
        fitted: dict | None = None,
    ) -> None:
        self._tables: dict[str, Table] = {
            "forecasts": forecasts, "timings": timings, "failures": failures,
            "diagnostics": pd.DataFrame(columns=DIAGNOSTIC_COLUMNS) if diagnostics is None else diagnostics,
        }
        self.data = data
        self.parameters = parameters
        self.model_parameters = model_parameters
        self.repairs = [] if repairs is None else repairs
        self.metadata = {} if metadata is None else metadata
        #: with ``backtest(..., keep_fitted=True)``: each (series, model)'s fitted model at the
        #: series' last cutoff (not saved by :meth:`to_csv` or :meth:`to_json`)
        self.fitted = {} if fitted is None else fitted
        # tables computed once: a report, the CLI's summary and the exports all read the
        # leaderboard, and on a panel of thousands of series each computation takes seconds
        self._memo: dict = {}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self.data)} series, models {', '.join(self.model_parameters)}, "
                f"horizon {self.parameters.get('horizon')})")

    def __getstate__(self) -> dict:
        # pickled (sent to another process, saved by a notebook): the tables as DataFrames,
        # since the functions that build them hold the engine's output and are not picklable
        return {**self.__dict__, "_tables": {name: self._table(name) for name in self._tables}}

    def _table(self, name: str) -> pd.DataFrame:
        table = self._tables[name]
        if not isinstance(table, pd.DataFrame):
            table = self._tables[name] = table()  # built once, on first read
        return table

    @property
    def forecasts(self) -> pd.DataFrame:
        """The tidy forecast frame (:class:`~tsforecast.backtest.result.BacktestResult` lists its
        columns), built when first read."""
        return self._table("forecasts")

    @property
    def timings(self) -> pd.DataFrame:
        """Fit and predict seconds per fold (:data:`~tsforecast.backtest.frame.TIMING_COLUMNS`)."""
        return self._table("timings")

    @property
    def failures(self) -> pd.DataFrame:
        """Every fit, update or predict that raised
        (:data:`~tsforecast.backtest.frame.FAILURE_COLUMNS`)."""
        return self._table("failures")

    @property
    def diagnostics(self) -> pd.DataFrame:
        """Per (series, model): in-sample residual diagnostics of the model fitted at the last
        cutoff (``n``, ``lags``, Ljung-Box ``ljung_box_p``, ``acf`` at lags 1..lags)."""
        return self._table("diagnostics")

    def _once(self, key: str, compute) -> pd.DataFrame:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key].copy()

