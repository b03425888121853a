"""The package's one unpickling function: bytes this run pickled itself a moment before.

Two engines hand work to another process, and both send Python objects (a model, possibly a
class defined in the user's own script, and its task) the way the standard library and Dask
send every task: pickled by the sender, unpickled by the receiver.

* The process pool (:func:`tsforecast.backtest.executors.run_tasks`): the parent pickles
  ``(function, task)`` with cloudpickle and sends it over the pool's private pipe to the
  worker it spawned.
* The Dask engine (:func:`tsforecast.backtest.block_payload.seal_block`): this run's client
  pickles a block once for its own cluster, so the scheduler forwards bytes; the worker opens
  them.

Both are opened here and nowhere else. Nothing a user hands in, no file and no saved model
ever reaches this function: model files are JSON and safetensors (``persistence``), data is
read by pandas and pyarrow, stores through SQLAlchemy. ``tests/test_architecture.py`` keeps
this the only unpickling in the package.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from typing import Any

__all__ = ["load_own_payload"]


def load_own_payload(data: Any, buffers: Iterable[Any] = ()) -> Any:
    """The object this run pickled into ``data`` (bytes-like) and its out-of-band ``buffers``
    (pickle protocol 5). cloudpickle's and Dask's streams are plain pickle streams, so one
    reader serves both. Only for the engines' own payloads (see the module docstring)."""
    return pickle.loads(data, buffers=buffers)
