"""The durable outbox and the audit log (SQLite tables `outbox`, `audit`, `tickets`).

An action is written here before the screen changes.  Its row moves through
pending → sending → done | failed; `undo` holds the issues as they were before the
action (for rollback and undo) and which issue ids have already reached the server
(so a half-sent bulk update resumes where it stopped instead of starting over); for a
ticket action also the GitHub issue it created, and the issue whose note was on its way
when the row was last written (`inflight`: that note may or may not have reached Sentry).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from sxtriage.models import Action, Issue, TicketRef
from sxtriage.store import Store

PENDING = "pending"
SENDING = "sending"
DONE = "done"
FAILED = "failed"
UNFINISHED = (PENDING, SENDING)
UNKNOWN = "?"
"""`inflight` of a row written before notes were tracked: any note may have been sent."""


@dataclass
class OutboxEntry:
    action: Action
    state: str
    attempts: int = 0
    last_error: str | None = None
    previous: list[Issue] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)
    """Issue ids (within the action's source) already applied on the server."""
    ignored_with: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Issue id → the archive condition it had before the action (for undo)."""
    stored: dict[str, Issue] = field(default_factory=dict)
    """Issue id → the issue as the server answered the update (read back; not persisted)."""
    ticket: TicketRef | None = None
    """CREATE_TICKET: the GitHub issue it created (once GitHub answered, or was found)."""
    inflight: str | None = None
    """The issue id whose note was being posted (None: no note on its way)."""

    @property
    def note_in_doubt(self) -> bool:
        """A note was on its way when the row was last written: it may have been posted."""
        return self.inflight is not None and self.inflight not in self.sent


def _undo_json(
    previous: list[Issue],
    sent: set[str],
    ignored_with: dict[str, dict[str, Any]] | None = None,
    ticket: TicketRef | None = None,
    inflight: str | None = None,
) -> str:
    data: dict[str, Any] = {
        "previous": [i.model_dump(mode="json") for i in previous],
        "sent": sorted(sent),
        "inflight": inflight,
    }
    if ignored_with:
        data["ignored_with"] = ignored_with
    if ticket is not None:
        data["ticket"] = ticket.model_dump(mode="json")
    return json.dumps(data)


def _entry_undo(entry: OutboxEntry) -> str:
    return _undo_json(entry.previous, entry.sent, entry.ignored_with, entry.ticket, entry.inflight)


def _entry(row: sqlite3.Row) -> OutboxEntry:
    undo = json.loads(row["undo"] or "{}")
    ticket = undo.get("ticket")
    return OutboxEntry(
        action=Action.model_validate_json(row["action"]),
        state=row["state"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        previous=[Issue.model_validate(d) for d in undo.get("previous", [])],
        sent=set(undo.get("sent", [])),
        ignored_with=dict(undo.get("ignored_with") or {}),
        ticket=TicketRef.model_validate(ticket) if ticket else None,
        inflight=undo.get("inflight", UNKNOWN),
    )


class Outbox:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(
        self,
        action: Action,
        previous: list[Issue],
        ignored_with: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Commit a new pending action; returns once it is durable."""
        now = time.time()
        await self.store.write(
            "INSERT INTO outbox(id, created, updated, state, attempts, action, undo) "
            "VALUES(?, ?, ?, ?, 0, ?, ?)",
            (
                action.id,
                action.created.timestamp(),
                now,
                PENDING,
                action.model_dump_json(),
                _undo_json(previous, set(), ignored_with),
            ),
        )

    async def mark_sending(self, action_id: str) -> None:
        await self.store.write(
            "UPDATE outbox SET state=?, attempts=attempts+1, updated=? WHERE id=?",
            (SENDING, time.time(), action_id),
        )

    async def progress(self, entry: OutboxEntry) -> None:
        """Remember which issues already reached the server."""
        await self.store.write(
            "UPDATE outbox SET undo=?, updated=? WHERE id=?",
            (_entry_undo(entry), time.time(), entry.action.id),
        )

    async def requeue(self, action_id: str) -> None:
        await self.store.write(
            "UPDATE outbox SET state=?, last_error=NULL, updated=? WHERE id=?",
            (PENDING, time.time(), action_id),
        )

    async def finish(self, entry: OutboxEntry, *, targets: list[Issue]) -> None:
        """Mark done and write the audit row in the same transaction."""
        action = entry.action
        detail = audit_detail(action, targets)
        if entry.ticket is not None:
            detail["ticket"] = entry.ticket.url
        await self.store.write_many(
            [
                (
                    "UPDATE outbox SET state=?, last_error=NULL, updated=?, undo=? WHERE id=?",
                    (DONE, time.time(), _entry_undo(entry), action.id),
                ),
                (
                    "INSERT INTO audit(ts, actor, kind, action_id, target, detail) "
                    "VALUES(?, ?, ?, ?, ?, ?)",
                    (
                        time.time(),
                        action.actor,
                        action.kind.value,
                        action.id,
                        ",".join(f"{s.value}:{i}" for s, i in action.issues[:50]),
                        json.dumps(detail),
                    ),
                ),
            ]
        )

    async def fail(self, action_id: str, error: str) -> None:
        await self.store.write(
            "UPDATE outbox SET state=?, last_error=?, updated=? WHERE id=?",
            (FAILED, error, time.time(), action_id),
        )

    async def get(self, action_id: str) -> OutboxEntry | None:
        rows = await self.store.query("SELECT * FROM outbox WHERE id=?", (action_id,))
        return _entry(rows[0]) if rows else None

    async def unfinished(self) -> list[OutboxEntry]:
        rows = await self.store.query(
            "SELECT * FROM outbox WHERE state IN (?, ?) ORDER BY created, rowid", UNFINISHED
        )
        return [_entry(r) for r in rows]

    async def failed(self) -> list[OutboxEntry]:
        rows = await self.store.query(
            "SELECT * FROM outbox WHERE state=? ORDER BY updated DESC", (FAILED,)
        )
        return [_entry(r) for r in rows]

    async def add_ticket(self, issue: Issue, url: str) -> None:
        await self.store.write(
            "INSERT INTO tickets(source, issue_id, url, created) VALUES(?, ?, ?, ?) "
            "ON CONFLICT(source, issue_id) DO UPDATE SET url=excluded.url",
            (issue.source.value, issue.id, url, time.time()),
        )

    async def remove_ticket(self, issue: Issue, url: str) -> None:
        """Forget the issue's link to `url` (a link to another ticket stays)."""
        await self.store.write(
            "DELETE FROM tickets WHERE source=? AND issue_id=? AND url=?",
            (issue.source.value, issue.id, url),
        )


def audit_detail(action: Action, targets: list[Issue]) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "short_ids": [i.short_id for i in targets[:50]],
        "count": len(action.issues),
    }
    if action.assign_label or action.assign_to:
        detail["assignee"] = action.assign_label or action.assign_to
    if action.ignore is not None:
        detail["ignore"] = action.ignore.model_dump(exclude_none=True, exclude_defaults=True)
        detail["substatus"] = action.ignore.substatus
    if action.priority:
        detail["priority"] = action.priority
    if action.release:
        detail["release"] = action.release
    if action.text:
        detail["text"] = action.text[:200]
    if action.undo_of:
        detail["undo_of"] = action.undo_of
    return detail


async def record_audit(
    store: Store,
    kind: str,
    *,
    actor: str = "sxtriage",
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    action_id: str | None = None,
) -> None:
    """Append one audit row (the alert engine logs kind="alert" this way)."""
    await store.write(
        "INSERT INTO audit(ts, actor, kind, action_id, target, detail) VALUES(?, ?, ?, ?, ?, ?)",
        (time.time(), actor, kind, action_id, target, json.dumps(detail or {})),
    )
