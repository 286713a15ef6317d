"""Redraws that follow live changes at a reading pace, not at the rate changes arrive.

At 200 new issues/s the list redraws every frame, but the service bar, the banner and the
status line show counts and rates a reader takes in a few times a second: a `Throttle`
redraws them at once after a quiet spell (a single change shows immediately), and while
changes keep coming, once per `every` seconds with what is current then.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Later = Callable[[float, Callable[[], None]], object]
"""Schedules a callback after a delay (a Textual `set_timer`)."""


class Throttle:
    def __init__(
        self,
        run: Callable[[], None],
        every: float,
        later: Later,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.run = run
        self.every = every
        self._later = later
        self._clock = clock
        self._at = float("-inf")
        self._due = False

    def soon(self) -> None:
        """Run now if the last run is `every` seconds old, else once when it will be."""
        if self._due:
            return
        wait = self._at + self.every - self._clock()
        if wait <= 0:
            self._fire()
            return
        self._due = True
        self._later(wait, self._fire)

    def _fire(self) -> None:
        self._due = False
        self._at = self._clock()
        self.run()
