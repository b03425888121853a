"""The generator behind the bundled datasets (``datasets/*.csv``).

Run ``python -m tsforecast.data.synthetic [folder]`` to regenerate them; with the pinned
dependencies the output is byte-for-byte the committed files (a test checks this).

* ``ridership``: daily bus and rail boardings of a city transit system, 2016-2019, with the
  properties of the real Chicago series: a strong weekly pattern, holidays that ride like
  Sundays, annual seasonality, slow trends, level shifts (a service cut, a new line), weather
  shocks and autocorrelated noise. ``day_type`` is W (weekday), A (Saturday) or U
  (Sunday/holiday), as in the CTA file.
* ``stock``: four stock-like daily closing prices on NYSE trading days 2019-2023 (weekends and
  market holidays absent), from a GARCH(1,1) return process with drift and jumps.
* ``stations``: a long-format panel (``station, date, riders``) of daily entries at many
  stations of different sizes and histories: most ride like the ridership series (weekly
  pattern, holidays like Sundays, annual cycle, trend, level shifts, autocorrelated noise);
  some are stock-like random walks with drift and volatility clustering (a park-and-ride
  fed by a fare that follows fuel prices, say). Stations open on different dates and a few
  close early, so lengths range from a few months to four years.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    GoodFriday,
    Holiday,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
)

__all__ = ["make_ridership", "make_stock", "make_panel", "make_intermittent", "MarketHolidays", "write_bundled"]

RIDERSHIP_SEED = 20160101
STOCK_SEED = 20190102
PANEL_SEED = 20200101
#: stations in the bundled panel
PANEL_SERIES = 30


class MarketHolidays(AbstractHolidayCalendar):
    """NYSE full-day closures (the rules that applied 2019-2023)."""

    rules = [
        Holiday("New Year's Day", month=1, day=1, observance=nearest_workday),
        USMartinLutherKingJr,
        USPresidentsDay,
        GoodFriday,
        USMemorialDay,
        Holiday("Juneteenth", month=6, day=19, start_date="2022-01-01", observance=nearest_workday),
        Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
        USLaborDay,
        USThanksgivingDay,
        Holiday("Christmas", month=12, day=25, observance=nearest_workday),
    ]


class _TransitHolidays(AbstractHolidayCalendar):
    """Days a transit system runs a Sunday schedule."""

    rules = [
        Holiday("New Year's Day", month=1, day=1),
        USMemorialDay,
        Holiday("Independence Day", month=7, day=4),
        USLaborDay,
        USThanksgivingDay,
        Holiday("Christmas", month=12, day=25),
    ]


def _ar1(rng: np.random.Generator, n: int, phi: float, scale: float) -> np.ndarray:
    shocks = rng.normal(0.0, scale, n)
    out = np.empty(n)
    out[0] = shocks[0]
    for t in range(1, n):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


def make_ridership(seed: int = RIDERSHIP_SEED) -> pd.DataFrame:
    """Daily transit ridership 2016-01-01..2019-12-31: ``day_type``, ``bus``, ``rail``."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2016-01-01", "2019-12-31", freq="D", name="date")
    n = len(dates)
    holidays = _TransitHolidays().holidays(dates[0], dates[-1])
    weekday = dates.day_of_week.to_numpy()
    day_type = np.where(weekday < 5, "W", np.where(weekday == 5, "A", "U"))
    day_type[dates.isin(holidays)] = "U"

    years = (dates - dates[0]).days.to_numpy() / 365.25
    doy = dates.day_of_year.to_numpy()
    annual = np.sin(2 * np.pi * (doy - 100) / 365.25)  # peaks in summer, low in winter
    # weekday level of each day type relative to a weekday
    level = {"W": 1.0, "A": 0.62, "U": 0.45}
    relative = np.vectorize(level.get)(day_type)
    # Fridays ride a little lighter, Mondays a little heavier on the rail system
    rail_dow = np.select([weekday == 0, weekday == 4], [1.01, 0.97], 1.0)

    # level shifts: a bus service cut (2018-03) and a new rail branch (2017-09)
    bus_shift = np.where(dates >= "2018-03-04", 0.955, 1.0)
    rail_shift = np.where(dates >= "2017-09-10", 1.03, 1.0)

    # weather shocks: a handful of snow days each winter cut ridership for one or two days
    snow = np.ones(n)
    winter = np.flatnonzero(np.isin(dates.month, [12, 1, 2]))
    for day in rng.choice(winter, size=12, replace=False):
        snow[day] *= rng.uniform(0.6, 0.85)
        if day + 1 < n:
            snow[day + 1] *= rng.uniform(0.85, 0.95)

    bus_noise = np.exp(_ar1(rng, n, 0.5, 0.025))
    rail_noise = np.exp(_ar1(rng, n, 0.55, 0.03))
    bus = (
        960_000 * np.exp(-0.035 * years) * (1 + 0.05 * annual) * relative
        * bus_shift * snow * bus_noise
    )
    rail = (
        760_000 * np.exp(-0.012 * years) * (1 + 0.07 * annual) * (relative**0.9)
        * rail_dow * rail_shift * snow * rail_noise
    )
    return pd.DataFrame(
        {"day_type": day_type, "bus": np.round(bus).astype("int64"),
         "rail": np.round(rail).astype("int64")},
        index=dates,
    )


