"""A panel's series by id, each pandas Series built only when it is first read.

A clean long table (:func:`tsforecast.data.panel.panel_from_long`) already holds every
series' values one after another, and every series' timestamps are a slice of one regular
grid. Building a pandas Series per series up front costs more than backtesting seasonal naive
on all of them (about 30 microseconds each: 0.03 s for 1,000 series), and a backtest of the
baselines never reads them: it works on the arrays. :class:`PanelSeries` is the mapping a
:class:`~tsforecast.data.panel.Panel` (and a backtest's ``result.data``) holds instead of a dict:
ids, lengths, frequency and zone are known without building anything, and ``panel[id]`` builds
that one Series (a view of the values, its index a slice of the grid) and keeps it, so every
later read returns the same object. Iterating over ``items()`` or ``values()`` builds them all,
as the dict did.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["PanelSeries"]


class PanelSeries(Mapping[str, pd.Series]):
    """Series by id over flat arrays: series ``names[k]`` is ``values[starts[k]:starts[k] +
    lengths[k]]`` on ``grid[offsets[k]:offsets[k] + lengths[k]]`` (``grid``: one regular
    DatetimeIndex with the panel's frequency, zone and time column name), named by its id.
    A read-only mapping; each Series is built on first access and kept."""

    def __init__(
        self, names: Sequence[str], values: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
        grid: pd.DatetimeIndex, offsets: np.ndarray, built: dict[str, pd.Series] | None = None,
    ) -> None:
        self._position = {name: k for k, name in enumerate(names)}
        self._values, self._grid = values, grid
        self._starts = np.asarray(starts, dtype="int64")
        self._lengths = np.asarray(lengths, dtype="int64")
        self._offsets = np.asarray(offsets, dtype="int64")
        # shared with the subsets taken of this mapping: a Series is built once for all of them
        self._built: dict[str, pd.Series] = {} if built is None else built

    def __getitem__(self, name: str) -> pd.Series:
        found = self._built.get(name)
        if found is not None and name in self._position:
            return found
        k = self._position[name]  # KeyError for an id not in the panel, as a dict
        start, length, offset = int(self._starts[k]), int(self._lengths[k]), int(self._offsets[k])
        # no copy: the values are the panel's own sorted array; the index slice keeps the freq
        series = pd.Series(self._values[start : start + length], index=self._grid[offset : offset + length],
                           name=name, copy=False)
        self._built[name] = series
        return series

    def __iter__(self) -> Iterator[str]:
        return iter(self._position)

    def __len__(self) -> int:
        return len(self._position)

    def __contains__(self, name: object) -> bool:
        return name in self._position

    def __repr__(self) -> str:
        return f"PanelSeries({len(self)} series, {len(self.built())} built)"

    def lengths(self) -> dict[str, int]:
        """Every series' number of observations, by id (nothing is built)."""
        return dict(zip(self._position, self._lengths.tolist(), strict=True))

    @property
    def freq(self) -> pd.DateOffset:
        """The series' common frequency."""
        return self._grid.freq

    @property
    def tz(self) -> object:
        """The series' time zone (None when naive)."""
        return self._grid.tz

    @property
    def unit(self) -> str:
        """The resolution of every series' index (``"ns"``, ...)."""
        return self._grid.unit

    @property
    def index_name(self) -> object:
        """The name of every series' index (the long table's time column)."""
        return self._grid.name

    def built(self) -> list[str]:
        """The ids whose Series have been built so far, in panel order (what reading the
        mapping has cost; a backtest of the baselines builds none)."""
        return [name for name in self._position if name in self._built]

    def subset(self, names: Iterable[str]) -> PanelSeries:
        """The mapping restricted to ``names`` (in that order), over the same arrays and
        sharing the Series already built."""
        names = list(names)
        chosen = [self._position[name] for name in names]
        return PanelSeries(names, self._values, self._starts[chosen], self._lengths[chosen], self._grid,
                           self._offsets[chosen], self._built)
