"""How the data layer names values in its messages: the first few of a list, and timestamps.

One place for both, so every error that lists rows, ids, dates or values reads alike
("a, b, c (and 4 more)"; ``2024-01-01`` for a daily stamp, ISO 8601 with a time of day).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["listed", "stamp_text", "stamps", "MAX_LISTED"]

#: how many items a message shows before saying how many more there are
MAX_LISTED = 3


def listed(items: Sequence[object]) -> str:
    """The first few ``items`` joined for a message, with how many more there are."""
    shown = ", ".join(str(item) for item in list(items)[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "")


def stamp_text(ts: pd.Timestamp) -> str:
    """A timestamp for a message: the date alone at midnight (daily data), else ISO 8601."""
    return ts.isoformat() if (ts.hour or ts.minute or ts.second) else ts.strftime("%Y-%m-%d")


def stamps(index: pd.Index) -> str:
    """The first few timestamps of ``index`` for a message (see :func:`stamp_text`)."""
    return listed([stamp_text(ts) for ts in index])
