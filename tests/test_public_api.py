"""The public API as the README shows it, seen from a fresh interpreter after ``import tsforecast``.

A fresh interpreter matters: inside the test session other tests have already imported the
submodules, which would hide a name that a bare ``import tsforecast`` does not provide.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_every_name_in_all_exists():
    checked = _run_fresh(
        "import tsforecast\n"
        "missing = [n for n in tsforecast.__all__ if not hasattr(tsforecast, n)]\n"
        "assert not missing, missing\n"
    )
    assert checked.returncode == 0, checked.stderr


def test_names_the_readme_uses_exist_after_a_bare_import():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = "\n".join(re.findall(r"```python\n(.*?)```", readme, flags=re.S))
    # `from tsforecast.x import y` names a module, imported as written; every other dotted
    # use must resolve as attributes after a bare `import tsforecast` (the lazy face)
    imports = sorted(set(re.findall(r"^\s*from (tsforecast(?:\.\w+)*) import ([\w, ]+)", blocks, flags=re.M)))
    uses = "\n".join(line for line in blocks.splitlines() if not re.match(r"\s*(from|import) ", line))
    paths = sorted(set(re.findall(r"\btsforecast((?:\.[A-Za-z_]\w*)+)", uses)))
    assert paths, "the README shows no Python use of tsforecast"
    lines = ["import functools, importlib, tsforecast", "missing = []"]
    for module, names in imports:
        for name in (n.strip() for n in names.split(",") if n.strip()):
            lines.append(
                "try:\n"
                f"    getattr(importlib.import_module({module!r}), {name!r})\n"
                "except (ImportError, AttributeError):\n"
                f"    missing.append({module + ':' + name!r})"
            )
    for path in paths:
        parts = path.lstrip(".").split(".")
        lines.append(
            "try:\n"
            f"    functools.reduce(getattr, {parts!r}, tsforecast)\n"
            "except AttributeError:\n"
            f"    missing.append({'tsforecast' + path!r})"
        )
    lines.append("assert not missing, missing")
    checked = _run_fresh("\n".join(lines))
    assert checked.returncode == 0, checked.stderr


def test_a_model_class_is_usable_directly():
    import tsforecast

    from .conftest import weekly_series

    y = weekly_series(60)
    forecast = tsforecast.SARIMA(order=(1, 0, 0), seasonal_order=(0, 1, 1)).fit(y).predict(7)
    assert len(forecast) == 7 and forecast.index[0] == y.index[-1] + y.index.freq
