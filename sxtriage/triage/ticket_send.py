"""How a ticket action reaches GitHub, the local `tickets` table and Sentry.

CREATE_TICKET creates the GitHub issue once: its body carries the action's marker
(`ticket.with_marker`), and a send that is not the first (resumed after a crash, or
retried after an error that may have come after GitHub created it) first searches for an
open issue carrying that marker and links it instead of creating a second one.  The
created issue is written to the outbox row as soon as GitHub answers, so the rest of the
action (the link, one Sentry note per issue) can be resumed or retried without GitHub.

CLOSE_TICKET (undo of a created ticket) closes it as "not planned" — closing twice is a
no-op on GitHub — and unlinks it; UNLINK_TICKET (undo of a link) only unlinks: a ticket
that was linked, not created, is not ours to close.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sxtriage.models import ActionKind, Issue, Source, TicketRef
from sxtriage.triage.effects import note_text
from sxtriage.triage.outbox import Outbox, OutboxEntry
from sxtriage.triage.sentry_send import post_notes
from sxtriage.triage.ticket import ticket_marker, with_marker

NO_GITHUB = "no GitHub token; set GITHUB_TOKEN or run `sxtriage login --github-token TOKEN`"
LINKING = (ActionKind.LINK_TICKET, ActionKind.CREATE_TICKET)


async def create_once(github: Any, entry: OutboxEntry) -> TicketRef:
    """The GitHub issue of a CREATE_TICKET: found by its marker when an earlier attempt
    may have created it, else created now."""
    action = entry.action
    spec = action.ticket
    if spec is None:
        raise ValueError("the action has no ticket to create; press t to draft it again")
    if github is None:
        raise RuntimeError(NO_GITHUB)
    if entry.attempts > 1:
        found = await github.find_open_issue(spec.repo, ticket_marker(action.id))
        if found is not None:
            return TicketRef(repo=spec.repo, number=found.number, url=found.url)
    body = with_marker(spec.body, action.id)
    created = await github.create_issue(spec.repo, spec.title, body, list(spec.labels))
    return TicketRef(repo=spec.repo, number=created.number, url=created.url)


async def _to_close(outbox: Outbox, entry: OutboxEntry) -> TicketRef | None:
    """The ticket a CLOSE_TICKET closes: its own, or the one its create action made."""
    action = entry.action
    if action.ticket_ref is not None:
        return action.ticket_ref
    created = await outbox.get(action.undo_of) if action.undo_of else None
    return created.ticket if created is not None else None


async def send_ticket(
    *,
    github: Any,
    sentry: Any,
    outbox: Outbox,
    entry: OutboxEntry,
    todo: list[Issue],
    on_created: Callable[[OutboxEntry], Any],
) -> None:
    """Send a ticket action for the issues not yet done (`todo`)."""
    action = entry.action
    kind = action.kind
    if kind is ActionKind.CREATE_TICKET:
        if entry.ticket is None:
            entry.ticket = await create_once(github, entry)
            await outbox.progress(entry)
            on_created(entry)
        url: str | None = entry.ticket.url
    elif kind is ActionKind.CLOSE_TICKET:
        ref = await _to_close(outbox, entry)
        if ref is None:  # its create made no ticket: nothing to close or unlink
            entry.sent.update(i.id for i in todo)
            return
        if github is None:
            raise RuntimeError(NO_GITHUB)
        await github.close_issue(ref.repo, ref.number)
        url = ref.url
    else:
        url = action.text
    if not url:
        raise ValueError(f"{kind.value} without a ticket URL")
    for issue in todo:
        if kind in LINKING:
            await outbox.add_ticket(issue, url)
        else:
            await outbox.remove_ticket(issue, url)
    sentry_ids = [i.id for i in todo if i.source is Source.SENTRY]
    if sentry_ids:
        if sentry is None:
            raise RuntimeError("not connected to Sentry; set a token with `sxtriage login`")
        await post_notes(sentry, outbox, entry, sentry_ids, note_text(action, url))
    entry.sent.update(i.id for i in todo if i.source is not Source.SENTRY)


async def restore_links(outbox: Outbox, entry: OutboxEntry, issues: list[Issue]) -> None:
    """Rollback: `issues` (as they were before the action) get their earlier link back."""
    action = entry.action
    url = action.text if action.kind is not ActionKind.CREATE_TICKET else None
    if entry.ticket is not None:
        url = entry.ticket.url
    for issue in issues:
        if issue.linked_ticket:
            await outbox.add_ticket(issue, issue.linked_ticket)
        elif url and action.kind in LINKING:
            await outbox.remove_ticket(issue, url)


def failure_message(entry: OutboxEntry, short: str, part: str, reason: str) -> str | None:
    """The toast for a failed ticket action, or None for the usual one."""
    if entry.action.kind is not ActionKind.CREATE_TICKET:
        return None
    if entry.ticket is None:
        return (
            f"GitHub issue not created: {reason} (for {short}). Nothing was linked; fix it "
            "in the preview (t) or retry with 'Retry failed action'."
        )
    return (
        f"{entry.ticket.url} was created, but linking it to {short}{part} failed: {reason}. "
        "Rolled back; 'Retry failed action' links it (no second ticket is created)."
    )
