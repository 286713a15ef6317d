"""What an action does: its optimistic effect on an issue, its Sentry update, its inverse.

Pure functions, no I/O: the engine (actions.py) applies them.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sxtriage.models import (
    PRIORITIES,
    Action,
    ActionKind,
    IgnoreSpec,
    Issue,
    Source,
    Status,
    TicketRef,
)
from sxtriage.sentry.update import UNRESOLVED_SUBSTATUSES, archive_details
from sxtriage.triage.ignore_memory import spec_from_issue

STATUS_KINDS = {
    ActionKind.RESOLVE,
    ActionKind.RESOLVE_NEXT_RELEASE,
    ActionKind.RESOLVE_IN_RELEASE,
    ActionKind.UNRESOLVE,
    ActionKind.ARCHIVE,
}
TICKET_KINDS = {
    ActionKind.LINK_TICKET,
    ActionKind.CREATE_TICKET,
    ActionKind.UNLINK_TICKET,
    ActionKind.CLOSE_TICKET,
}
"""Kinds that change an issue's GitHub ticket (stored locally, noted in Sentry)."""
NOT_IDEMPOTENT = {ActionKind.NOTE, *TICKET_KINDS}
"""These post a note per Sentry issue, and sending a note twice posts two (Sentry refuses
only the same note by the same user within the hour): a send interrupted while a note
was on its way is shown as failed, to be checked and retried by hand."""
NOT_UNDOABLE = {ActionKind.NOTE}
"""Notes stay (Sentry keeps them; there is nothing to put back)."""
SENTRY_ONLY = {ActionKind.SET_PRIORITY, ActionKind.REVIEW, ActionKind.BOOKMARK}
"""Kinds that only exist in Sentry: a relay (local) issue has no priority, inbox, bookmark."""
PER_PROJECT = {ActionKind.RESOLVE_NEXT_RELEASE, ActionKind.RESOLVE_IN_RELEASE}
"""Sentry refuses these for issues of several projects in one request
(src/sentry/api/helpers/group_index/update.py, handle_resolve_in_release)."""
READ_BACK = (
    "status",
    "substatus",
    "status_details",
    "priority",
    "is_bookmarked",
    "assignee",
    "assignee_id",
    "has_seen",
)
"""What an issue shows as the server stored it once its update is answered.  (Not the
inbox: Sentry's PUT answer carries it only with `expand=inbox`, so its absence says
nothing.)"""

VERBS = {
    ActionKind.RESOLVE: "Resolve",
    ActionKind.RESOLVE_NEXT_RELEASE: "Resolve in next release",
    ActionKind.RESOLVE_IN_RELEASE: "Resolve in release",
    ActionKind.UNRESOLVE: "Unresolve",
    ActionKind.ARCHIVE: "Archive",
    ActionKind.ASSIGN: "Assign",
    ActionKind.BOOKMARK: "Bookmark",
    ActionKind.MARK_SEEN: "Mark seen",
    ActionKind.SET_PRIORITY: "Set priority",
    ActionKind.REVIEW: "Mark reviewed",
    ActionKind.NOTE: "Note",
    ActionKind.LINK_TICKET: "Link ticket",
    ActionKind.CREATE_TICKET: "Create GitHub issue",
    ActionKind.UNLINK_TICKET: "Unlink ticket",
    ActionKind.CLOSE_TICKET: "Close ticket",
}


def verb(action: Action) -> str:
    name = VERBS[action.kind]
    if action.kind is ActionKind.RESOLVE_IN_RELEASE and action.release:
        name = f"Resolve in {action.release}"
    elif action.kind is ActionKind.SET_PRIORITY and action.priority:
        name = f"Set priority {action.priority}"
    elif action.kind is ActionKind.REVIEW and action.for_review:
        name = "Back to For Review"
    elif action.kind is ActionKind.BOOKMARK and action.bookmark is False:
        name = "Remove bookmark"
    return ("Undo " if action.undo_of else "") + name


def _spec(action: Action) -> IgnoreSpec:
    return action.ignore or IgnoreSpec()


