"""Built-in datasets and loaders for the user's own files and for real public data.

* :func:`load_dataset` reads a bundled CSV (``ridership``, ``stock`` or the ``stations`` panel, see
  ``datasets/README.md``) into a DataFrame with a regular DatetimeIndex.
* :func:`load_csv` reads any CSV (any common separator and decimal mark) or Parquet file
  with a date column; an id column stays text.
* :func:`load_cta_ridership` reads the Chicago Transit Authority "Daily Boarding Totals" file
  (columns :data:`CTA_COLUMNS`; MM/DD/YYYY dates; some duplicate rows).
* :func:`fetch_cta_ridership` downloads that file once, checks its SHA-256 and caches it; it
  fails fast with a clear message when there is no network.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from importlib import resources
from pathlib import Path

import pandas as pd

from tsforecast.core.errors import DataError, TsforecastError
from tsforecast.data.csv_dialect import Dialect, sniff_dialect
from tsforecast.data.dates import looks_like_dates, parse_dates
from tsforecast.data.series_ids import ids_as_text
from tsforecast.data.text import listed
from tsforecast.data.validation import clean_series, drop_duplicate_rows

__all__ = [
    "available_datasets",
    "load_dataset",
    "load_csv",
    "load_cta_ridership",
    "fetch_cta_ridership",
    "DATASETS",
    "DATASET_ID_COLUMNS",
    "CTA_URL",
    "CTA_COLUMNS",
    "CTA_SHA256",
]

#: name -> (file, default target column, description)
DATASETS: dict[str, tuple[str, str, str]] = {
    "ridership": (
        "ridership.csv",
        "rail",
        "Daily transit boardings 2016-2019 (bus, rail, day_type W/A/U); weekly and annual "
        "seasonality, holidays, trend, level shifts. Synthetic, modelled on the CTA series.",
    ),
    "stock": (
        "stock.csv",
        "ACME",
        "Closing prices of four stock-like series (ACME, BOLT, CRUX, DYNA) on NYSE trading days "
        "2019-2023; volatility clustering, jumps, market holidays absent. Synthetic.",
    ),
    "stations": (
        "stations.csv",
        "riders",
        "Long-format panel: daily entries (riders) at 30 stations (column station) of different sizes "
        "and histories, 4 months to 4 years up to 2019-12-31; most ride like ridership, some are "
        "stock-like random walks. Synthetic.",
    ),
}

#: long-format datasets -> the column naming each row's series
DATASET_ID_COLUMNS: dict[str, str] = {"stations": "station"}

CTA_URL = "https://data.cityofchicago.org/api/views/6iiy-9s97/rows.csv?accessType=DOWNLOAD"
#: SHA-256 of the 2001-01-01..2021-11-30 edition that the published reference numbers use.
CTA_SHA256 = "34faaba085ca21434b7dd3e0abcbaf8cde5be3a4f170dda1c8caef72c5c4bd06"
#: the columns of the CTA daily boarding totals file, in file order
CTA_COLUMNS = ("service_date", "day_type", "bus", "rail_boardings", "total_rides")


def available_datasets() -> dict[str, str]:
    """Names of the built-in datasets with a one-line description each."""
    return {name: description for name, (_, _, description) in DATASETS.items()}


def default_target(name: str) -> str:
    """The column a built-in dataset forecasts by default (``rail``, ``ACME``)."""
    return _dataset_entry(name)[1]


def _dataset_entry(name: str) -> tuple[str, str, str]:
    if name not in DATASETS:
        raise DataError(
            f"unknown dataset {name!r}; built-in datasets are: {', '.join(DATASETS)}."
        )
    return DATASETS[name]


def _regular(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame whose index is already regular its frequency (trading days included)."""
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)]
    freq = clean_series(frame, numeric[0]).series.index.freq
    return frame.asfreq(freq)


def load_dataset(name: str) -> pd.DataFrame:
    """A built-in dataset as a DataFrame indexed by date: a regular DatetimeIndex, or for a
    long-format panel (:data:`DATASET_ID_COLUMNS`) one row per series and date.

    >>> rail = load_dataset("ridership")["rail"]
    >>> stations = load_dataset("stations").reset_index()  # station, date, riders
    """
    filename = _dataset_entry(name)[0]
    with resources.as_file(resources.files("tsforecast.bundled") / filename) as path:
        frame = pd.read_csv(path, parse_dates=["date"], index_col="date")
    return frame if name in DATASET_ID_COLUMNS else _regular(frame)


