"""A real hierarchy of five levels: US nonfarm payroll employment by industry.

The data are the Bureau of Labor Statistics' Current Employment Statistics (thousands of
jobs, seasonally adjusted, monthly 2006-01..2015-12, 120 months) as bundled in the
``vega_datasets`` package (``us-employment.csv``, BSD-3; inside its wheel, no download:
``pip install vega_datasets``). The published series add up at every level:

* ``total``: nonfarm;
* ``sector``: private, government;
* ``domain``: goods_producing, private_service_providing (and government, repeated);
* ``supersector``: mining_and_logging, construction, manufacturing,
  trade_transportation_utilities, information, financial_activities,
  professional_and_business_services, education_and_health_services,
  leisure_and_hospitality, other_services (and government);
* ``industry`` (the bottom): durable_goods, nondurable_goods (manufacturing's);
  wholesale_trade, retail_trade, transportation_and_warehousing, utilities (trade,
  transportation and utilities'); and, repeated, government and the eight supersectors that
  are not split further.

**Levels of different depth** (a ragged hierarchy): government is not split below the
sector, construction not below the supersector. A long table needs a member at every level
for every row, so such a series is **repeated down the levels it does not split into**:
government's rows read ``government, government, government, government``; construction's
``private, goods_producing, construction, construction``. Each repeat is a one-member level
(:mod:`tsforecast.hierarchy.structure` keeps them: the same series as its only child, forecast
like any other and reconciled equal to it), so every level holds the whole economy and its
MASE compares with the other levels'. The 15 bottom series (the ``industry`` level) are the
leaves; the 32 series of the hierarchy are built from them by summing.

The aggregates of the hierarchy are sums of the 15 leaves; the published ``nonfarm`` and
``trade_transportation_utilties`` (sic, the file's spelling; here spelled right) differ from
those sums by at most 0.5 (the leaves are rounded to 0.1 thousand). :func:`us_employment`
checks that the file adds up to that tolerance, so a different edition of the data is refused
rather than silently mis-aggregated.
"""

from __future__ import annotations

import pandas as pd

from tsforecast.core.errors import ConfigError, DataError

__all__ = ["us_employment", "EMPLOYMENT_LEVELS", "EMPLOYMENT_PARTS"]

#: the grouping columns of :func:`us_employment`'s table, top-down (``--hierarchy`` takes them so)
EMPLOYMENT_LEVELS = ("sector", "domain", "supersector", "industry")

_TTU = "trade_transportation_utilities"
#: each aggregate of the published file and the columns it is the sum of (the file's names,
#: its misspelling ``trade_transportation_utilties`` included)
EMPLOYMENT_PARTS = {
    "nonfarm": ("private", "government"),
    "private": ("goods_producing", "private_service_providing"),
    "goods_producing": ("mining_and_logging", "construction", "manufacturing"),
    "manufacturing": ("durable_goods", "nondurable_goods"),
    "private_service_providing": (
        "trade_transportation_utilties", "information", "financial_activities", "professional_and_business_services",
        "education_and_health_services", "leisure_and_hospitality", "other_services"),
    "trade_transportation_utilties": ("wholesale_trade", "retail_trade", "transportation_and_warehousing",
                                      "utilities"),
}
# the leaves' rounding (0.1 thousand) adds up to at most this in a published aggregate
_ROUNDING = 0.5 + 1e-6


def _paths() -> dict[str, tuple[str, str, str, str]]:
    """Each leaf column of the file -> its member of every level (repeated where it stops)."""
    paths = {"government": ("government",) * 4}
    for supersector in ("mining_and_logging", "construction"):
        paths[supersector] = ("private", "goods_producing", supersector, supersector)
    for industry in EMPLOYMENT_PARTS["manufacturing"]:
        paths[industry] = ("private", "goods_producing", "manufacturing", industry)
    for supersector in EMPLOYMENT_PARTS["private_service_providing"][1:]:
        paths[supersector] = ("private", "private_service_providing", supersector, supersector)
    for industry in EMPLOYMENT_PARTS["trade_transportation_utilties"]:
        paths[industry] = ("private", "private_service_providing", _TTU, industry)
    return paths


def us_employment(wide: pd.DataFrame | None = None) -> pd.DataFrame:
    """The US employment hierarchy as a long table, one row per leaf series and month:
    columns ``month``, ``sector``, ``domain``, ``supersector``, ``industry`` (see the module
    docstring for the levels and the repeat rule) and ``employment`` (thousands).

    ``wide`` is the published file as a frame (``vega_datasets``' ``us-employment.csv``);
    without it, the copy inside the installed ``vega_datasets`` package is read. A file whose
    aggregates do not add up to their parts (to the leaves' rounding) is refused.
    """
    if wide is None:
        try:
            from vega_datasets import local_data
        except ImportError:
            raise ConfigError("the US employment data ship in the vega_datasets package, which is not installed. "
                              "Fix: pip install vega_datasets==0.9.0") from None
        wide = local_data.us_employment()
    paths = _paths()
    needed = ["month", *EMPLOYMENT_PARTS, *paths]
    absent = [c for c in dict.fromkeys(needed) if c not in wide.columns]
    if absent:
        raise DataError(f"the employment table lacks column(s) {', '.join(absent)}; it must be vega_datasets' "
                        "us-employment.csv.")
    holes = [c for c in dict.fromkeys(needed[1:]) if wide[c].isna().any()]
    if holes:  # a sum skips a missing value: the check below would pass a file with holes
        raise DataError(f"the employment table has missing values in {', '.join(map(str, holes))}; the hierarchy "
                        "needs every series at every month.")
    for total, parts in EMPLOYMENT_PARTS.items():
        gap = (wide[total] - wide[list(parts)].sum(axis=1)).abs()
        if gap.max() > _ROUNDING:
            raise DataError(f"{total} is not the sum of {', '.join(parts)} in the employment table (off by "
                            f"{gap.max():g} at row {int(gap.argmax())}); the hierarchy would not hold.")
    months = pd.to_datetime(wide["month"])
    frames = [
        pd.DataFrame({"month": months, **dict(zip(EMPLOYMENT_LEVELS, path, strict=True)),
                      "employment": wide[leaf].astype("float64")})
        for leaf, path in paths.items()
    ]
    # month by month, as such a file is usually kept (the industries in a fixed order within a month)
    return pd.concat(frames, ignore_index=True).sort_values("month", kind="stable", ignore_index=True)
