"""Issue mutations of the simulator: Sentry's PUT body (and sentry-cli's legacy words)."""

from __future__ import annotations

import time
from typing import Any

from sxtriage.sim.dataset import SimIssue, SimState

_IGNORE_KEYS = ("ignoreDuration", "ignoreCount", "ignoreWindow", "ignoreUserCount")
_IGNORE_KEYS += ("ignoreUserWindow",)
_STATUSES = {"resolved", "resolvedInNextRelease", "unresolved", "ignored", "muted"}


class MutationError(ValueError):
    """A bad PUT body; `field` names the offending key (the API answers 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def resolve_actor(state: SimState, value: Any) -> str | None:
    """`user:1` / `team:2` / username / email / `#team` → actor; "" or None clears."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    kind, _, ident = text.partition(":")
    if kind in ("user", "team") and ident.isdigit():
        table = state.members if kind == "user" else state.teams
        if int(ident) in table:
            return text
    elif text.startswith("#"):
        team = state.team_by_slug(text[1:])
        if team:
            return f"team:{team.id}"
    else:
        for m in state.members.values():
            if text.lower() in (m.email.lower(), m.username.lower(), str(m.id)):
                return f"user:{m.id}"
    raise MutationError("assignedTo", f"Unknown actor input: {text!r}")


def validate(state: SimState, body: Any) -> dict[str, Any]:
    """Check a PUT body before touching any issue; returns the normalized changes."""
    if not isinstance(body, dict):
        raise MutationError("body", "the request body must be a JSON object")
    changes: dict[str, Any] = {}
    status = body.get("status")
    if status is not None:
        if status not in _STATUSES:
            raise MutationError("status", f'"{status}" is not a valid choice.')
        details = body.get("statusDetails") or {}
        if not isinstance(details, dict):
            raise MutationError("statusDetails", "statusDetails must be an object")
        details = dict(details)
        for legacy in ("snoozeDuration", "ignoreDuration"):
            if body.get(legacy) is not None and "ignoreDuration" not in details:
                details["ignoreDuration"] = body[legacy]
        for key in _IGNORE_KEYS:
            value = details.get(key)
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise MutationError(key, f"{key} must be a positive integer (minutes or count)")
        if status == "resolvedInNextRelease":
            status, details = "resolved", {**details, "inNextRelease": True}
        changes["status"] = "ignored" if status == "muted" else status
        changes["statusDetails"] = details
        changes["substatus"] = body.get("substatus")
    if "assignedTo" in body:
        changes["assignedTo"] = resolve_actor(state, body["assignedTo"])
    for key in ("hasSeen", "isBookmarked"):
        if key in body:
            if not isinstance(body[key], bool):
                raise MutationError(key, f"{key} must be true or false")
            changes[key] = body[key]
    if "priority" in body:
        if body["priority"] not in ("low", "medium", "high"):
            raise MutationError("priority", "priority must be low, medium or high")
        changes["priority"] = body["priority"]
    return changes


def apply(issue: SimIssue, changes: dict[str, Any], *, now: float | None = None) -> None:
    now = now or time.time()
    if "status" in changes:
        status, details = changes["status"], changes["statusDetails"]
        issue.status = status
        issue.ignore_until = None
        if status == "resolved":
            issue.substatus = None
            keep = ("inNextRelease", "inRelease", "inCommit")
            issue.status_details = {k: details[k] for k in keep if k in details}
        elif status == "ignored":
            cond = {k: details[k] for k in _IGNORE_KEYS if details.get(k) is not None}
            issue.status_details = cond
            if cond.get("ignoreDuration"):
                issue.ignore_until = now + cond["ignoreDuration"] * 60
            issue.ignore_count_base = issue.count
            issue.substatus = changes.get("substatus") or (
                "archived_until_condition_met" if cond else "archived_forever"
            )
        else:
            issue.substatus = "ongoing"
            issue.status_details = {}
    if "assignedTo" in changes:
        issue.assigned = changes["assignedTo"]
    if "hasSeen" in changes:
        issue.has_seen = changes["hasSeen"]
    if "isBookmarked" in changes:
        issue.bookmarked = changes["isBookmarked"]
    if "priority" in changes:
        issue.priority = changes["priority"]


def echo(state: SimState, changes: dict[str, Any]) -> dict[str, Any]:
    """The bulk-update answer: what was changed, in Sentry's keys."""
    from sxtriage.sim.responses import actor_json

    out: dict[str, Any] = {}
    if "status" in changes:
        out["status"] = changes["status"]
        details = changes["statusDetails"]
        out["statusDetails"] = {
            k: v
            for k, v in details.items()
            if v is not None and k in (*_IGNORE_KEYS, "inNextRelease", "inRelease")
        }
        if changes.get("substatus"):
            out["substatus"] = changes["substatus"]
    if changes.get("assignedTo"):
        out["assignedTo"] = actor_json(state, changes["assignedTo"])
    for key in ("hasSeen", "isBookmarked", "priority"):
        if key in changes:
            out[key] = changes[key]
    return out