def _is_row_number(name: object, values: pd.Series) -> bool:
    """A column with an empty header holding 0, 1, 2, ... (or 1, 2, 3, ...): the row number
    that ``DataFrame.to_csv()`` writes by default, not data."""
    if not str(name).startswith("Unnamed: ") or not pd.api.types.is_integer_dtype(values.dtype):
        return False
    numbers = values.to_numpy()
    return len(numbers) > 0 and numbers[0] in (0, 1) and bool((numbers[1:] - numbers[:-1] == 1).all())


def load_csv(
    path: str | os.PathLike[str],
    date_column: str | None = None,
    date_format: str | None = None,
    *,
    id_column: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Read a CSV (or ``.parquet``) file indexed by its date column.

    ``date_column`` defaults to the first column (other than ``id_column``) that reads as
    dates (:func:`tsforecast.data.dates.looks_like_dates`); a leading row-number column with an
    empty header (what ``DataFrame.to_csv()`` writes by default) is dropped first. Dates are
    read by the rule of :mod:`tsforecast.data.dates`: one format for the whole column
    (``date_format``, or the first value's, month-first or day-first, whichever reads every
    value), never numbers. ``id_column`` (long format) is read as text, never as numbers:
    ``007`` stays ``007``. A CSV's separator (``,`` ``;`` tab ``|``) and decimal mark are
    detected from its first lines unless ``sep`` / ``decimal`` are given
    (:mod:`tsforecast.data.csv_dialect`). The rows are not yet validated; pass the result (or one
    of its columns) to a model or to :func:`tsforecast.data.validation.clean_series`.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    frame, dialect = _read_table(path, id_column, sep, decimal)
    row_numbers = [c for c in frame.columns[:1]
                   if c not in (date_column, id_column) and _is_row_number(c, frame[c])]
    frame = frame.drop(columns=row_numbers)
    if frame.empty or frame.shape[1] < 2:
        note = (
            " (its first column only numbers the rows, as DataFrame.to_csv() writes by default; "
            "write the dates instead, e.g. series.to_csv() of a series indexed by dates)"
            if row_numbers else ""
        )
        read = f" It was read with {dialect.describe()}. Fix: give them with --sep / --decimal." if dialect else ""
        raise DataError(
            f"{path.name} needs a date column and at least one value column; it has columns "
            f"{[*map(str, row_numbers), *map(str, frame.columns)]} and {len(frame)} rows{note}.{read}"
        )
    column = date_column if date_column is not None else _date_column(frame, id_column, path.name)
    if column not in frame.columns:
        raise DataError(
            f"date column {column!r} not found in {path.name}; columns: {list(frame.columns)}."
        )
    dates = parse_dates(frame[column], f"column {str(column)!r} of {path.name}", date_format)
    if dates.isna().all():
        raise DataError(f"column {str(column)!r} of {path.name} holds no dates.")
    return frame.drop(columns=[column]).set_index(pd.DatetimeIndex(dates, name=str(column)))


def _read_table(
    path: Path, id_column: str | None, sep: str | None, decimal: str | None
) -> tuple[pd.DataFrame, Dialect | None]:
    """The file as read (ids as text), and the dialect of a CSV (None for Parquet)."""
    dialect = None
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            frame = pd.read_parquet(path)
            if id_column in frame.columns:
                frame[id_column] = ids_as_text(frame[id_column])  # an integer id column too
        else:
            dialect = sniff_dialect(path, sep, decimal)
            frame = pd.read_csv(path, sep=dialect.sep, decimal=dialect.decimal,
                                dtype={id_column: str} if id_column is not None else None)
    except ImportError as exc:
        raise DataError(f"cannot read {path.name}: {exc}. Fix: pip install pyarrow.") from exc
    except (ValueError, UnicodeDecodeError, OSError, pd.errors.ParserError) as exc:
        if isinstance(exc, TsforecastError):
            raise
        # an encoding or disk problem is not a matter of separators
        hint = dialect is not None and not isinstance(exc, UnicodeDecodeError | OSError)
        read = f" (read with {dialect.describe()}; fix: give them with --sep / --decimal)" if hint else ""
        raise DataError(f"cannot read {path.name} as a table: {str(exc).splitlines()[0]}{read}") from exc
    return frame, dialect


def _date_column(frame: pd.DataFrame, id_column: str | None, name: str) -> str:
    """The first column other than the id column that reads as dates, or a DataError naming
    --date-column."""
    candidates = [c for c in frame.columns if c != id_column]
    for column in candidates:
        if looks_like_dates(frame[column]):
            return column
    kinds = [f"{str(c)!r} ({'numbers' if pd.api.types.is_numeric_dtype(frame[c].dtype) else 'text'})"
             for c in candidates]
    raise DataError(
        f"no column of {name} reads as dates: {listed(kinds)} are not dates. Fix: name the column "
        "holding the dates with --date-column (date_column=), and their format with --date-format if needed."
    )


def load_cta_ridership(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the CTA daily boarding totals file into ``day_type, bus, rail, total`` by date.

    Exact duplicate rows (the published file has some) are dropped; conflicting duplicates
    raise :class:`DataError` (:func:`~tsforecast.data.validation.drop_duplicate_rows`). The
    index is daily with its frequency set.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    try:
        frame = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {path.name} as a table: {exc}".splitlines()[0]) from exc
    missing = set(CTA_COLUMNS) - set(frame.columns)
    if missing:
        raise DataError(
            f"{path.name} is not a CTA daily boarding totals file: it lacks column(s) "
            f"{sorted(missing)} (has {list(frame.columns)})."
        )
    if frame.empty:
        raise DataError(f"{path.name} has the CTA columns but no rows.")
    dates = pd.to_datetime(frame["service_date"], format="%m/%d/%Y", errors="coerce")
    if dates.isna().any():
        raise DataError(
            f"{path.name}: service_date values not in MM/DD/YYYY form, e.g. "
            f"{frame.loc[dates.isna(), 'service_date'].head(3).tolist()}."
        )
    frame = frame.assign(service_date=dates).rename(columns={"rail_boardings": "rail", "total_rides": "total"})
    frame = drop_duplicate_rows(frame.set_index("service_date").sort_index(), path.name)
    frame.index.name = "date"
    return frame[["day_type", "bus", "rail", "total"]].asfreq("D")


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tsforecast"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, destination: Path, timeout: float) -> None:
    """Copy ``url`` to ``destination`` within ``timeout`` seconds in all (not per read).

    The copy runs in a daemon thread that the caller stops waiting for at the deadline; a
    stalled connection then ends by itself within its own socket timeout, writing only to a
    temporary file that the caller has already removed.
    """
    failure: list[BaseException] = []

    def copy() -> None:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, destination.open("wb") as out:
                shutil.copyfileobj(response, out)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=copy, name="tsforecast-download", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"no complete answer within {timeout:g} s")
    if failure:
        raise failure[0]


def fetch_cta_ridership(
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    url: str = CTA_URL,
    sha256: str | None = CTA_SHA256,
    timeout: float = 20.0,
) -> pd.DataFrame:
    """Download the CTA file once (checked against ``sha256``), cache it, and load it.

    A cached file with the right checksum is used without touching the network. Pass
    ``sha256=None`` to accept a newer edition of the file (the portal updates it); the
    download is then cached only if it reads as a CTA daily boarding totals file. Only
    ``http://`` and ``https://`` URLs are fetched, and ``timeout`` bounds the whole download.
    Raises :class:`TsforecastError` quickly when offline or when the checksum differs.
    """
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in {"http", "https"}:
        raise TsforecastError(
            f"fetch_cta_ridership downloads over http(s) only, got {url!r}. Fix: for a local "
            "file use load_cta_ridership(path)."
        )
    cache = Path(cache_dir) if cache_dir is not None else _default_cache()
    target = cache / "CTA_-_Ridership_-_Daily_Boarding_Totals.csv"
    if target.is_file() and (sha256 is None or _sha256(target) == sha256):
        return load_cta_ridership(target)
    cache.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=cache, suffix=".part")
    os.close(fd)
    try:
        _download(url, Path(partial), timeout)
        got = _sha256(Path(partial))
        if sha256 is not None and got != sha256:
            raise TsforecastError(
                f"downloaded file from {url} has SHA-256 {got}, expected {sha256}; the source "
                "may have changed. Fix: pass sha256=None to accept it, or load a file you trust "
                "with load_cta_ridership(path)."
            )
        try:
            load_cta_ridership(Path(partial))  # never cache a file that is not the CTA table
        except DataError as exc:
            raise TsforecastError(f"the file downloaded from {url} is not usable: {exc}") from exc
        os.replace(partial, target)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise TsforecastError(
            f"could not download the CTA ridership file from {url}: {exc}. Fix: check the "
            "network, or download it by hand and use load_cta_ridership(path)."
        ) from exc
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return load_cta_ridership(target)
