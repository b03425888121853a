"""Bundled datasets, the generator's reproducibility, and the real-data loaders."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import tsforecast
from tsforecast.core.errors import DataError, TsforecastError
from tsforecast.data.datasets import CTA_COLUMNS, fetch_cta_ridership, load_csv
from tsforecast.data.synthetic import write_bundled

DATASETS_DIR = Path(__file__).resolve().parents[1] / "datasets"


def test_available_datasets():
    assert set(tsforecast.available_datasets()) == {"ridership", "stock", "stations"}


def test_the_stations_panel_is_ragged_long_format():
    frame = tsforecast.load_dataset("stations").reset_index()
    assert list(frame.columns) == ["date", "station", "riders"]
    lengths = frame.groupby("station").size()
    assert len(lengths) == 30 and lengths.min() >= 120 and lengths.max() <= 1461 and lengths.nunique() > 20
    starts = frame.groupby("station")["date"].min()
    assert starts.nunique() > 20  # stations open on different days
    assert not frame.duplicated(["station", "date"]).any() and (frame["riders"] > 0).all()


def test_ridership_has_the_properties_of_the_real_thing():
    frame = tsforecast.load_dataset("ridership")
    assert frame.index.freqstr == "D"
    assert set(frame["day_type"]) == {"W", "A", "U"}
    rail = frame["rail"]
    weekday = rail[frame["day_type"] == "W"].mean()
    sunday = rail[frame["day_type"] == "U"].mean()
    assert weekday > 1.5 * sunday  # weekly pattern
    christmas = frame.loc["2018-12-25"]
    assert christmas["day_type"] == "U"  # holidays ride like Sundays
    summer, winter = rail[rail.index.month == 7].mean(), rail[rail.index.month == 1].mean()
    assert summer > winter  # annual seasonality


def test_snaive_forecast_on_ridership_continues_daily():
    rail = tsforecast.load_dataset("ridership")["rail"]
    forecast = tsforecast.get_model("snaive").fit(rail).predict(14)
    assert forecast.index.equals(pd.date_range(rail.index[-1] + pd.Timedelta(days=1), periods=14))


def test_regenerating_gives_the_same_bytes(tmp_path):
    for path in write_bundled(tmp_path):
        assert path.read_bytes() == (DATASETS_DIR / path.name).read_bytes(), path.name


def test_cta_loader_on_the_real_file(cta_path):
    frame = tsforecast.load_cta_ridership(cta_path)
    assert list(frame.columns) == ["day_type", "bus", "rail", "total"]
    assert frame.index.freqstr == "D" and not frame.index.has_duplicates
    assert frame.loc["2019-06-01", "rail"] > 0


def test_cta_loader_rejects_other_files(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("date,value\n2020-01-01,1\n")
    with pytest.raises(DataError, match="not a CTA"):
        tsforecast.load_cta_ridership(path)


def test_cta_loader_drops_exact_copies_and_refuses_conflicting_rows(tmp_path):
    header = ",".join(CTA_COLUMNS)
    rows = ["01/02/2019,W,10,20,30", "01/01/2019,U,1,2,3", "01/02/2019,W,10,20,30"]  # unsorted, one copy
    path = tmp_path / "cta.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    frame = tsforecast.load_cta_ridership(path)
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2019-01-01", "2019-01-02"]
    assert frame["rail"].tolist() == [2, 20]
    path.write_text("\n".join([header, *rows, "01/02/2019,W,10,21,31"]) + "\n")
    with pytest.raises(DataError, match="cta.csv has conflicting rows for the same timestamp: 2019-01-02"):
        tsforecast.load_cta_ridership(path)


@pytest.fixture
def http_folder(tmp_path):
    """A real HTTP server on 127.0.0.1 serving ``tmp_path / "served"``; yields (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_uses_a_checked_download_and_caches(tmp_path, cta_path, http_folder):
    served, base = http_folder
    shutil.copy(cta_path, served / "cta.csv")
    frame = fetch_cta_ridership(tmp_path / "cache", url=f"{base}/cta.csv")
    assert len(frame) > 7000
    # second call: served from the cache even with an unreachable URL
    again = fetch_cta_ridership(tmp_path / "cache", url="http://127.0.0.1:9/none.csv")
    assert again.equals(frame)


def test_fetch_fails_fast_and_clearly_offline(tmp_path):
    with pytest.raises(TsforecastError, match="could not download"):
        fetch_cta_ridership(tmp_path, url="http://127.0.0.1:9/none.csv", timeout=2)
    assert not list(tmp_path.glob("*.part"))


def test_fetch_rejects_a_wrong_checksum(tmp_path, http_folder):
    served, base = http_folder
    (served / "src.csv").write_text(",".join(CTA_COLUMNS) + "\n")  # right format, wrong content
    with pytest.raises(TsforecastError, match="SHA-256"):
        fetch_cta_ridership(tmp_path / "cache", url=f"{base}/src.csv")


def test_fetch_never_caches_a_wrong_file_without_a_checksum(tmp_path, http_folder):
    served, base = http_folder
    (served / "page.csv").write_text("<html>not the data</html>\n")
    with pytest.raises(TsforecastError, match="not usable"):
        fetch_cta_ridership(tmp_path / "cache", url=f"{base}/page.csv", sha256=None)
    assert not list((tmp_path / "cache").iterdir())


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x.csv"])
def test_fetch_only_downloads_over_http(tmp_path, url):
    with pytest.raises(TsforecastError, match="http"):
        fetch_cta_ridership(tmp_path, url=url)


def test_the_fetch_timeout_bounds_the_whole_download(tmp_path):
    """A server that trickles one byte at a time never exceeds a per-read timeout; the
    download as a whole must still stop at the deadline."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def trickle() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while not stop.is_set():
            try:
                connection.sendall(b"x")
            except OSError:
                break
            time.sleep(0.2)
        connection.close()

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(TsforecastError, match="within 1 s"):
        fetch_cta_ridership(tmp_path, url=f"http://127.0.0.1:{listener.getsockname()[1]}/x.csv",
                            timeout=1, sha256=None)
    elapsed = time.monotonic() - started
    stop.set()
    listener.close()
    assert elapsed < 5  # a generous bound; per read, it would never stop


def test_load_csv_errors_are_clear(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("when,value\nyesterday,1\ntoday,2\n")
    with pytest.raises(DataError, match="not dates"):
        load_csv(bad)
