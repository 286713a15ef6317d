"""How one outbox action reaches Sentry: notes one by one; updates as one PUT per issue
(its answer is the issue as stored) or bulk PUTs in chunks, split per project where Sentry
refuses several projects; progress saved per request so a half-sent bulk resumes.

Sentry does not change the substatus of an issue whose status stays the same
(src/sentry/api/helpers/group_index/update.py, `handle_other_status_updates` updates
`exclude(status=new_status)` only), so archiving an archived issue another way would keep
its old mode: such issues are unarchived first, as Sentry's UI makes you do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sxtriage.models import ActionKind, Issue, Status
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


def _rearchived(entry: OutboxEntry, ids: list[str]) -> list[str]:
    """Archived issues that an archive action would archive another way."""
    if entry.action.kind is not ActionKind.ARCHIVE:
        return []
    want = entry.action.ignore.substatus if entry.action.ignore else "archived_forever"
    by_id = {i.id: i for i in entry.previous}
    return [
        i
        for i in ids
        if (issue := by_id.get(i)) is not None
        and issue.status is Status.IGNORED
        and (issue.substatus != want or want == "archived_until_condition_met")
    ]


async def _put(sentry: Any, ids: list[str], update: IssueUpdate, chunk: int) -> list[Issue]:
    if len(ids) == 1:
        return [await sentry.update_issue(ids[0], update)]
    out: list[Issue] = []
    for part in _chunks(ids, chunk):
        answered = await sentry.bulk_update(part, update)
        out += answered if isinstance(answered, list) else []
    return out


async def send_sentry(
    sentry: Any, outbox: Outbox, entry: OutboxEntry, ids: list[str], *, resumed: bool, chunk: int
) -> None:
    action = entry.action
    if action.kind in (ActionKind.NOTE, ActionKind.LINK_TICKET):
        for issue_id in ids:
            text = action.text or ""
            if action.kind is ActionKind.LINK_TICKET:
                text = f"GitHub issue: {text}"
            await sentry.add_note(issue_id, text)
            entry.sent.add(issue_id)
            await outbox.progress(entry)
        return
    update = IssueUpdate(**sentry_update_fields(action))
    if resumed and len(ids) == 1:
        # The request may have reached Sentry before the crash: look before resending.
        current = await sentry.get_issue(ids[0])
        if matches(current, action):
            entry.stored[ids[0]] = current
            entry.sent.add(ids[0])
            return
    again = _rearchived(entry, ids)
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
