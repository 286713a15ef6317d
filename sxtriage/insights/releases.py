"""Per service: the releases seen (from events' `release`, and Sentry's releases API
when available) and when each was first *received* — never an SDK's clock, so a skewed
device cannot make an old release look new.  The first release seen of a service was
already running when we started watching: it is the baseline and never a suspect.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(slots=True)
class ReleaseInfo:
    service: str
    version: str
    first_seen: float
    """Receive time (or Sentry's dateCreated) — never an SDK's clock."""
    baseline: bool = False
    """Already deployed when we started watching: never a suspect."""
    events: int = 0
    new_issues: int = 0


class ReleaseTracker:
    """Per service: the releases seen, their first-seen time, the latest one."""

    def __init__(self) -> None:
        self._by_service: dict[str, list[ReleaseInfo]] = {}
        self._index: dict[tuple[str, str], ReleaseInfo] = {}

    def observe(self, service: str, version: str | None, t: float) -> ReleaseInfo | None:
        """A release seen on an event received at `t`."""
        if not version or not isinstance(version, str):
            return None
        info = self._index.get((service, version))
        if info is None:
            known = self._by_service.get(service)
            info = ReleaseInfo(service, version, t, baseline=not known)
            self._insert(info)
        info.events += 1
        return info

    def add_release(self, service: str, version: str, created: float) -> ReleaseInfo:
        """A release from Sentry's releases API: its creation time is authoritative."""
        info = self._index.get((service, version))
        if info is not None:
            if created < info.first_seen or info.baseline:
                self._by_service[service].remove(info)
                info.first_seen = min(created, info.first_seen)
                info.baseline = False
                self._insert(info)
            return info
        info = ReleaseInfo(service, version, created)
        self._insert(info)
        return info

    def _insert(self, info: ReleaseInfo) -> None:
        seq = self._by_service.setdefault(info.service, [])
        bisect.insort(seq, info, key=lambda r: r.first_seen)
        self._index[(info.service, info.version)] = info

    def get(self, service: str, version: str) -> ReleaseInfo | None:
        return self._index.get((service, version))

    def latest(self, service: str) -> str | None:
        """The newest release version of `service` (by first-seen time)."""
        info = self.latest_info(service)
        return info.version if info is not None else None

    def latest_info(self, service: str) -> ReleaseInfo | None:
        seq = self._by_service.get(service)
        return seq[-1] if seq else None

    def releases(self, service: str) -> list[ReleaseInfo]:
        """Oldest first."""
        return list(self._by_service.get(service, ()))

    def services(self) -> list[str]:
        return sorted(self._by_service)

    def suspect(
        self, service: str, first_seen: float, window: float, slack: float
    ) -> ReleaseInfo | None:
        """The newest non-baseline release that appeared at most `window` s before `first_seen`."""
        for info in reversed(self._by_service.get(service, ())):
            if info.first_seen > first_seen + slack:
                continue
            if first_seen - info.first_seen > window:
                return None
            return None if info.baseline else info
        return None
