"""What an action does: its optimistic effect on an issue, its Sentry update, its inverse.

Pure functions, no I/O: the engine (actions.py) applies them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sxtriage.models import Action, ActionKind, IgnoreSpec, Issue, Status

STATUS_KINDS = {
    ActionKind.RESOLVE,
    ActionKind.RESOLVE_NEXT_RELEASE,
    ActionKind.UNRESOLVE,
    ActionKind.IGNORE,
}
NOT_IDEMPOTENT = {ActionKind.NOTE, ActionKind.LINK_TICKET}
"""Sending these twice would post two notes: an interrupted send is shown as failed."""

VERBS = {
    ActionKind.RESOLVE: "Resolve",
    ActionKind.RESOLVE_NEXT_RELEASE: "Resolve in next release",
    ActionKind.UNRESOLVE: "Unresolve",
    ActionKind.IGNORE: "Ignore",
    ActionKind.ASSIGN: "Assign",
    ActionKind.BOOKMARK: "Bookmark",
    ActionKind.MARK_SEEN: "Mark seen",
    ActionKind.NOTE: "Note",
    ActionKind.LINK_TICKET: "Link ticket",
}


def verb(action: Action) -> str:
    return ("Undo " if action.undo_of else "") + VERBS[action.kind]


def optimistic(issue: Issue, action: Action) -> Issue:
    """The issue as it will look once the action succeeds."""
    new = issue.model_copy(deep=True)
    kind = action.kind
    if kind is ActionKind.RESOLVE:
        new.status, new.substatus = Status.RESOLVED, None
    elif kind is ActionKind.RESOLVE_NEXT_RELEASE:
        new.status, new.substatus = Status.RESOLVED, "resolved_in_next_release"
    elif kind is ActionKind.UNRESOLVE:
        new.status, new.substatus = Status.UNRESOLVED, "ongoing"
    elif kind is ActionKind.IGNORE:
        spec = action.ignore or IgnoreSpec()
        forever = all(v is None for v in spec.model_dump().values())
        new.status = Status.IGNORED
        new.substatus = "archived_forever" if forever else "archived_until_condition_met"
    elif kind is ActionKind.ASSIGN:
        new.assignee_id = action.assign_to
        new.assignee = (action.assign_label or action.assign_to) if action.assign_to else None
    elif kind is ActionKind.BOOKMARK:
        new.is_bookmarked = bool(action.bookmark)
    elif kind is ActionKind.MARK_SEEN:
        new.has_seen = True
    elif kind is ActionKind.LINK_TICKET:
        new.linked_ticket = action.text
    return new


def sentry_update_fields(action: Action) -> dict[str, Any]:
    """Keyword arguments for sentry.client.IssueUpdate."""
    kind = action.kind
    if kind is ActionKind.RESOLVE:
        return {"status": "resolved"}
    if kind is ActionKind.RESOLVE_NEXT_RELEASE:
        return {"status": "resolvedInNextRelease"}
    if kind is ActionKind.UNRESOLVE:
        return {"status": "unresolved"}
    if kind is ActionKind.IGNORE:
        spec = action.ignore or IgnoreSpec()
        forever = all(v is None for v in spec.model_dump().values())
        return {"status": "ignored", "ignore": None if forever else spec}
    if kind is ActionKind.ASSIGN:
        return {"assigned_to": action.assign_to or ""}
    if kind is ActionKind.BOOKMARK:
        return {"is_bookmarked": bool(action.bookmark)}
    if kind is ActionKind.MARK_SEEN:
        return {"has_seen": True}
    raise ValueError(f"{kind.value} is not an issue update")


def relay_update_fields(action: Action) -> dict[str, Any] | None:
    """Keyword arguments for RelayClient.update_issue; None when nothing changes locally."""
    kind = action.kind
    if kind in (ActionKind.RESOLVE, ActionKind.RESOLVE_NEXT_RELEASE):
        return {"status": "resolved"}
    if kind is ActionKind.UNRESOLVE:
        return {"status": "unresolved"}
    if kind is ActionKind.IGNORE:
        return {"status": "ignored"}
    if kind is ActionKind.ASSIGN:
        return {"assignee": (action.assign_label or action.assign_to) if action.assign_to else ""}
    return None


def matches(issue: Issue, action: Action) -> bool:
    """True when the issue already shows the action's effect (for a resumed send)."""
    target = optimistic(issue, action)
    if action.kind in STATUS_KINDS:
        return issue.status == target.status
    if action.kind is ActionKind.ASSIGN:
        return issue.assignee_id == target.assignee_id
    if action.kind is ActionKind.BOOKMARK:
        return issue.is_bookmarked == target.is_bookmarked
    if action.kind is ActionKind.MARK_SEEN:
        return issue.has_seen
    return False


def _status_action(status: Status, spec: IgnoreSpec | None) -> tuple[ActionKind, dict[str, Any]]:
    if status is Status.RESOLVED:
        return ActionKind.RESOLVE, {}
    if status is Status.IGNORED:
        return ActionKind.IGNORE, {"ignore": spec or IgnoreSpec()}
    return ActionKind.UNRESOLVE, {}


def inverse_actions(
    action: Action,
    previous: list[Issue],
    *,
    actor: str,
    ignore_specs: Mapping[str, IgnoreSpec] | None = None,
) -> list[Action]:
    """Actions that put `previous` back; one per distinct previous state.  [] if none.

    `ignore_specs` (issue id → condition) restores how a previously ignored issue was
    ignored; an ignored issue missing from it is ignored forever.
    """
    groups: dict[Any, list[Issue]] = defaultdict(list)
    specs: dict[str, IgnoreSpec] = {}
    if action.kind in STATUS_KINDS:
        for issue in previous:
            spec = (ignore_specs or {}).get(issue.id) if issue.status is Status.IGNORED else None
            text = spec.model_dump_json(exclude_none=True) if spec is not None else ""
            specs[text] = spec or IgnoreSpec()
            groups[(issue.status, text)].append(issue)
    elif action.kind is ActionKind.ASSIGN:
        for issue in previous:
            groups[(issue.assignee_id, issue.assignee)].append(issue)
    elif action.kind is ActionKind.BOOKMARK:
        for issue in previous:
            groups[issue.is_bookmarked].append(issue)
    else:
        return []
    out: list[Action] = []
    for key, issues in groups.items():
        fields: dict[str, Any] = {}
        if action.kind in STATUS_KINDS:
            kind, fields = _status_action(key[0], specs[key[1]])
        elif action.kind is ActionKind.ASSIGN:
            kind = ActionKind.ASSIGN
            fields = {"assign_to": key[0], "assign_label": key[1]}
        else:
            kind = ActionKind.BOOKMARK
            fields = {"bookmark": key}
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
    if label is None:
        return text or name
    return label
