"""How long an input window a windowed model reads, shared by the neural networks and
``ridge``: one rule, so both adapt to the frequency and to short histories alike.

The default window is 8 seasons (56 days for daily data), capped for long seasons
(:func:`default_window`) and shortened on short histories so that at least
:data:`MIN_TRAINING_WINDOWS` training windows remain, besides a held-out tail (not below
:func:`min_window`). No import of PyTorch here: checking parameters stays cheap.
"""

from __future__ import annotations

import math

from tsforecast.core.params import check_int

__all__ = ["MIN_TRAINING_WINDOWS", "WindowRules", "default_window", "min_window"]

#: training windows a fit keeps at least (besides its held-out tail); shorter histories
#: shorten the default window, down to :func:`min_window`
MIN_TRAINING_WINDOWS = 32
_LONGEST_DEFAULT_WINDOW = 112


def default_window(season: int) -> int:
    """The default input length: 8 seasons (56 days for daily data, 96 months for monthly),
    at least 16 observations, and for long seasons (52 weeks, 24 hours) at most
    ``max(112, 2 * season)``: two cycles of a long season are enough to read it, and eight
    would make recurrent fits take minutes."""
    return max(16, min(8 * season, max(_LONGEST_DEFAULT_WINDOW, 2 * season)))


def min_window(season: int) -> int:
    """The shortest window the default shortens to on short histories: one season (at most
    16 observations), never fewer than 4."""
    return max(4, min(season, 16))


class WindowRules:
    """The window rule for a model with ``window`` (None: the default rule) and
    ``output_steps`` parameters, a ``season_`` and a held-out share of its windows
    (:meth:`_held_out_fraction`)."""

    window: int | None
    output_steps: int
    season_: int
    short_name: str

    def _held_out_fraction(self) -> float:
        """The share of the windows held out of training (early stopping, calibration)."""
        raise NotImplementedError

    def _target_window(self) -> int:
        """The window the rule aims at (see :func:`default_window`), or the one given."""
        if self.window is None:
            return default_window(self.season_)
        return check_int(self.short_name, "window", self.window, 2)

    def _samples_needed(self) -> int:
        """Windows a fit needs: ``MIN_TRAINING_WINDOWS`` to train on, plus the held-out tail
        and the purge gap between them (no training target inside the tail)."""
        train = MIN_TRAINING_WINDOWS + self.output_steps - 1
        return math.ceil(train / (1 - self._held_out_fraction()))

    def _shortest_window(self) -> int:
        return self._target_window() if self.window is not None else min_window(self.season_)

    def _window_for(self, n: int) -> int:
        """The window for ``n`` observations: the target, shortened (not below
        :func:`min_window`) when the history would leave too few training windows."""
        room = n - self.output_steps + 1 - self._samples_needed()
        return max(self._shortest_window(), min(self._target_window(), room))

    def _min_length(self) -> int:
        return self._shortest_window() + self.output_steps - 1 + self._samples_needed()