def optimistic(issue: Issue, action: Action, ticket: TicketRef | None = None) -> Issue:
    """The issue as it will look once the action succeeds (`ticket`: the GitHub issue a
    CREATE_TICKET made, once known)."""
    new = issue.model_copy(deep=True)
    kind = action.kind
    if kind in STATUS_KINDS and issue.source is Source.SENTRY:
        new.for_review, new.inbox_reason = False, None  # Sentry takes it out of the inbox
    if kind is ActionKind.RESOLVE:
        new.status, new.substatus, new.status_details = Status.RESOLVED, None, {}
    elif kind is ActionKind.RESOLVE_NEXT_RELEASE:
        new.status, new.substatus = Status.RESOLVED, None
        new.status_details = {"inNextRelease": True}
    elif kind is ActionKind.RESOLVE_IN_RELEASE:
        new.status, new.substatus = Status.RESOLVED, None
        new.status_details = {"inRelease": action.release} if action.release else {}
    elif kind is ActionKind.UNRESOLVE:
        new.status, new.substatus, new.status_details = Status.UNRESOLVED, "ongoing", {}
        if action.substatus in UNRESOLVED_SUBSTATUSES:
            new.substatus = action.substatus
    elif kind is ActionKind.ARCHIVE:
        spec = _spec(action)
        new.status, new.substatus = Status.IGNORED, spec.substatus
        new.status_details = archive_details(spec)
    elif kind is ActionKind.ASSIGN:
        new.assignee_id = action.assign_to
        new.assignee = (action.assign_label or action.assign_to) if action.assign_to else None
    elif kind is ActionKind.BOOKMARK:
        new.is_bookmarked = bool(action.bookmark)
    elif kind is ActionKind.MARK_SEEN:
        new.has_seen = True
    elif kind is ActionKind.SET_PRIORITY:
        new.priority = action.priority
    elif kind is ActionKind.REVIEW:
        new.for_review = bool(action.for_review)
        new.inbox_reason = "manual" if action.for_review else None
    elif kind is ActionKind.LINK_TICKET:
        new.linked_ticket = action.text
    elif kind is ActionKind.CREATE_TICKET and ticket is not None:
        new.linked_ticket = ticket.url
    elif kind in (ActionKind.UNLINK_TICKET, ActionKind.CLOSE_TICKET):
        new.linked_ticket = None
    return new


def note_text(action: Action, url: str | None) -> str:
    """The note a Sentry issue gets for the action (`url`: the ticket it is about)."""
    kind = action.kind
    if kind in (ActionKind.LINK_TICKET, ActionKind.CREATE_TICKET):
        return f"GitHub issue: {url}"
    if kind is ActionKind.UNLINK_TICKET:
        return f"No longer linked to GitHub issue: {url}"
    if kind is ActionKind.CLOSE_TICKET:
        return f"Closed and unlinked GitHub issue: {url}"
    return action.text or ""


def read_back(shown: Issue, stored: Issue) -> Issue:
    """`shown` with the triage fields as the server answered them (`stored`)."""
    return shown.model_copy(update={f: getattr(stored, f) for f in READ_BACK})


def _archive_word(substatus: str | None) -> str:
    return {
        "archived_until_escalating": "archived until escalating",
        "archived_forever": "archived forever",
        "archived_until_condition_met": "archived until a condition is met",
    }.get(substatus or "", f"archived ({substatus})" if substatus else "archived")


def stored_differs(action: Action, stored: Issue) -> str | None:
    """How the server's stored issue differs from what `action` asked, in words; None
    when it stored what was asked."""
    kind = action.kind
    if kind in STATUS_KINDS:
        want = optimistic(stored, action)
        if stored.status is not want.status:
            state = stored.status.value if stored.status is not Status.IGNORED else "archived"
            return f"as {state}, not as {want.status.value.replace('ignored', 'archived')}"
        if kind is ActionKind.ARCHIVE and stored.substatus and stored.substatus != want.substatus:
            return f"{_archive_word(stored.substatus)}, not {_archive_word(want.substatus)}"
        release = stored.status_details.get("inRelease")
        if kind is ActionKind.RESOLVE_IN_RELEASE and release and release != action.release:
            return f"resolved in {release}, not in {action.release}"
    if kind is ActionKind.SET_PRIORITY and stored.priority != action.priority:
        return f"with priority {stored.priority or 'none'}, not {action.priority}"
    return None


