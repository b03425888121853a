"""Which separator and decimal mark a delimited text file uses, as a spreadsheet wrote it.

A European spreadsheet exports ``date;sales`` / ``2024-01-01;12,5``: semicolons between the
fields because the comma is the decimal mark. :func:`sniff_dialect` reads the first lines of
the file and picks the separator among :data:`SEPARATORS` that splits every line into the
same number of fields (more than one), and the decimal comma when the separator is not a comma
and numeric-looking cells are written ``12,5``. Given values (``--sep``, ``--decimal``) win
over detection; :meth:`Dialect.describe` says what was used, for error messages.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from tsforecast.core.errors import ConfigError

__all__ = ["Dialect", "SEPARATORS", "DECIMALS", "check_decimal", "check_sep", "sniff_dialect"]

#: the separators detected, in order of preference when several fit the first lines
SEPARATORS = (",", ";", "\t", "|")
#: the decimal marks read
DECIMALS = (".", ",")
_SAMPLE_BYTES = 1 << 16  # enough for a few hundred lines, cheap for any file size
_SAMPLE_LINES = 200
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


@dataclass(frozen=True)
class Dialect:
    """How to read a delimited file: its separator and decimal mark, whether each was given
    or detected, and whether the separator was a guess among several (or no) fitting ones."""

    sep: str
    decimal: str
    sep_given: bool = False
    decimal_given: bool = False
    ambiguous: bool = False

    def describe(self) -> str:
        """What the file was read with, for a message: ``separator ';' (detected) and ...``."""
        sep = f"separator {self.sep!r} ({'given' if self.sep_given else 'detected'})"
        decimal = f"decimal mark {self.decimal!r} ({'given' if self.decimal_given else 'detected'})"
        note = "; the separator is ambiguous in its first lines" if self.ambiguous else ""
        return f"{sep} and {decimal}{note}"


def _sample_lines(path: Path) -> list[str]:
    """The first non-blank lines of the file (a cut last line left out)."""
    with path.open("rb") as handle:
        head = handle.read(_SAMPLE_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    if len(head) == _SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n")]
    return [line for line in text.splitlines() if line.strip()][:_SAMPLE_LINES]


def _fields(lines: list[str], sep: str) -> list[list[str]]:
    return list(csv.reader(lines, delimiter=sep))


def _separator(lines: list[str]) -> tuple[str, bool]:
    """The separator that splits every sampled line into the same number (> 1) of fields;
    among several, the one giving the most fields; with none, the one whose header's field
    count most lines share. The flag says whether that was a choice among several or none."""
    consistent, partial = [], []
    for sep in SEPARATORS:
        rows = _fields(lines, sep)
        widths = [len(row) for row in rows]
        if not widths or widths[0] < 2:
            continue
        share = sum(w == widths[0] for w in widths) / len(widths)
        (consistent if share == 1 else partial).append((widths[0], share, sep))
    if len(consistent) == 1:
        return consistent[0][2], False
    if consistent:
        return max(consistent, key=lambda c: c[0])[2], True  # max keeps the first of equals
    if partial:
        return max(partial, key=lambda c: (c[1], c[0]))[2], True
    return ",", True


def _decimal(lines: list[str], sep: str) -> str:
    """A comma when the separator is not one and some value cell is written like ``12,5``."""
    if sep == ",":
        return "."
    cells = (cell.strip() for row in _fields(lines[1:], sep) for cell in row)
    return "," if any(_DECIMAL_COMMA.fullmatch(cell) for cell in cells) else "."


def check_sep(value: object, name: str = "sep") -> str:
    """A separator: one character, or ``tab`` (``\\t``, hard to type) for a tab."""
    text = {"tab": "\t", "\\t": "\t"}.get(value, value) if isinstance(value, str) else value
    if not isinstance(text, str) or len(text) != 1 or text in "\r\n\"'":
        raise ConfigError(f"{name} must be one character such as ';' or '|', or tab, got {value!r}.")
    return text


def check_decimal(value: object, name: str = "decimal") -> str:
    """A decimal mark: ``.`` or ``,``."""
    if value not in DECIMALS:
        raise ConfigError(f"{name} must be '.' or ',', got {value!r}.")
    return str(value)


def sniff_dialect(path: Path, sep: str | None = None, decimal: str | None = None) -> Dialect:
    """The separator and decimal mark to read ``path`` with: ``sep`` and ``decimal`` when
    given, else detected from its first lines (see the module docstring)."""
    decimal = None if decimal is None else check_decimal(decimal)
    sep = None if sep is None else check_sep(sep)
    if sep is not None and sep == decimal:
        raise ConfigError(f"sep and decimal are both {sep!r}; a file cannot use one mark for both.")
    lines = _sample_lines(path) if sep is None or decimal is None else []
    sep_given, ambiguous = sep is not None, False
    if sep is None:
        sep, ambiguous = _separator(lines)
    chosen = decimal if decimal is not None else _decimal(lines, sep)
    if chosen == sep:  # --decimal , on a file detected as comma-separated
        raise ConfigError(f"the file's separator was detected as {sep!r}, the decimal mark given is the same. "
                          "Fix: give the separator too, e.g. --sep ';' (sep=';').")
    return Dialect(sep, chosen, sep_given=sep_given, decimal_given=decimal is not None, ambiguous=ambiguous)
