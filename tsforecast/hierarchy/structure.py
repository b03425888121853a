"""A hierarchy of series: the bottom series, every aggregate built from them, and the summing
matrix S that maps the bottom series to all of them.

Two shapes of input:

* a **long panel** with grouping columns (:func:`aggregate`): one row per (bottom series,
  time), and columns such as ``region`` and ``store`` naming where each bottom series sits.
  The series are ``total``, one per member of each level (``region=North``) and one per
  bottom series (``region=North/store=12``): readable ids that say the path from the top.
* a **wide frame** whose columns are the bottom series (:func:`aggregate_wide`), one level
  above them: ``total`` (rail + bus = total ridership).

Rules for bad input (each a :class:`~tsforecast.core.errors.DataError` naming what is wrong):

* **not nested**: a member of a level belongs to one member of the level above it. A store
  listed under two regions is refused, naming the store and both regions. Members are
  identified by their value alone (store ``12`` is one store wherever it appears).
* **a bottom series missing at some dates** (no row, or no value, at a timestamp where other
  series have one): refused by default, naming the series and the first dates, because an
  aggregate over a changing set of members is not the same series before and after the gap.
  ``missing="zero"`` fills those points with 0 instead (a store not yet open sold nothing).
* **a level with one member** (a region holding one store): kept. It is the same series as
  its only child; it is forecast like any other and every reconciliation makes the two equal
  (hierarchicalforecast keeps such nodes too).
* **levels of different depth** (a ragged hierarchy: government not split below the sector,
  retail trade three levels further down): every row names a member at every level, so a
  series that stops above the bottom is **repeated down the levels it does not split into**
  (``government, government, government``). Each repeat is a one-member level (above), so
  every level holds the whole and the MASE per level compares across levels; a row with an
  empty member below the top level is refused with that advice.
  :func:`tsforecast.hierarchy.us_employment` is a real five-level example.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsforecast.core.errors import ConfigError, DataError
from tsforecast.core.params import check_choice
from tsforecast.data.dates import parse_dates
from tsforecast.data.series_ids import ids_as_text
from tsforecast.data.text import listed, stamp_text

__all__ = ["Hierarchy", "aggregate", "aggregate_wide", "TOTAL", "MISSING_RULES"]

#: the id (and level name) of the series that sums every bottom series
TOTAL = "total"
#: what to do with a bottom series that has no value at some timestamps
MISSING_RULES = ("error", "zero")


@dataclass(frozen=True)
class Hierarchy:
    """Every series of a hierarchy and how they add up.

    ``ids`` lists the series top-down: ``total``, each level's members, the bottom series
    last. ``S`` (``len(ids)`` x number of bottom series, 0/1) is the summing matrix: series
    ``i`` is ``S[i] @ bottom``. ``parent[i]`` is the row of series ``i``'s parent (-1 for the
    total). ``levels`` maps a level's name (``total``, ``region``, ``region/store``) to its
    rows. ``values`` holds the series' history, one column per id (aggregates summed from
    the bottom columns, so they add up exactly).
    """

    ids: list[str]
    S: np.ndarray
    parent: np.ndarray
    levels: dict[str, np.ndarray]
    values: pd.DataFrame

    @property
    def n_bottom(self) -> int:
        """How many bottom series there are (the columns of ``S``)."""
        return int(self.S.shape[1])

    @property
    def bottom(self) -> list[str]:
        """The bottom series' ids (the last rows)."""
        return self.ids[len(self.ids) - self.n_bottom:]

    def summing_matrix(self) -> pd.DataFrame:
        """``S`` as a frame: rows every id, columns the bottom ids."""
        return pd.DataFrame(self.S, index=self.ids, columns=self.bottom)

    def long(self, id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y") -> pd.DataFrame:
        """Every series in long format (one row per id and time), the backtest's panel input."""
        stacked = self.values.rename_axis(index=time_col, columns=id_col).stack(future_stack=True)
        return stacked.rename(target_col).reset_index()[[id_col, time_col, target_col]]


def aggregate(
    frame: pd.DataFrame,
    levels: Sequence[Hashable],
    *,
    id_column: Hashable | None = None,
    time_column: Hashable = "ds",
    target_column: Hashable = "y",
    missing: str = "error",
) -> Hierarchy:
    """The hierarchy of a long panel grouped by ``levels`` (top-down, e.g. ``["region", "store"]``).

    ``id_column`` names each row's bottom series; without it the last level does (each store
    is a bottom series). When it is another column, the bottom series sit under the last
    level (``region=North/store=12/sku=7``). See the module docstring for the rules on
    levels that do not nest, missing dates and one-member levels.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"a hierarchy is built from a DataFrame, got {type(frame).__name__}.")
    check_choice(None, "missing", missing, MISSING_RULES)
    chain = [levels] if isinstance(levels, str) else list(levels)
    if not chain:
        raise ConfigError("a hierarchy needs at least one grouping column, e.g. ['region', 'store'].")
    if id_column is not None and id_column not in chain:
        chain.append(id_column)
    elif id_column is not None and id_column != chain[-1]:
        raise ConfigError(f"the id column {id_column!r} is a level above the bottom of {chain}; the series "
                          "it names must be the lowest level. Fix: list it last, or leave it out of the levels.")
    if len(set(map(str, chain))) != len(chain):
        raise ConfigError(f"the hierarchy lists a column twice: {', '.join(map(str, chain))}.")
    needed = [*chain, time_column, target_column]
    absent = [str(c) for c in needed if c not in frame.columns]
    if absent:
        raise ConfigError(f"column(s) {', '.join(map(repr, absent))} not in the data; its columns are "
                          f"{', '.join(repr(str(c)) for c in frame.columns)}.")
    labels = pd.DataFrame({str(c): ids_as_text(frame[c]) for c in chain})
    for depth, column in enumerate(labels.columns):
        empty = labels[column].isna().to_numpy().nonzero()[0]
        if len(empty):
            # below the top, an empty member is most often a series that is not split that far
            ragged = (f" A series that stops above the bottom (a ragged hierarchy): repeat its "
                      f"{labels.columns[depth - 1]} as its {column} (e.g. government, government), a one-member "
                      "level." if depth else "")
            raise DataError(f"{len(empty)} row(s) have no {column} (rows {listed(empty.tolist())}, counting from "
                            f"0); every row needs its place in the hierarchy.{ragged}")
    names = list(labels.columns)
    _check_nested(labels, names)
    # each bottom series' path from the top, e.g. "region=North/store=12"
    paths = labels[names[0]].radd(f"{names[0]}=")
    for column in names[1:]:
        paths = paths + f"/{column}=" + labels[column]
    times = parse_dates(frame[time_column], f"the time column {str(time_column)!r}")
    undated = np.flatnonzero(times.isna())
    if len(undated):
        raise DataError(f"{len(undated)} row(s) have no {time_column!s} (rows {listed(undated.tolist())}, counting "
                        "from 0); every row needs its date.")
    keys = pd.DataFrame({"series": paths.to_numpy(), "time": times.to_numpy()})
    doubled = keys.duplicated(keep=False).to_numpy()
    if doubled.any():
        pairs = keys[doubled].drop_duplicates().head(5)
        raise DataError(f"{int(doubled.sum())} row(s) repeat a (series, time) pair, e.g. "
                        f"{listed([f'{s} at {stamp_text(t)}' for s, t in pairs.itertuples(index=False)])}. "
                        "Fix: keep one row per bottom series and time (sum them first if they are parts).")
    values = pd.to_numeric(frame[target_column], errors="coerce").to_numpy(dtype="float64")
    bad = np.isnan(values) & frame[target_column].notna().to_numpy()
    if bad.any():
        raise DataError(f"{target_column!s} holds values that are not numbers, e.g. "
                        f"{listed(frame.loc[bad, target_column].head(3).tolist())}.")
    wide = pd.Series(values, index=pd.MultiIndex.from_frame(keys)).unstack("series").sort_index()
    wide.index.name, wide.columns.name = str(time_column), None
    members = labels.assign(_path=paths.to_numpy()).drop_duplicates("_path").set_index("_path")
    return _build(wide, members.loc[wide.columns], names, missing)


def aggregate_wide(frame: pd.DataFrame, *, missing: str = "error") -> Hierarchy:
    """The two-level hierarchy of a wide frame whose numeric columns are the bottom series
    (``bus``, ``rail``) and whose index holds the timestamps: ``total`` = their sum, the
    columns keep their names. A column named ``total`` is refused (it would be counted twice:
    drop it, the total is built)."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"a hierarchy is built from a DataFrame, got {type(frame).__name__}.")
    check_choice(None, "missing", missing, MISSING_RULES)
    columns = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if len(columns) < 2:
        raise DataError(f"a total needs at least two numeric columns to add up, got {listed(columns) or 'none'}.")
    if TOTAL in map(str, columns):
        raise DataError(f"the frame already has a {TOTAL!r} column; give only the series that add up to it "
                        f"(e.g. frame[['bus', 'rail']]): the total is built from them.")
    wide = frame[columns].astype("float64").sort_index()
    wide.columns = [str(c) for c in columns]
    return _build(wide, None, [], missing)


def _check_nested(labels: pd.DataFrame, names: list[str]) -> None:
    """Every member of a level has one parent in the level above: refuse the first that has two."""
    for upper, lower in zip(names, names[1:], strict=False):
        pairs = labels[[upper, lower]].drop_duplicates()
        counts = pairs.groupby(lower, sort=True)[upper].nunique()
        split = counts[counts > 1]
        if len(split):
            member = split.index[0]
            parents = sorted(pairs.loc[pairs[lower] == member, upper])
            if (pairs.groupby(upper, sort=False)[lower].nunique() == 1).all():
                # the other way round nests: the columns were given from the bottom up
                raise DataError(
                    f"the hierarchy is listed from the bottom up: each {upper} is within one {lower} ({lower} "
                    f"{member!r} holds {len(parents)} {upper}s), so {upper} cannot be above {lower}. Fix: list "
                    f"the grouping columns from the top level down, {lower} before {upper} (e.g. --hierarchy "
                    f"{lower},{upper}; in Python [{lower!r}, {upper!r}])."
                )
            raise DataError(
                f"the hierarchy does not nest: {lower} {member!r} is in {len(parents)} {upper}s "
                f"({listed([repr(p) for p in parents])})" + (f"; {len(split) - 1} more {lower}(s) too" if len(split) > 1
                                                              else "")
                + f". Fix: give each {lower} one {upper} (or use a {lower} id that is unique across {upper}s)."
            )


def _build(wide: pd.DataFrame, members: pd.DataFrame | None, names: list[str], missing: str) -> Hierarchy:
    """S, the ids and the aggregate values from the bottom series (``wide``) and, for a long
    panel, each bottom series' member of every level (``members``, indexed like ``wide``)."""
    wide = wide.reindex(columns=sorted(wide.columns))
    if members is not None:
        members = members.loc[wide.columns]
    holes = wide.isna()
    if holes.to_numpy().any():
        if missing == "error":
            counts = holes.sum()
            worst = [f"{name} ({int(n)} date(s), first {stamp_text(holes.index[holes[name].to_numpy()][0])})"
                     for name, n in counts[counts > 0].items()]
            raise DataError(
                f"{int((counts > 0).sum())} bottom series have no value at some dates where others do: "
                f"{listed(worst)}. An aggregate needs every member at every date. Fix: add the missing rows, "
                "or fill them with 0 (missing='zero', --hierarchy-missing zero) where the series did not exist yet."
            )
        wide = wide.fillna(0.0)
    bottom = list(wide.columns)
    ids, rows_of_level, parent, rows = [TOTAL], {TOTAL: np.array([0])}, [-1], [np.ones(len(bottom))]
    where: dict[str, int] = {}  # an aggregate's id -> its row
    for depth in range(len(names) - 1):
        level = "/".join(names[: depth + 1])
        paths = members[names[0]].radd(f"{names[0]}=")
        for column in names[1 : depth + 1]:
            paths = paths + f"/{column}=" + members[column]
        first = len(ids)
        for path in sorted(set(paths)):
            up = path.rsplit("/", 1)[0] if "/" in path else TOTAL
            parent.append(0 if up == TOTAL else where[up])
            where[path] = len(ids)
            ids.append(path)
            rows.append((paths.to_numpy() == path).astype("float64"))
        rows_of_level[level] = np.arange(first, len(ids))
    first = len(ids)
    for name in bottom:
        if members is None:
            parent.append(0)
        else:
            up = name.rsplit("/", 1)[0]
            parent.append(0 if up not in where else where[up])
        ids.append(name)
    rows_of_level["/".join(names) if names else "bottom"] = np.arange(first, len(ids))
    S = np.vstack([*rows, np.eye(len(bottom))])
    bottom_values = wide.to_numpy(dtype="float64")
    values = pd.DataFrame(bottom_values @ S.T, index=wide.index, columns=ids)
    # sums of the bottom columns, row by row: each aggregate adds up exactly by construction
    values[bottom] = bottom_values
    return Hierarchy(ids=ids, S=S, parent=np.asarray(parent), levels=rows_of_level, values=values)
