"""Where an issue's trend comes from (run in the issue screen's worker, never in a widget).

Sentry issues: the issue detail's `stats` ("24h" hourly, "30d" daily; the list answers
only 24 h, so the detail is fetched when the 30 d buckets are missing).  Relay issues:
their events in the store, counted per hour / day; when the store has none (a remote
relay), the loaded events.  Release markers: the correlator's release tracker.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from sxtriage.core.session import Session
from sxtriage.models import Event, Issue, Source
from sxtriage.sentry.errors import SentryError
from sxtriage.store import StoreError
from sxtriage.ui.screens.issue.trend import DAY, HOUR, Marker, Series, Trend, from_stats, from_times

HOURS = 24
DAYS = 14


async def _relay_buckets(
    session: Session, issue: Issue, step: float, n: int, end: float
) -> list[int]:
    start = end - step * n
    rows = await session.store.query(
        "SELECT CAST((received - ?) / ? AS INTEGER) AS b, COUNT(*) AS c FROM events "
        "WHERE issue_id = ? AND received >= ? AND received <= ? GROUP BY b",
        (start, step, issue.id, start, end),
    )
    counts = [0] * n
    for row in rows:
        b = int(row["b"])
        if 0 <= b < n:
            counts[b] += int(row["c"])
    return counts


async def gather(session: Session, issue: Issue, events: Iterable[Event], now: float) -> Trend:
    events = list(events)
    trend = Trend(markers=markers(session, issue))
    if issue.source is Source.SENTRY:
        daily = issue.stats_30d
        if not daily and session.sentry is not None:
            try:
                daily = (await session.sentry.get_issue(issue.id)).stats_30d
            except SentryError:
                daily = []
        if issue.stats_24h:
            trend.hourly = from_stats(issue.stats_24h, step=HOUR, end=now, keep=HOURS, label="24 h")
        if daily:
            trend.daily = from_stats(daily, step=DAY, end=now, keep=DAYS, label="14 d")
        if trend.hourly is None and trend.daily is None:
            _from_events(trend, events, now)
        return trend
    try:
        hourly = await _relay_buckets(session, issue, HOUR, HOURS, now)
        daily = await _relay_buckets(session, issue, DAY, DAYS, now)
    except (StoreError, sqlite3.Error):
        hourly, daily = [], []
    if sum(daily):
        trend.hourly = Series("24 h", hourly, HOUR, now)
        trend.daily = Series("14 d", daily, DAY, now)
    else:
        _from_events(trend, events, now)
    return trend


def _from_events(trend: Trend, events: list[Event], now: float) -> None:
    times = [e.timestamp.timestamp() for e in events]
    if times:
        trend.hourly = from_times(times, step=HOUR, end=now, n=HOURS, label="24 h")
        trend.daily = from_times(times, step=DAY, end=now, n=DAYS, label="14 d")


def markers(session: Session, issue: Issue) -> list[Marker]:
    """The service's releases (newest 8) when they appeared; the suspect one flagged."""
    suspect = session.correlator.suspect_release(issue)
    infos = session.correlator.releases.releases(issue.service)[-8:]
    out = [Marker(i.version, i.first_seen, i.version == suspect) for i in infos if not i.baseline]
    if suspect and not any(m.suspect for m in out):
        info = session.correlator.releases.get(issue.service, suspect)
        if info is not None:
            out.append(Marker(suspect, info.first_seen, True))
    return out
