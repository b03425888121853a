"""The code base keeps the lint rules configured in pyproject.toml (ruff)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it comes with the dev extra)")
    checked = subprocess.run(
        [ruff, "check", "--no-cache", "tsforecast", "tests", "benchmarks", "cli.py"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
