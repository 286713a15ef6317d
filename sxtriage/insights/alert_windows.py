"""Sliding windows over receive time for the alert engine — O(1) amortized per sample.

Samples are grouped into one-second buckets held in a deque; a running total is kept,
so adding is O(1) and expiring pops each bucket exactly once.  A sample stays in the
window while its second overlaps (now - window, now], i.e. at most one second longer
than the window itself.  Receive times that go backwards (a late batch from another
source) are counted into the newest bucket, never into the past.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Hashable

# p95 histogram: buckets 1% wide from 1 µs to ~3 h; bucket 0 holds everything < 1 µs.
_GROWTH = 1.01
_LOG_GROWTH = math.log(_GROWTH)
_MIN_MS = 0.001
_BUCKETS = 1 + math.ceil(math.log(1e7 / _MIN_MS) / _LOG_GROWTH)


def _hist_index(ms: float) -> int:
    if ms < _MIN_MS:
        return 0
    return min(_BUCKETS - 1, 1 + int(math.log(ms / _MIN_MS) / _LOG_GROWTH))


def _hist_bounds(index: int) -> tuple[float, float]:
    if index == 0:
        return 0.0, _MIN_MS
    return _MIN_MS * _GROWTH ** (index - 1), _MIN_MS * _GROWTH**index


class SlidingCount:
    """How many samples arrived in the last `window` seconds."""

    __slots__ = ("_buckets", "total", "window")

    def __init__(self, window: float) -> None:
        self.window = float(window)
        self._buckets: deque[list[int]] = deque()
        self.total = 0

    def add(self, t: float, n: int = 1) -> None:
        sec = math.floor(t)
        buckets = self._buckets
        if buckets and buckets[-1][0] >= sec:
            buckets[-1][1] += n
        else:
            buckets.append([sec, n])
        self.total += n

    def expire(self, now: float) -> None:
        cutoff = now - self.window
        buckets = self._buckets
        while buckets and buckets[0][0] + 1 <= cutoff:
            self.total -= buckets.popleft()[1]


class SlidingQuantile:
    """Durations of the last `window` seconds: exact "is the quantile above the
    threshold?" in O(1), and the quantile itself from a 1%-resolution histogram."""

    __slots__ = ("_buckets", "_hist", "above", "q", "threshold", "total", "window")

    def __init__(self, window: float, threshold: float, q: float = 0.95) -> None:
        self.window = float(window)
        self.threshold = float(threshold)
        self.q = q
        # [second, count, count above threshold, {histogram index: count}]
        self._buckets: deque[list] = deque()  # type: ignore[type-arg]
        self._hist = [0] * _BUCKETS
        self.total = 0
        self.above = 0

    def add(self, t: float, ms: float) -> None:
        sec = math.floor(t)
        idx = _hist_index(ms)
        over = 1 if ms > self.threshold else 0
        buckets = self._buckets
        if buckets and buckets[-1][0] >= sec:
            bucket = buckets[-1]
            bucket[1] += 1
            bucket[2] += over
            hist = bucket[3]
            hist[idx] = hist.get(idx, 0) + 1
        else:
            buckets.append([sec, 1, over, {idx: 1}])
        self._hist[idx] += 1
        self.total += 1
        self.above += over

    def expire(self, now: float) -> None:
        cutoff = now - self.window
        buckets = self._buckets
        hist = self._hist
        while buckets and buckets[0][0] + 1 <= cutoff:
            _sec, count, over, part = buckets.popleft()
            self.total -= count
            self.above -= over
            for idx, n in part.items():
                hist[idx] -= n

    def rank(self) -> int:
        """1-based nearest rank of the quantile among the samples (0 when empty)."""
        return math.ceil(self.q * self.total - 1e-9) if self.total else 0

    def exceeds(self) -> bool:
        """Exactly: is the nearest-rank quantile strictly above the threshold?"""
        return self.total > 0 and self.above > self.total - self.rank()

    def value(self) -> float:
        """The quantile in ms (within 1%), consistent with `exceeds()`."""
        if not self.total:
            return 0.0
        rank = self.rank()
        seen = 0
        idx = 0
        hist = self._hist
        while idx < _BUCKETS - 1:
            seen += hist[idx]
            if seen >= rank:
                break
            idx += 1
        lo, hi = _hist_bounds(idx)
        estimate = math.sqrt(lo * hi) if lo > 0 else hi / 2
        if self.exceeds():
            return estimate if estimate > self.threshold else hi
        return min(estimate, self.threshold)


class RecentKeys:
    """Distinct keys seen recently, newest last, bounded in size."""

    __slots__ = ("_keys", "limit")

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._keys: OrderedDict[Hashable, float] = OrderedDict()

    def add(self, key: Hashable, t: float) -> None:
        keys = self._keys
        keys[key] = t
        keys.move_to_end(key)
        if len(keys) > self.limit:
            keys.popitem(last=False)

    def within(self, now: float, window: float) -> list[Hashable]:
        """Keys seen in (now - window - 1, now], most recent first."""
        cutoff = now - window - 1
        keys = self._keys
        while keys:
            oldest = next(iter(keys))
            if keys[oldest] > cutoff:
                break
            keys.popitem(last=False)
        return list(reversed(keys))
