"""The open issue's "N new events": what arrived since the screen opened and is not seen yet.

Pure bookkeeping for the issue screen.  Relay issues: the stream hands over each event
(`arrived`), which is put first in the events list and reachable with `[` at once.
Sentry issues: the poll only says the count grew (`counted`); `[` past the newest loaded
event then fetches the events again (`merge`), and the new ones become reachable.
Viewing an event marks it and every older one seen (`viewed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sxtriage.models import Event


@dataclass
class LiveEvents:
    baseline: int
    """The issue's event count when last caught up (Sentry issues)."""
    unseen: list[str] = field(default_factory=list)
    """Ids of loaded events, newest first, that arrived live and were not viewed."""
    uncounted: int = 0
    """Events the count says exist but the list has not fetched yet (Sentry polls)."""

    @property
    def new(self) -> int:
        return len(self.unseen) + self.uncounted

    def arrived(self, events: list[Event], event: Event) -> bool:
        """A streamed event of this issue: first in `events`; False when already there."""
        if any(e.event_id == event.event_id for e in events):
            return False
        events.insert(0, event)
        self.unseen.insert(0, event.event_id)
        self.baseline += 1
        return True

    def counted(self, count: int) -> bool:
        """The poll's count for the issue; True when it shows events we have not got."""
        if count <= self.baseline:
            return False
        self.uncounted = count - self.baseline
        return True

    def merge(self, events: list[Event], fresh: list[Event]) -> list[Event]:
        """The refetched list (newest first): events not loaded before become unseen."""
        known = {e.event_id for e in events}
        added = [e.event_id for e in fresh if e.event_id not in known]
        self.unseen = added + [i for i in self.unseen if i not in added]
        self.baseline += self.uncounted
        self.uncounted = 0
        return fresh

    def viewed(self, events: list[Event], event_id: str) -> None:
        ids = [e.event_id for e in events]
        if event_id not in ids:
            return
        at = ids.index(event_id)
        newer = set(ids[:at])
        self.unseen = [i for i in self.unseen if i in newer]