def make_stock(seed: int = STOCK_SEED) -> pd.DataFrame:
    """Closing prices of four stock-like series on NYSE trading days 2019-2023."""
    rng = np.random.default_rng(seed)
    weekdays = pd.bdate_range("2019-01-02", "2023-12-29", name="date")
    closed = MarketHolidays().holidays(weekdays[0], weekdays[-1])
    dates = weekdays[~weekdays.isin(closed)]
    n = len(dates)
    # ticker -> (start price, annual drift, long-run annual volatility, jumps per year)
    tickers = {
        "ACME": (100.0, 0.08, 0.22, 2.0),
        "BOLT": (45.0, 0.15, 0.40, 4.0),
        "CRUX": (210.0, 0.03, 0.16, 1.0),
        "DYNA": (12.0, -0.02, 0.55, 6.0),
    }
    prices: dict[str, np.ndarray] = {}
    for name, (start, drift, vol, jumps) in tickers.items():
        daily_var = vol**2 / 252
        alpha, beta = 0.08, 0.9
        omega = daily_var * (1 - alpha - beta)
        var = daily_var
        returns = np.empty(n)
        shocks = rng.standard_t(df=5, size=n) * np.sqrt(3 / 5)  # unit variance, fat tails
        jump_days = rng.random(n) < jumps / 252
        jump_sizes = rng.normal(-0.01, 0.06, n)
        for t in range(n):
            eps = np.sqrt(var) * shocks[t]
            returns[t] = drift / 252 - var / 2 + eps + (jump_sizes[t] if jump_days[t] else 0.0)
            var = omega + alpha * eps**2 + beta * var
        prices[name] = start * np.exp(np.cumsum(returns))
    return pd.DataFrame(prices, index=dates).round(2)


def make_panel(
    n_series: int = PANEL_SERIES,
    seed: int = PANEL_SEED,
    length: int | None = None,
    end: str = "2019-12-31",
) -> pd.DataFrame:
    """A long-format panel of daily station entries: columns ``station, date, riders``.

    ``length=None`` gives ragged histories (each station opens between 120 days and four years
    before ``end``; one in ten closes up to 90 days early); an integer gives every station
    exactly that many days ending at ``end`` (the many-series benchmarks use 730). About one
    station in five is a stock-like random walk, the rest ride like :func:`make_ridership`.
    Vectorised over stations, so 10,000 of them take about a second.
    """
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    span = 1461 if length is None else int(length)
    dates = pd.date_range(end=end, periods=span, freq="D", name="date")
    weekday = dates.day_of_week.to_numpy()
    holiday = np.asarray(dates.isin(_TransitHolidays().holidays(dates[0], dates[-1])))
    sunday_like = (weekday == 6) | holiday
    years = np.arange(span) / 365.25
    annual = np.sin(2 * np.pi * (dates.day_of_year.to_numpy() - 100) / 365.25)

    size = np.exp(rng.uniform(np.log(300), np.log(40_000), n_series))[:, None]
    saturday = rng.uniform(0.45, 0.8, n_series)[:, None]
    sunday = saturday * rng.uniform(0.55, 0.9, n_series)[:, None]
    week = np.where(sunday_like, sunday, np.where(weekday == 5, saturday, 1.0))
    trend = np.exp(rng.normal(0.0, 0.04, n_series)[:, None] * years)
    seasonal = 1 + rng.uniform(0.0, 0.12, n_series)[:, None] * annual
    # a level shift (service change) at a random day for a third of the stations
    shift_day = rng.integers(0, span, n_series)[:, None]
    shift = np.where((rng.random(n_series) < 1 / 3)[:, None] & (np.arange(span) >= shift_day),
                     rng.uniform(0.8, 1.2, n_series)[:, None], 1.0)
    noise_scale = rng.uniform(0.02, 0.08, n_series)[:, None]
    noise = lfilter([1.0], [1.0, -0.5], rng.standard_normal((n_series, span)) * noise_scale, axis=1)
    ridership = size * week * trend * seasonal * shift * np.exp(noise)

    # stock-like stations: a geometric random walk with drift and clustered volatility
    volatility = rng.uniform(0.01, 0.03, n_series)[:, None] * np.exp(
        lfilter([1.0], [1.0, -0.97], rng.normal(0.0, 0.05, (n_series, span)), axis=1))
    drift = rng.normal(0.0002, 0.0005, n_series)[:, None]
    walk = size * np.exp(np.cumsum(drift + volatility * rng.standard_normal((n_series, span)), axis=1))
    values = np.where((rng.random(n_series) < 0.2)[:, None], walk, ridership)

    if length is None:
        first = span - rng.integers(120, span + 1, n_series)
        closes = rng.random(n_series) < 0.1
        last = span - np.where(closes, rng.integers(1, 91, n_series), 0)
    else:
        first, last = np.zeros(n_series, dtype=int), np.full(n_series, span)
    width = len(str(n_series))
    names = np.array([f"S{k + 1:0{width}d}" for k in range(n_series)], dtype=object)
    kept = (np.arange(span) >= first[:, None]) & (np.arange(span) < last[:, None])
    rows, columns = np.nonzero(kept)  # row-major: station by station, days in order
    return pd.DataFrame({"station": names[rows], "date": dates[columns],
                         "riders": np.round(values[rows, columns]).astype("int64")})


