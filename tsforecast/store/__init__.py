"""The forecast store: every run and forecast row kept in a database (SQLite by default, any
SQLAlchemy URL), read back as pandas frames. Sits above the backtest and the report, below
monitoring and the CLI."""

__all__: list[str] = []
