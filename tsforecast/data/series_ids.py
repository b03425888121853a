"""Series ids are text: read them as text, and refuse ids that only differ in how they are written.

An id such as ``007`` is a name, not a number: read as a number it becomes ``7`` and merges
with another series whose id is ``7``. Loaders therefore read the id column as text
(:func:`ids_as_text`), and a panel refuses ids that would be confused by any tool that
normalises them (:func:`check_distinct_ids`): ids equal up to surrounding whitespace or case,
or whole numbers written differently (``007``/``7``, ``7``/``7.0``), which is what a
spreadsheet or a number parser does to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from tsforecast.core.errors import DataError
from tsforecast.data.text import listed

__all__ = ["DEFAULT_SERIES_NAME", "ids_as_text", "id_key", "check_distinct_ids"]

#: the name (and store id) of a series given without one: validation names it so, the store
#: records its forecasts under it, and monitoring scores an unnamed actuals series under it
DEFAULT_SERIES_NAME = "y"

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")


def _text(value: object) -> object:
    """One id as text; missing stays missing (a panel names rows without an id)."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)) or value is pd.NA:
        return value
    if isinstance(value, float | np.floating) and float(value).is_integer():
        # an integer id column with a gap is stored as floats: 7.0 was written as 7
        return str(int(value))
    return str(value)


def ids_as_text(values: pd.Series) -> pd.Series:
    """``values`` as text ids: numbers become their decimal text (``7``, never ``7.0`` for an
    integer stored as a float), text stays as written, missing values stay missing."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
        return values
    # each distinct id converted once (a long table repeats every id on each of its dates);
    # a missing id has code -1, which picks the trailing None: it stays missing
    codes, uniques = pd.factorize(values)
    text = np.array([*(_text(u) for u in uniques), None], dtype=object)
    return pd.Series(text[codes], index=values.index, name=values.name, dtype=object)


def id_key(name: str) -> str:
    """What two ids are compared by: without surrounding whitespace, case-folded, and a whole
    id that is a number by its value (``007``, ``7`` and ``7.0`` are all ``7``)."""
    key = name.strip().casefold()
    if _NUMBER.fullmatch(key):
        try:
            number = Decimal(key).normalize()
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return key
        return format(number if number != 0 else Decimal(0), "f")
    return key


def check_distinct_ids(names: Iterable[str], what: str = "id") -> None:
    """Refuse ids that are distinct as written but equal by :func:`id_key`, naming them: one
    series written two ways, or two series that the next tool (a spreadsheet) would merge."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(id_key(name), []).append(name)
    clashes = [sorted(group) for group in groups.values() if len(group) > 1]
    if clashes:
        shown = listed([" and ".join(map(repr, group)) for group in clashes])
        raise DataError(
            f"{len(clashes)} group(s) of {what}s differ only in whitespace, case, leading zeros or a "
            f"trailing .0: {shown}. They are one series written two ways, or two series that any tool "
            f"reading them as numbers would merge. Fix: write each series' {what} one way (e.g. keep "
            "the leading zeros everywhere), or give distinct series clearly distinct ids."
        )
