"""Input: validating series and regressors, parsing dates, panels of many series, the bundled
datasets and CSV/Parquet loading. Builds on :mod:`tsforecast.core` only."""