def sentry_update_fields(action: Action) -> dict[str, Any]:
    """Keyword arguments for sentry.update.IssueUpdate."""
    kind = action.kind
    if kind is ActionKind.RESOLVE:
        return {"status": "resolved"}
    if kind is ActionKind.RESOLVE_NEXT_RELEASE:
        return {"status": "resolvedInNextRelease"}
    if kind is ActionKind.RESOLVE_IN_RELEASE:
        if not action.release:
            raise ValueError("resolve in release needs a release version")
        return {"status": "resolved", "in_release": action.release}
    if kind is ActionKind.UNRESOLVE:
        return {"status": "unresolved", "substatus": action.substatus}
    if kind is ActionKind.ARCHIVE:
        return {"status": "ignored", "ignore": _spec(action)}
    if kind is ActionKind.ASSIGN:
        return {"assigned_to": action.assign_to or ""}
    if kind is ActionKind.BOOKMARK:
        return {"is_bookmarked": bool(action.bookmark)}
    if kind is ActionKind.MARK_SEEN:
        return {"has_seen": True}
    if kind is ActionKind.SET_PRIORITY:
        if action.priority not in PRIORITIES:
            raise ValueError(f"priority {action.priority!r}: use high, medium or low")
        return {"priority": action.priority}
    if kind is ActionKind.REVIEW:
        return {"inbox": bool(action.for_review)}
    raise ValueError(f"{kind.value} is not an issue update")


def relay_update_fields(action: Action) -> dict[str, Any] | None:
    """Keyword arguments for RelayClient.update_issue; None when nothing changes locally."""
    kind = action.kind
    if kind in (
        ActionKind.RESOLVE,
        ActionKind.RESOLVE_NEXT_RELEASE,
        ActionKind.RESOLVE_IN_RELEASE,
    ):
        return {"status": "resolved"}
    if kind is ActionKind.UNRESOLVE:
        return {"status": "unresolved"}
    if kind is ActionKind.ARCHIVE:
        return {"status": "ignored"}
    if kind is ActionKind.ASSIGN:
        return {"assignee": (action.assign_label or action.assign_to) if action.assign_to else ""}
    return None


def matches(issue: Issue, action: Action) -> bool:
    """True when the issue already shows the action's effect (for a resumed send)."""
    target = optimistic(issue, action)
    if action.kind is ActionKind.ARCHIVE:
        return issue.status == target.status and issue.substatus == target.substatus
    if action.kind in STATUS_KINDS:
        return issue.status == target.status
    if action.kind is ActionKind.ASSIGN:
        return issue.assignee_id == target.assignee_id
    if action.kind is ActionKind.BOOKMARK:
        return issue.is_bookmarked == target.is_bookmarked
    if action.kind is ActionKind.MARK_SEEN:
        return issue.has_seen
    if action.kind is ActionKind.SET_PRIORITY:
        return issue.priority == target.priority
    if action.kind is ActionKind.REVIEW:
        return issue.for_review == target.for_review
    return False


def _status_action(issue: Issue, spec: IgnoreSpec | None) -> tuple[ActionKind, dict[str, Any]]:
    status = issue.status
    if status is Status.RESOLVED:
        release = issue.status_details.get("inRelease")
        if issue.status_details.get("inNextRelease"):
            return ActionKind.RESOLVE_NEXT_RELEASE, {}
        if isinstance(release, str) and release:
            return ActionKind.RESOLVE_IN_RELEASE, {"release": release}
        return ActionKind.RESOLVE, {}
    if status is Status.IGNORED:
        return ActionKind.ARCHIVE, {"ignore": spec or IgnoreSpec()}
    substatus = issue.substatus if issue.substatus in UNRESOLVED_SUBSTATUSES else None
    return ActionKind.UNRESOLVE, {"substatus": substatus}


def _ticket_inverse(
    action: Action, issue: Issue, ticket: TicketRef | None
) -> tuple[ActionKind, dict[str, Any]]:
    """Undo of a link: the issue's earlier link back, or no link.  Undo of a created
    ticket: close it (it was ours) and unlink; an earlier link comes back after."""
    if action.kind is ActionKind.CREATE_TICKET:
        return ActionKind.CLOSE_TICKET, {
            "ticket_ref": ticket,
            "text": ticket.url if ticket else None,
        }
    if issue.linked_ticket and issue.linked_ticket != action.text:
        return ActionKind.LINK_TICKET, {"text": issue.linked_ticket}
    return ActionKind.UNLINK_TICKET, {"text": action.text}


