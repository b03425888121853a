"""The report of a many-series backtest in a real browser (headless Chromium): it opens from
a file with no network, its series picker works, hostile series names stay text, and it
renders to a non-blank page. Skipped where Chromium is not installed."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from tsforecast.backtest import backtest
from tsforecast.data.synthetic import make_panel
from tsforecast.report import CHARTED_BY_VOLUME, CHARTED_WORST, write_report

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="headless Chromium is not installed")

HOSTILE = "<script>document.title='pwned'</script>../../etc"


def _chromium(*arguments: str) -> str:
    done = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         # no network at all: a report that needed one would render without it
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", *arguments],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    panel = make_panel(40, length=120)
    panel.loc[panel["station"] == "S01", "station"] = HOSTILE
    result = backtest(panel, ["naive", "drift"], horizon=7, n_windows=2, id_col="station", time_col="date",
                      target_col="riders")
    return write_report(result, tmp_path_factory.mktemp("report") / "report.html")


def test_the_many_series_report_runs_its_picker_offline(report):
    dom = _chromium("--dump-dom", report.as_uri())
    assert "<title>tsforecast backtest: 40 series" in dom
    sections = re.findall(r'<section class="series-panel" id="series-\d+"( hidden="")?>', dom)
    charted = CHARTED_BY_VOLUME + CHARTED_WORST
    assert len(sections) == charted
    # the inline script ran: one series shown, the others hidden
    assert sum(1 for hidden in sections if not hidden) == 1
    assert len(re.findall(r"<option value=\"series-\d+\">", dom)) == charted
    assert "Across 40 series" in dom and "Best and worst series" in dom


def test_a_hostile_series_name_stays_text(report):
    dom = _chromium("--dump-dom", report.as_uri())
    # the name is in the title as text; had its script run, the title would be "pwned"
    assert re.search(r"<title>(.*?)</title>", dom).group(1).startswith("tsforecast backtest: 40 series")
    assert dom.count("<script>") == 1  # the report's own picker, nothing injected
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;../../etc" in dom


def test_the_report_renders_to_a_non_blank_page(report, tmp_path):
    from matplotlib.image import imread

    shot = tmp_path / "report.png"
    _chromium(f"--screenshot={shot}", "--window-size=1200,2400", report.as_uri())
    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (2400, 1200)
    # text, tables and charts: many pixels far from the white background, in several colours
    ink = (pixels.mean(axis=2) < 0.6).mean()
    assert 0.01 < ink < 0.6
    assert len(np.unique((pixels.reshape(-1, 3) * 8).astype(int), axis=0)) > 20
