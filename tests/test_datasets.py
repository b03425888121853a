"""Bundled datasets, the generator's reproducibility, and the real-data loaders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import tsforecast
from tsforecast.datasets import CTA_COLUMNS, fetch_cta_ridership, load_csv
from tsforecast.errors import DataError, TsforecastError
from tsforecast.synthetic import write_bundled

DATASETS_DIR = Path(__file__).resolve().parents[1] / "datasets"


def test_available_datasets():
    assert set(tsforecast.available_datasets()) == {"ridership", "stock"}


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


def test_fetch_uses_a_checked_download_and_caches(tmp_path, cta_path):
    frame = fetch_cta_ridership(tmp_path / "cache", url=cta_path.as_uri())
    assert len(frame) > 7000
    # second call: served from the cache even with an unreachable URL
    again = fetch_cta_ridership(tmp_path / "cache", url="http://127.0.0.1:9/none.csv")
    assert again.equals(frame)


def test_fetch_fails_fast_and_clearly_offline(tmp_path):
    with pytest.raises(TsforecastError, match="could not download"):
        fetch_cta_ridership(tmp_path, url="http://127.0.0.1:9/none.csv", timeout=2)
    assert not list(tmp_path.glob("*.part"))


def test_fetch_rejects_a_wrong_checksum(tmp_path):
    source = tmp_path / "src.csv"
    source.write_text(",".join(CTA_COLUMNS) + "\n")  # right format, wrong content
    with pytest.raises(TsforecastError, match="SHA-256"):
        fetch_cta_ridership(tmp_path / "cache", url=source.as_uri())


def test_load_csv_errors_are_clear(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("when,value\nyesterday,1\ntoday,2\n")
    with pytest.raises(DataError, match="not dates"):
        load_csv(bad)
