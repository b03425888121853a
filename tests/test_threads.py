"""Models estimate with one BLAS thread (tsforecast.core.threads), and give the caller's back."""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_info, threadpool_limits

from tsforecast.models.baseline import Naive


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


class _Probe(Naive):
    """A naive forecaster that records the BLAS threads it was given."""

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        self.fit_threads_ = _blas_threads()
        super()._fit(y, X)

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        self.update_threads_ = _blas_threads()
        super()._update(y_new, X_new)


def _series(n: int) -> pd.Series:
    return pd.Series(np.arange(n, dtype="float64"), pd.date_range("2024-01-01", periods=n, freq="D"))


def test_fit_and_update_run_with_one_blas_thread_and_restore_the_callers_setting():
    y = _series(40)
    with threadpool_limits(3, user_api="blas"):  # what the caller chose, more than one
        before = _blas_threads()
        model = _Probe().fit(y.iloc[:30])
        model.update(y.iloc[30:])
        after = _blas_threads()
    assert before == {3}
    assert model.fit_threads_ == {1}
    assert model.update_threads_ == {1}
    assert after == before


def test_a_failed_fit_still_restores_the_callers_threads():
    class _Failing(_Probe):
        def _fit(self, y, X):
            raise RuntimeError("boom")

    with threadpool_limits(3, user_api="blas"):
        try:
            _Failing().fit(_series(30))
        except RuntimeError:
            pass
        assert _blas_threads() == {3}


def test_a_worker_process_is_capped_at_its_share_of_threads():
    # in a fresh interpreter (the cap is process-wide; 1 is below the default on any machine
    # with two cores or more): BLAS loaded already, the variables
    # for libraries loaded later, and torch when it is loaded
    import json
    import subprocess
    import sys

    code = (
        "import json, os, numpy, torch\n"
        "from threadpoolctl import threadpool_info\n"
        "from tsforecast.core.threads import THREAD_VARIABLES, limit_process_threads\n"
        "limit_process_threads(1)\n"
        "print(json.dumps({'env': [os.environ[v] for v in THREAD_VARIABLES], 'torch': torch.get_num_threads(),\n"
        "                  'blas': sorted({i['num_threads'] for i in threadpool_info()\n"
        "                                  if i['user_api'] == 'blas'})}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"env": ["1", "1", "1"], "torch": 1, "blas": [1]}


def test_torch_threads_sets_them_inside_the_block_and_restores_them():
    import torch

    from tsforecast.core.threads import torch_threads

    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    with torch_threads(wanted):
        inside = torch.get_num_threads()
    with torch_threads(None):
        untouched = torch.get_num_threads()
    assert (inside, torch.get_num_threads(), untouched) == (wanted, before, before)