def make_intermittent(
    n_series: int = 500, length: int = 156, seed: int = 20240101, end: str = "2024-12-29"
) -> pd.DataFrame:
    """A long-format panel of weekly intermittent demand (``item, date, demand``), as retail
    and spare-parts items sell: mostly zero weeks, integer sizes when demand comes.

    Each item has its own chance of a sale per week (0.03 to 0.7: an average interval of 1.4
    to 33 weeks) and size distribution (one plus a negative binomial, dispersed for lumpy
    items). A third of the items drift (the chance follows a random walk on the logit scale)
    and one in ten dies out (the chance decays over the last third: obsolescence, where TSB
    helps). Not bundled: the intermittent-demand tests and ``benchmarks/intermittent_peers.py``
    generate it with their seeds.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=end, periods=int(length), freq="W-SUN", name="date")
    t = np.arange(length)
    base = np.log(rng.uniform(0.03, 0.7, n_series))[:, None]
    logit = base - np.log1p(-np.exp(base))
    walk = np.cumsum(rng.normal(0.0, 0.15, (n_series, length)), axis=1)
    logit = logit + np.where((rng.random(n_series) < 1 / 3)[:, None], walk, 0.0)
    dying = (rng.random(n_series) < 0.1)[:, None] & (t >= 2 * length // 3)
    logit = logit - np.where(dying, 0.15 * (t - 2 * length // 3), 0.0)
    chance = 1 / (1 + np.exp(-logit))
    mean_size = rng.uniform(0.5, 8.0, n_series)[:, None]
    dispersion = np.where(rng.random(n_series) < 0.5, 0.7, 8.0)[:, None]  # small: lumpy sizes
    sizes = 1 + rng.negative_binomial(dispersion, dispersion / (dispersion + mean_size), (n_series, length))
    demand = np.where(rng.random((n_series, length)) < chance, sizes, 0)
    width = len(str(n_series))
    names = np.array([f"I{k + 1:0{width}d}" for k in range(n_series)], dtype=object)
    return pd.DataFrame({"item": np.repeat(names, length), "date": np.tile(dates, n_series),
                         "demand": demand.reshape(-1).astype("int64")})


def write_bundled(folder: str | Path) -> list[Path]:
    """Write ``ridership.csv``, ``stock.csv`` and ``stations.csv`` into ``folder``; returns
    their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("ridership", make_ridership()), ("stock", make_stock())):
        path = folder / f"{name}.csv"
        frame.to_csv(path, index_label="date", date_format="%Y-%m-%d", float_format="%.2f",
                     lineterminator="\n")
        written.append(path)
    path = folder / "stations.csv"
    make_panel().to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    return written + [path]


if __name__ == "__main__":  # pragma: no cover - exercised through the CLI of the module
    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[2] / "datasets")
    for path in write_bundled(target):
        print(path)
