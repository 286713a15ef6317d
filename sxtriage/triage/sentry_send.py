"""How one outbox action reaches Sentry: notes one by one (`post_notes`, also for the
ticket actions of ticket_send.py); updates as one PUT per issue
(its answer is the issue as stored) or bulk PUTs in chunks, split per project where Sentry
refuses several projects; progress saved per request so a half-sent bulk resumes.

Sentry changes only issues whose status changes (src/sentry/api/helpers/group_index/
update.py: `handle_other_status_updates` updates `exclude(status=new_status)`, resolving
skips resolved issues), so archiving an archived issue another way would keep its old
mode, and resolving a resolved one in a release its old resolution: such issues are
unresolved first, as Sentry's UI makes you do (docs/sentry-endpoints.md, bulk PUT).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sxtriage.models import Action, ActionKind, Issue, Status
from sxtriage.sentry.update import IssueUpdate
from sxtriage.triage.effects import PER_PROJECT, matches, sentry_update_fields
from sxtriage.triage.outbox import Outbox, OutboxEntry


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _groups(entry: OutboxEntry, ids: list[str]) -> list[list[str]]:
    """One request group, or one per project where Sentry refuses several projects."""
    if entry.action.kind not in PER_PROJECT:
        return [ids]
    project = {i.id: i.project or i.service for i in entry.previous}
    groups: dict[str, list[str]] = {}
    for issue_id in ids:
        groups.setdefault(project.get(issue_id) or "", []).append(issue_id)
    return list(groups.values())


def _keep(entry: OutboxEntry, answered: Any) -> None:
    for issue in answered if isinstance(answered, list) else []:
        if isinstance(issue, Issue):
            entry.stored[issue.id] = issue


def _resolution(issue: Issue) -> tuple[str, str]:
    details = issue.status_details or {}
    if details.get("inNextRelease"):
        return ("next", "")
    release = details.get("inRelease")
    return ("release", str(release)) if release else ("now", "")


RESOLUTIONS: dict[ActionKind, Callable[[Action], tuple[str, str]]] = {
    ActionKind.RESOLVE: lambda a: ("now", ""),
    ActionKind.RESOLVE_NEXT_RELEASE: lambda a: ("next", ""),
    ActionKind.RESOLVE_IN_RELEASE: lambda a: ("release", a.release or ""),
}


def _restated(entry: OutboxEntry, ids: list[str]) -> list[str]:
    """Issues already in the action's status but another way: archived in another mode
    (a new condition in the same mode is stored as is: `handle_ignored`), or resolved with
    another resolution."""
    action = entry.action
    by_id = {i.id: i for i in entry.previous}
    out = []
    for issue_id in ids:
        issue = by_id.get(issue_id)
        if issue is None:
            continue
        if action.kind is ActionKind.ARCHIVE and issue.status is Status.IGNORED:
            want = action.ignore.substatus if action.ignore else "archived_forever"
            if issue.substatus != want:
                out.append(issue_id)
        elif (
            action.kind in RESOLUTIONS
            and issue.status is Status.RESOLVED
            and _resolution(issue) != RESOLUTIONS[action.kind](action)
        ):
            out.append(issue_id)
    return out


async def _put(sentry: Any, ids: list[str], update: IssueUpdate, chunk: int) -> list[Issue]:
    if len(ids) == 1:
        return [await sentry.update_issue(ids[0], update)]
    out: list[Issue] = []
    for part in _chunks(ids, chunk):
        answered = await sentry.bulk_update(part, update)
        out += answered if isinstance(answered, list) else []
    return out


def _already_posted(exc: Exception) -> bool:
    """Sentry's answer to the same note by the same user within the hour
    (src/sentry/issues/endpoints/group_notes.py: 400 "You have already posted that
    comment."): the note is there."""
    detail = getattr(exc, "detail", None)
    text = detail if isinstance(detail, str) else str(exc)
    return getattr(exc, "status", None) == 400 and "already posted that comment" in text


async def post_notes(
    sentry: Any, outbox: Outbox, entry: OutboxEntry, ids: list[str], text: str
) -> None:
    """One note per issue.  Which issue's note is on its way is written down before it
    is sent (`inflight`), so a restart knows whether a note may already be in Sentry."""
    for issue_id in ids:
        entry.inflight = issue_id
        await outbox.progress(entry)
        try:
            await sentry.add_note(issue_id, text)
        except Exception as exc:
            if not _already_posted(exc):
                raise
        entry.sent.add(issue_id)
        entry.inflight = None
        await outbox.progress(entry)


async def send_sentry(
    sentry: Any, outbox: Outbox, entry: OutboxEntry, ids: list[str], *, resumed: bool, chunk: int
) -> None:
    action = entry.action
    if action.kind is ActionKind.NOTE:
        await post_notes(sentry, outbox, entry, ids, action.text or "")
        return
    update = IssueUpdate(**sentry_update_fields(action))
    if resumed and len(ids) == 1:
        # The request may have reached Sentry before the crash: look before resending.
        current = await sentry.get_issue(ids[0])
        if matches(current, action):
            entry.stored[ids[0]] = current
            entry.sent.add(ids[0])
            return
    again = _restated(entry, ids)
    if again:
        await _put(sentry, again, IssueUpdate(status="unresolved"), chunk)
    for group in _groups(entry, ids):
        if len(group) == 1:
            # Sentry's PUT answers the issue as stored: shown as such, not as guessed.
            _keep(entry, await _put(sentry, group, update, chunk))
            entry.sent.add(group[0])
            await outbox.progress(entry)
            continue
        for part in _chunks(group, chunk):
            _keep(entry, await sentry.bulk_update(part, update))
            entry.sent.update(part)
            await outbox.progress(entry)
