"""Hierarchies: aggregate series built from a panel's grouping columns, and forecasts
reconciled so that every level adds up (bottom-up, top-down, MinT). Pure array work, below
the models and the backtest. A real five-level example of ragged depth:
:func:`us_employment` (US employment by industry, from ``vega_datasets``).

>>> from tsforecast.hierarchy import aggregate, reconcile
>>> h = aggregate(sales, ["region", "store"], time_column="day", target_column="sales")  # doctest: +SKIP
>>> reconcile(h, base_forecasts, "mint_shrink", residuals=in_sample_errors)              # doctest: +SKIP
"""

from tsforecast.hierarchy.employment import EMPLOYMENT_LEVELS, EMPLOYMENT_PARTS, us_employment
from tsforecast.hierarchy.reconcile import (
    METHODS,
    POINT_ONLY_METHODS,
    RESIDUAL_METHODS,
    check_methods,
    projection,
    reconcile,
    reconcile_quantiles,
    reconcile_samples,
    residual_correlation,
    shrunk_covariance,
)
from tsforecast.hierarchy.structure import MISSING_RULES, TOTAL, Hierarchy, aggregate, aggregate_wide

__all__ = [
    "Hierarchy", "aggregate", "aggregate_wide", "TOTAL", "MISSING_RULES", "METHODS", "POINT_ONLY_METHODS",
    "RESIDUAL_METHODS",
    "check_methods", "projection", "reconcile", "reconcile_quantiles", "reconcile_samples",
    "residual_correlation", "shrunk_covariance", "us_employment", "EMPLOYMENT_LEVELS", "EMPLOYMENT_PARTS",
]
