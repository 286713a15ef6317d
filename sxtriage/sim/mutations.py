"""What an accepted issue PUT does, and its answer, as Sentry's `update_groups` does it.

Follows `src/sentry/api/helpers/group_index/update.py` (`update_groups`,
`handle_resolve_in_release`, `process_group_resolution`, `handle_other_status_updates`,
`prepare_response`, `handle_assigned_to`, `handle_priority`), `src/sentry/issues/
status_change.py` (`infer_substatus`), `src/sentry/issues/ignored.py` (`handle_ignored`,
`handle_archived_until_escalating`) and `src/sentry/issues/update_inbox.py`.

Sentry quirks kept on purpose: only issues whose status changes get the new substatus
(re-archiving an archived issue keeps its substatus, only its conditions change), and
issues already resolved stay as they were when resolved again.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sxtriage.sim import lifecycle
from sxtriage.sim.dataset import SimIssue, SimState
from sxtriage.sim.validator import IGNORE_FIELDS

_TRANSITION_DAYS = 7


class Refused(ValueError):
    """Sentry answers `status` with `body` instead of applying the change."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


def _user_json(state: SimState, user_id: int = 1) -> dict[str, Any]:
    from sxtriage.sim.responses_org import member_json

    return member_json(state, user_id)["user"]


def _infer_substatus(given: str | None, status: str, details: dict[str, Any],
                     issues: list[SimIssue], now: float) -> str:  # fmt: skip
    if given:
        return given
    if status == "ignored":
        if any(details.get(k) is not None for k in (*IGNORE_FIELDS, "snoozeDuration")):
            return "archived_until_condition_met"
        return "archived_forever"
    if len(issues) == 1:
        one = issues[0]
        if one.status == "ignored":
            fresh = one.first_seen > now - _TRANSITION_DAYS * 86400
            return "new" if fresh else "ongoing"
        if one.status == "resolved":
            return "regressed"
    return "ongoing"


def _resolve(state: SimState, issues: list[SimIssue], status: str,
             details: dict[str, Any], result: dict[str, Any], now: float) -> None:  # fmt: skip
    next_release = status == "resolvedInNextRelease" or details.get("inNextRelease")
    in_release = details.get("inRelease")
    if (next_release or in_release or details.get("inCommit")) and len(
        {i.project.slug for i in issues}
    ) > 1:
        raise Refused(400, {"detail": "Cannot set resolved for multiple projects."})
    if next_release:
        new_details: dict[str, Any] = {"inNextRelease": True, "actor": _user_json(state)}
        stored: dict[str, Any] = {"inNextRelease": True}
    elif in_release:
        new_details = {"inRelease": in_release, "actor": _user_json(state)}
        stored = {"inRelease": in_release}
    else:
        new_details, stored = {}, {}
    for issue in issues:
        if issue.status == "resolved":
            continue
        issue.status, issue.substatus = "resolved", None
        issue.status_details = dict(stored)
        issue.resolved_in = (
            in_release if in_release else (issue.project.release if next_release else None)
        )
        issue.ignore_until = issue.archived_at = None
        issue.inbox = None
        result["inbox"] = None
    result.update({"status": "resolved", "statusDetails": new_details})


