"""Events per hour of each issue over the last 24 h, counted from the events we see.

Sentry issues come with their own 24 h series (`Issue.stats_24h`, from Sentry's
`stats["24h"]`); local (relay) issues have only what the feed observes, counted here in
hourly buckets aligned to the clock hour, like Sentry's.  Bounded: at most `max_issues`
series (the least recently counted are dropped).  Reading a series is O(24), no I/O.
"""

from __future__ import annotations

from collections import OrderedDict

from sxtriage.models import IssueKey

HOURS = 24
MAX_ISSUES = 20_000


class Trends:
    def __init__(self, *, hours: int = HOURS, max_issues: int = MAX_ISSUES) -> None:
        self.hours = hours
        self.max_issues = max_issues
        self._series: OrderedDict[IssueKey, tuple[int, list[int]]] = OrderedDict()
        """key → (the hour of the last bucket, counts oldest first)."""

    def observe(self, key: IssueKey, when: float, n: int = 1) -> None:
        """Count `n` events of issue `key` at epoch seconds `when`."""
        hour = int(when // 3600)
        entry = self._series.get(key)
        if entry is None:
            entry = (hour, [0] * self.hours)
        last, counts = self._aligned(entry, hour)
        age = last - hour
        if 0 <= age < self.hours:
            counts[-1 - age] += n
        self._series[key] = (last, counts)
        self._series.move_to_end(key)
        while len(self._series) > self.max_issues:
            self._series.popitem(last=False)

    def series(self, key: IssueKey, now: float) -> list[int]:
        """The last `hours` hourly counts ending with the current hour; [] if none seen."""
        entry = self._series.get(key)
        if entry is None:
            return []
        return self._aligned(entry, int(now // 3600))[1]

    def _aligned(self, entry: tuple[int, list[int]], hour: int) -> tuple[int, list[int]]:
        last, counts = entry
        shift = hour - last
        if shift <= 0:
            return last, list(counts)
        if shift >= self.hours:
            return hour, [0] * self.hours
        return hour, counts[shift:] + [0] * shift