def inverse_actions(
    action: Action,
    previous: list[Issue],
    *,
    actor: str,
    ignore_specs: Mapping[str, IgnoreSpec] | None = None,
    ticket: TicketRef | None = None,
) -> list[Action]:
    """Actions that put `previous` back; one per distinct previous state.  [] if none.

    `ignore_specs` (issue id → condition) restores how a previously archived issue was
    archived; an archived issue missing from it is archived again as its substatus and
    statusDetails say (`spec_from_issue`).  `ticket`: the GitHub issue a CREATE_TICKET
    made (None while it is unknown: the close then looks it up when it is sent).
    """
    groups: dict[Any, list[Issue]] = defaultdict(list)
    fields_of: dict[Any, tuple[ActionKind, dict[str, Any]]] = {}
    relink = []
    for issue in previous:
        if action.kind is ActionKind.CREATE_TICKET and issue.linked_ticket:
            relink.append(issue)  # linked elsewhere before: that link comes back
        if action.kind in (ActionKind.LINK_TICKET, ActionKind.CREATE_TICKET):
            kind, fields = _ticket_inverse(action, issue, ticket)
        elif action.kind in STATUS_KINDS:
            spec = None
            if issue.status is Status.IGNORED:
                spec = (ignore_specs or {}).get(issue.id) or spec_from_issue(issue)
            kind, fields = _status_action(issue, spec)
        elif action.kind is ActionKind.ASSIGN:
            kind = ActionKind.ASSIGN
            fields = {"assign_to": issue.assignee_id, "assign_label": issue.assignee}
        elif action.kind is ActionKind.BOOKMARK:
            kind, fields = ActionKind.BOOKMARK, {"bookmark": issue.is_bookmarked}
        elif action.kind is ActionKind.SET_PRIORITY:
            if issue.priority not in PRIORITIES:
                continue  # Sentry cannot set "no priority": leave it as it is
            kind, fields = ActionKind.SET_PRIORITY, {"priority": issue.priority}
        elif action.kind is ActionKind.REVIEW:
            kind, fields = ActionKind.REVIEW, {"for_review": issue.for_review}
        else:
            return []
        key = (kind, json.dumps(fields, sort_keys=True, default=_dump))
        fields_of[key] = (kind, fields)
        groups[key].append(issue)
    for issue in relink:
        kind, fields = ActionKind.LINK_TICKET, {"text": issue.linked_ticket}
        key = (kind, json.dumps(fields, sort_keys=True, default=_dump))
        fields_of[key] = (kind, fields)
        groups[key].append(issue)
    out: list[Action] = []
    for key, issues in groups.items():
        kind, fields = fields_of[key]
        out.append(
            Action(
                id=uuid.uuid4().hex,
                kind=kind,
                issues=[i.key for i in issues],
                actor=actor,
                undo_of=action.id,
                **fields,
            )
        )
    return out


def _dump(value: Any) -> Any:
    return value.model_dump(exclude_none=True) if hasattr(value, "model_dump") else str(value)


_ERROR_LABELS = {
    "AuthError": "Sentry rejected the token (401); run `sxtriage login`",
    "PermissionDenied": "no permission (403); your token needs the event:write scope",
    "NotFound": "the issue no longer exists in Sentry (404)",
    "Conflict": "conflict (409): the issue changed in Sentry meanwhile",
    "RateLimited": "rate limited by Sentry (429)",
    "ServerError": "Sentry server error",
    "SentryTimeout": "Sentry did not answer in time",
    "SentryUnavailable": "Sentry is unreachable (network down?)",
    "ConnectError": "network unreachable",
    "ReadTimeout": "the server did not answer in time",
    "ConnectTimeout": "the server did not answer in time",
}


_LABELLED = (401, 403, 404, 409, 429)


def describe_error(exc: BaseException) -> str:
    """One line saying why an action failed."""
    name = type(exc).__name__
    text = (str(exc).strip().splitlines() or [""])[0][:200]
    label = _ERROR_LABELS.get(name)
    if name == "RateLimited":
        retry = getattr(exc, "retry_after", None)
        if retry:
            label = f"{label}; retry in {float(retry):.0f}s"
    status = getattr(exc, "status", None)
    if name == "ServerError" and status:
        label = f"Sentry server error ({status})"
    detail = getattr(exc, "detail", None)
    refused = isinstance(status, int) and 400 <= status < 500
    if refused and status not in _LABELLED and isinstance(detail, str) and detail.strip():
        # Sentry's own reason (the validator's message), not our guess
        return f"Sentry refused it ({status}): {' '.join(detail.split())[:200]}"
    if name == "Unsupported":
        return text or name
    if label is None:
        return text or name
    return label
