"""The UI's `DetailSource` for Sentry issues: wraps a `SentryClient`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sxtriage.models import Event, Issue, Trace
from sxtriage.sentry.capabilities import Feature
from sxtriage.sentry.errors import NotFound

if TYPE_CHECKING:
    from sxtriage.sentry.client import SentryClient


class SentryDetailSource:
    """The UI's `DetailSource` for Sentry issues: wraps a `SentryClient`."""

    def __init__(self, client: SentryClient) -> None:
        self.client = client

    async def latest_event(self, issue: Issue) -> Event | None:
        try:
            return await self.client.latest_event(issue.id)
        except NotFound:
            return None

    async def events(self, issue: Issue, limit: int = 50) -> list[Event]:
        try:
            return (await self.client.list_events(issue.id, limit=limit)).items
        except NotFound:
            return []

    async def event(self, issue: Issue, event_id: str) -> Event | None:
        try:
            return await self.client.get_event(issue.id, event_id)
        except NotFound:
            return None

    async def trace(self, trace_id: str) -> Trace | None:
        if not self.client.capabilities.has(Feature.TRACES):
            return None
        try:
            return await self.client.get_trace(trace_id)
        except NotFound:
            return None
