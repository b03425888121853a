"""Old import paths keep working after the move into layered packages, with a warning."""

import importlib
import subprocess
import sys

import pytest

from tsforecast.moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_module_path_gives_the_moved_module_and_says_where_it_went(old):
    code = (
        "import warnings, importlib, sys\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        f"try:\n    importlib.import_module({old!r})\nexcept DeprecationWarning as w:\n    print(w)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert f"{old} moved to {MOVED[old]}" in out.stdout, out.stderr[-2000:]


def test_the_old_path_is_the_same_module_object_with_its_own_spec():
    with pytest.warns(DeprecationWarning, match="tsforecast.errors moved to tsforecast.core.errors"):
        old = importlib.import_module("tsforecast.errors")
    new = importlib.import_module("tsforecast.core.errors")
    assert old is new
    assert new.__spec__.name == "tsforecast.core.errors"
    from tsforecast.errors import DataError  # noqa: F401 - a from-import of an old path works too


def test_the_readme_face_names_still_resolve_without_warnings():
    import warnings

    import tsforecast

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert callable(tsforecast.scoring.crps_from_samples)
        assert callable(tsforecast.persistence.read_metadata)
        assert callable(tsforecast.backtest.backtest)
        assert tsforecast.Forecaster.__module__ == "tsforecast.models.base"
