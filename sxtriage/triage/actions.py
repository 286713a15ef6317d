"""TriageEngine: optimistic apply → durable outbox → Sentry / relay, rollback, undo.

`submit` commits the action to the outbox, then changes the screen (via `apply`), then
a single background worker sends queued actions in order.  Sentry issues go through the
bulk endpoint in chunks of 100 (progress is saved per chunk, so a half-sent bulk resumes
where it stopped); relay (local) issues through the relay's local endpoints.  On failure
the issues not yet changed on the server are rolled back on screen and a toast says why;
`retry` sends the rest again.  `start` replays whatever a crash left in the outbox.
GitHub tickets (create, link, and their undo) are actions too: tickets.py, ticket_send.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from sxtriage.models import Action, ActionKind, Issue, IssueKey, Source
from sxtriage.store import Store
from sxtriage.triage.effects import (
    NOT_IDEMPOTENT,
    NOT_UNDOABLE,
    SENTRY_ONLY,
    STATUS_KINDS,
    TICKET_KINDS,
    describe_error,
    inverse_actions,
    optimistic,
    read_back,
    relay_update_fields,
    stored_differs,
    verb,
)
from sxtriage.triage.ignore_memory import IgnoreMemory, condition_unknown, restore_specs
from sxtriage.triage.outbox import FAILED, SENDING, Outbox, OutboxEntry
from sxtriage.triage.people import AssignCandidate, PeopleMixin
from sxtriage.triage.sentry_send import send_sentry
from sxtriage.triage.ticket_send import failure_message, restore_links, send_ticket
from sxtriage.triage.tickets import TicketsMixin

__all__ = ["AssignCandidate", "TriageEngine"]

log = logging.getLogger(__name__)
BULK_CHUNK = 100

Apply = Callable[[list[Issue]], Any]
Toast = Callable[[str, str], Any]


def _release_order(release: Any) -> float:
    created = getattr(release, "date_created", None)
    return created.timestamp() if created is not None else float("-inf")


def _short(issues: list[Issue]) -> str:
    if len(issues) == 1:
        return issues[0].short_id
    return f"{len(issues)} issues"


class TriageEngine(PeopleMixin, TicketsMixin):
    def __init__(
        self,
        *,
        store: Store,
        sentry: Any | None,
        relay: Any | None,
        apply: Apply,
        toast: Toast,
        me: str | None = None,
        github: Any | None = None,
        bulk_chunk: int = BULK_CHUNK,
    ) -> None:
        self.store = store
        self.outbox = Outbox(store)
        self.sentry = sentry
        self.relay = relay
        self.github = github
        self.apply = apply
        self.toast = toast
        self.me = me
        self.bulk_chunk = bulk_chunk
        self.pending: dict[IssueKey, str] = {}
        """Issue key → id of the action still on its way to the server."""
        self.failed: dict[str, OutboxEntry] = {}
        """Failed actions, oldest first, until retried."""
        self.linked_tickets: dict[IssueKey, str] = {}
        self.recent_assignees: list[tuple[str, str]] = []
        self._entries: dict[str, OutboxEntry] = {}
        self._undo: list[str] = []
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._members: list[Any] | None = None
        self._teams: list[Any] | None = None
        self.ignores = IgnoreMemory()
        """The ignore condition each issue was last ignored with (undo restores it)."""

    @property
    def actor(self) -> str:
        return self.me or "me"

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> int:
        """Replay the outbox; returns how many actions were resumed."""
        rows = await self.store.query("SELECT source, issue_id, url FROM tickets")
        for row in rows:
            self.linked_tickets[(Source(row["source"]), row["issue_id"])] = row["url"]
        await self.ignores.load(self.store)
        resumed = 0
        for entry in await self.outbox.unfinished():
            action = entry.action
            if entry.state == SENDING and action.kind in NOT_IDEMPOTENT and entry.note_in_doubt:
                reason = "interrupted while sending; it may have reached Sentry - check, then retry"
                await self.outbox.fail(action.id, reason)
                entry.state, entry.last_error = FAILED, reason
                self.failed[action.id] = entry
                continue
            self._entries[action.id] = entry
            self._show(entry)
            self._idle.clear()
            self._queue.put_nowait(action.id)
            resumed += 1
        if resumed:
            self.toast(f"Resuming {resumed} queued action(s) from the last session", "information")
        if self.failed:
            self.toast(f"{len(self.failed)} action(s) were interrupted: retry them", "warning")
        self._ensure_worker()
        return resumed

    async def close(self) -> None:
        """Stop sending; unfinished actions stay in the outbox for the next start."""
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except (asyncio.CancelledError, Exception):
                pass
            self._worker = None

    async def drain(self) -> None:
        """Wait until every queued action has been sent or has failed."""
        await self._idle.wait()

    def _ensure_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="sxtriage-outbox")

    # --- submitting -----------------------------------------------------------------------
    async def submit(self, action: Action, issues: list[Issue]) -> None:
        """Commit to the outbox, show the change at once, send in the background."""
        if action.actor == "me":
            action.actor = self.actor
        by_key = {i.key: i for i in issues}
        previous = [by_key[k].model_copy(deep=True) for k in action.issues if k in by_key]
        ignored_with = self.ignores.prior(previous)
        entry = OutboxEntry(
            action=action, state="pending", previous=previous, ignored_with=ignored_with
        )
        await self.outbox.add(action, previous, ignored_with)
        self._entries[action.id] = entry
        if action.undo_of is None and action.kind not in NOT_UNDOABLE:
            self._undo.append(action.id)
        if action.kind is ActionKind.ASSIGN and action.assign_to:
            self._remember_assignee(action.assign_to, action.assign_label or action.assign_to)
        self._show(entry)
        self._idle.clear()
        self._queue.put_nowait(action.id)
        self._ensure_worker()

    def _show(self, entry: OutboxEntry) -> None:
        """Apply the optimistic state of the issues not yet done on the server."""
        changed = []
        for issue in entry.previous:
            if issue.id in entry.sent:
                continue
            self.pending[issue.key] = entry.action.id
            changed.append(optimistic(issue, entry.action, entry.ticket))
        self._track_links(entry, changed)
        if changed:
            self.apply(changed)

    def _track_links(self, entry: OutboxEntry, shown: list[Issue]) -> None:
        """Ticket actions: what `linked_tickets` (O, and polls) say is what is shown."""
        if entry.action.kind not in TICKET_KINDS:
            return
        for issue in shown:
            if issue.linked_ticket:
                self.linked_tickets[issue.key] = issue.linked_ticket
            else:
                self.linked_tickets.pop(issue.key, None)

    # --- undo / retry ---------------------------------------------------------------------
    async def undo(self) -> Action | None:
        """Revert the last action through the same path; returns the first undo action."""
        while self._undo:
            action_id = self._undo.pop()
            entry = self._entries.get(action_id) or await self.outbox.get(action_id)
            if entry is None or action_id in self.failed or entry.state == FAILED:
                continue  # rolled back already: nothing to revert on the server
            current = [optimistic(i, entry.action, entry.ticket) for i in entry.previous]
            specs = restore_specs(entry.ignored_with, time.time())
            inverses = inverse_actions(
                entry.action,
                entry.previous,
                actor=self.actor,
                ignore_specs=specs,
                ticket=entry.ticket,
            )
            by_key = {i.key: i for i in current}
            for inverse in inverses:
                await self.submit(inverse, [by_key[k] for k in inverse.issues if k in by_key])
            if inverses:
                self.toast(f"Undo: {verb(entry.action)} on {_short(entry.previous)}", "information")
                self._warn_unknown_ignores(entry, specs)
                return inverses[0]
        return None

    async def retry(self, action_id: str) -> bool:
        entry = self.failed.pop(action_id, None) or await self.outbox.get(action_id)
        if entry is None or entry.state not in (FAILED, "pending"):
            return False
        await self.outbox.requeue(action_id)
        entry.state, entry.last_error = "pending", None
        self._entries[action_id] = entry
        self._show(entry)
        self._idle.clear()
        self._queue.put_nowait(action_id)
        self._ensure_worker()
        return True

    def _warn_unknown_ignores(self, entry: OutboxEntry, specs: dict[str, Any]) -> None:
        if entry.action.kind not in STATUS_KINDS:
            return
        unknown = [i for i in entry.previous if condition_unknown(i) and i.id not in specs]
        if unknown:
            self.toast(
                f"{_short(unknown)} was archived on a condition set outside sxtriage; it is "
                "archived forever again until you change it (check the condition in Sentry)",
                "warning",
            )

    async def retry_last_failed(self) -> bool:
        if not self.failed:
            return False
        return await self.retry(next(reversed(self.failed)))

    async def retry_all_failed(self) -> int:
        """Send every failed action again, oldest first; returns how many were requeued."""
        count = 0
        for action_id in list(self.failed):
            if await self.retry(action_id):
                count += 1
        return count

    # --- the worker ---------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            if self._queue.empty():
                self._idle.set()
            action_id = await self._queue.get()
            entry = self._entries.get(action_id)
            if entry is None:
                continue
            await self._process(entry)

    async def _process(self, entry: OutboxEntry) -> None:
        action = entry.action
        resumed = entry.state == SENDING
        await self.outbox.mark_sending(action.id)
        entry.state = SENDING
        entry.attempts += 1
        try:
            await self._send(entry, resumed=resumed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = describe_error(exc)
            log.info("action %s %s failed: %s", action.id, action.kind.value, reason)
            await self.outbox.fail(action.id, reason)
            entry.state, entry.last_error = FAILED, reason
            self.failed[action.id] = entry
            self._entries.pop(action.id, None)
            await self._rollback(entry)
            done = len(entry.sent)
            part = f" ({done} of {len(entry.previous)} done)" if done else ""
            short = _short(entry.previous)
            self.toast(
                failure_message(entry, short, part, reason)
                or f"{verb(action)} failed on {short}{part}: {reason}. "
                "Rolled back; retry with 'Retry failed action'.",
                "error",
            )
            return
        await self.outbox.finish(entry, targets=entry.previous)
        entry.state = "done"
        self.ignores.settled(action, [i.key for i in entry.previous])
        self._entries.pop(action.id, None)
        settled = []
        for issue in entry.previous:
            if self.pending.get(issue.key) == action.id:
                del self.pending[issue.key]
                shown = optimistic(issue, action, entry.ticket)
                stored = entry.stored.get(issue.id) if issue.source is Source.SENTRY else None
                settled.append(read_back(shown, stored) if stored is not None else shown)
        if settled:
            self.apply(settled)  # repaint without the pending marker, as the server stored it
        self._warn_stored(entry)

    def _warn_stored(self, entry: OutboxEntry) -> None:
        """Say so when the server stored something else than was asked (an archive kept
        as "forever" by a server that ignores the substatus, say)."""
        differ = []
        for issue in entry.previous:
            stored = entry.stored.get(issue.id)
            if stored is not None and issue.source is Source.SENTRY:
                why = stored_differs(entry.action, stored)
                if why:
                    differ.append((issue, why))
        if differ:
            first, why = differ[0]
            more = f" (and {len(differ) - 1} more)" if len(differ) > 1 else ""
            self.toast(f"{first.short_id}{more}: Sentry stored it {why}", "warning")

    async def _rollback(self, entry: OutboxEntry) -> None:
        back = []
        for issue in entry.previous:
            if self.pending.get(issue.key) != entry.action.id:
                continue
            del self.pending[issue.key]
            if issue.id in entry.sent:
                back.append(optimistic(issue, entry.action, entry.ticket))
            else:
                back.append(issue)
        if entry.action.kind in TICKET_KINDS:
            unsent = [i for i in entry.previous if i.id not in entry.sent]
            try:
                await restore_links(self.outbox, entry, unsent)
            except Exception as exc:  # the store is gone too: the screen still rolls back
                log.warning("restoring the links of %s failed: %r", entry.action.id, exc)
            self._track_links(entry, back)
        if back:
            self.apply(back)

    async def _send(self, entry: OutboxEntry, *, resumed: bool) -> None:
        action = entry.action
        todo = [i for i in entry.previous if i.id not in entry.sent]
        sentry_ids = [i.id for i in todo if i.source is Source.SENTRY]
        relay_ids = [i.id for i in todo if i.source is Source.RELAY]
        if action.kind in TICKET_KINDS:
            await send_ticket(
                github=self.github,
                sentry=self.sentry,
                outbox=self.outbox,
                entry=entry,
                todo=todo,
                on_created=self._ticket_created,
            )
            return
        if sentry_ids:
            if self.sentry is None:
                raise RuntimeError("not connected to Sentry; set a token with `sxtriage login`")
            await send_sentry(
                self.sentry,
                self.outbox,
                entry,
                sentry_ids,
                resumed=resumed,
                chunk=self.bulk_chunk,
            )
        for issue_id in relay_ids:
            fields = None if action.kind in SENTRY_ONLY else relay_update_fields(action)
            if fields is not None:
                if self.relay is None:
                    raise RuntimeError("the local relay is not connected")
                await self.relay.update_issue(issue_id, **fields)
            entry.sent.add(issue_id)

    # --- data for the modals (fetched here; modals only get the result) -----------------
    async def releases(self, project: str | None) -> list[Any]:
        """The org's releases of `project` (a slug), newest first."""
        if self.sentry is None:
            raise RuntimeError("not connected to Sentry; releases come from Sentry")
        releases = list(await self.sentry.list_releases(project=project))
        return sorted(releases, key=_release_order, reverse=True)