def _archive_or_unresolve(state: SimState, issues: list[SimIssue], result: dict[str, Any],
                          details: dict[str, Any], now: float) -> None:  # fmt: skip
    status = result["status"]
    new_status = "ignored" if status in ("ignored", "muted") else "unresolved"
    substatus = _infer_substatus(result.get("substatus"), new_status, details, issues, now)
    for issue in issues:
        if issue.status == new_status:
            continue  # `queryset.exclude(status=new_status).update(...)`
        issue.status, issue.substatus = new_status, substatus
        issue.resolved_in = None
        if new_status == "ignored":
            issue.archived_at = now
            issue.ignore_count_base, issue.ignore_user_base = issue.count, issue.user_count
            issue.escalation_threshold = lifecycle.escalation_threshold(issue, now)
        else:
            issue.status_details, issue.ignore_until, issue.archived_at = {}, None, None
    if new_status == "unresolved":
        result["statusDetails"] = {}
        return
    for issue in issues:
        issue.inbox = None
    result["inbox"] = None
    if substatus == "archived_until_escalating":
        for issue in issues:
            issue.status_details, issue.ignore_until = {}, None
        result["statusDetails"] = {"ignoreUntilEscalating": True}
        return
    duration = details.get("ignoreDuration") or details.get("snoozeDuration") or None
    cond = {k: details.get(k) or None for k in IGNORE_FIELDS if k != "ignoreDuration"}
    if not (duration or cond["ignoreCount"] or cond["ignoreUserCount"]):
        for issue in issues:
            issue.status_details, issue.ignore_until = {}, None
        result["statusDetails"] = {}
        return
    until = now + duration * 60 if duration else None
    stored = {k: v for k, v in {"ignoreDuration": duration, **cond}.items() if v is not None}
    for issue in issues:
        issue.status_details, issue.ignore_until = dict(stored), until
        issue.ignore_count_base, issue.ignore_user_base = issue.count, issue.user_count
    from sxtriage.sim.timefmt import iso

    result["statusDetails"] = {
        "ignoreCount": cond["ignoreCount"],
        "ignoreUntil": iso(until) if until else None,
        "ignoreUserCount": cond["ignoreUserCount"],
        "ignoreUserWindow": cond["ignoreUserWindow"],
        "ignoreWindow": cond["ignoreWindow"],
        "actor": _user_json(state),
    }


def update(state: SimState, issues: list[SimIssue], validated: dict[str, Any],
           *, now: float | None = None) -> dict[str, Any] | None:  # fmt: skip
    """Apply a validated body to `issues`; the answer body (None: 204 for a discard)."""
    from sxtriage.sim.responses import actor_json

    now = now or time.time()
    result = dict(validated)
    if result.get("discard"):
        raise Refused(400, {"detail": ["You do not have that feature enabled"]})
    details = result.pop("statusDetails", result)
    status = result.get("status")
    if "priority" in result:
        for issue in issues:
            issue.priority, issue.priority_locked_at = result["priority"], now
    if status in ("resolved", "resolvedInNextRelease"):
        _resolve(state, issues, status, details, result, now)
    elif status:
        _archive_or_unresolve(state, issues, result, details, now)
    if "assignedTo" in result:
        for issue in issues:
            issue.assigned = result["assignedTo"]
        result["assignedTo"] = actor_json(state, result["assignedTo"])
    if result.get("hasSeen") is not None:
        for issue in issues:
            issue.has_seen = result["hasSeen"]
    if "isBookmarked" in result:
        for issue in issues:
            issue.bookmarked = result["isBookmarked"]
    if result.get("isSubscribed") in (True, False):
        result["subscriptionDetails"] = {"reason": "unknown"}
    if "isPublic" in result:
        result["shareId"] = uuid.uuid4().hex if result["isPublic"] else None
    if result.get("merge") and len(issues) > 1:
        result["merge"] = _merge(state, issues)
    if result.get("inbox") is not None:
        for issue in issues:
            issue.inbox = (lifecycle.INBOX_MANUAL, now) if result["inbox"] else None
    state.version += 1
    return result


def _merge(state: SimState, issues: list[SimIssue]) -> dict[str, Any]:
    if len({i.project.slug for i in issues}) > 1:
        raise Refused(400, {"detail": "Merging across multiple projects is not supported"})
    parent = max(issues, key=lambda i: (i.count, -i.id))
    children = [i for i in issues if i is not parent]
    for child in children:
        parent.count += child.count
        parent.user_count += child.user_count
        state.delete_issue(child.id)
    return {"parent": str(parent.id), "children": [str(c.id) for c in children]}
