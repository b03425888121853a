"""The forecast store: every run and forecast row kept in a database (SQLite by default, any
SQLAlchemy URL), read back as pandas frames. Sits above the backtest and the report, below
monitoring and the CLI.

>>> from tsforecast.store import Store
>>> with Store("forecasts.db") as store:  # doctest: +SKIP
...     store.runs()
"""

from tsforecast.store.schema import SCHEMA_VERSION
from tsforecast.store.store import Store

__all__ = ["Store", "SCHEMA_VERSION"]
