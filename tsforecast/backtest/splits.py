"""Rolling-origin folds.

Vocabulary (used with exactly these meanings everywhere in tsforecast):

* **horizon**: how many steps each fold forecasts; every step 1..horizon is scored.
* **cutoff**: the last timestamp of a fold's training data; the fold forecasts the
  ``horizon`` timestamps after it.
* **n_windows**: how many folds (cutoffs) there are.
* **step**: how many observations separate consecutive cutoffs (default: ``horizon``, so the
  scored periods do not overlap). The last fold's forecast ends at the last observation.
* **window type**: ``expanding`` trains on everything up to the cutoff; ``sliding`` on the
  last ``window_size`` observations up to the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsforecast.core.errors import ConfigError
from tsforecast.core.params import check_int

__all__ = ["Fold", "make_folds"]


@dataclass(frozen=True)
class Fold:
    """Positions of one fold: training is ``[train_start, train_end)``, the test ``[train_end,
    train_end + horizon)``."""

    number: int
    train_start: int
    train_end: int
    horizon: int

    @property
    def test_end(self) -> int:
        return self.train_end + self.horizon


def make_folds(
    n_obs: int,
    horizon: int,
    n_windows: int,
    step: int | None = None,
    window_type: str = "expanding",
    window_size: int | None = None,
    min_train: int = 1,
) -> list[Fold]:
    """The ``n_windows`` folds over a series of ``n_obs`` observations, oldest first."""
    horizon = check_int(None, "horizon", horizon, 1)
    n_windows = check_int(None, "n_windows", n_windows, 1)
    step = horizon if step is None else check_int(None, "step", step, 1)
    if window_type not in {"expanding", "sliding"}:
        raise ConfigError(f"window type must be 'expanding' or 'sliding', got {window_type!r}.")
    if window_type == "sliding":
        if window_size is None:
            raise ConfigError("a sliding window needs window_size (observations per fit).")
        check_int(None, "window_size", window_size, 1)
    first_end = n_obs - horizon - step * (n_windows - 1)
    first_train = min(first_end, window_size) if window_size and window_type == "sliding" else first_end
    if window_type == "sliding" and window_size < min_train:
        raise ConfigError(
            f"window_size {window_size} is too small: the models need at least {min_train} "
            f"observations per fit. Fix: window_size of {min_train} or more."
        )
    if first_train < min_train:
        raise ConfigError(
            f"{n_obs} observations are too few for {n_windows} folds of horizon {horizon} every "
            f"{step} steps: the first fold would train on {max(first_end, 0)} observations and "
            f"the models need at least {min_train}. Fix: fewer windows, a shorter horizon or "
            "step, or more data."
        )
    folds = []
    for number in range(n_windows):
        end = first_end + number * step
        start = max(0, end - window_size) if window_type == "sliding" else 0
        folds.append(Fold(number, start, end, horizon))
    return folds
