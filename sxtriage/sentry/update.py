"""`IssueUpdate`: a change to one or many issues, and its Sentry request body."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from sxtriage.models import IgnoreSpec


class IssueUpdate(BaseModel):
    """A change to one or many issues, in domain terms; `to_json` is Sentry's body."""

    status: Literal["resolved", "resolvedInNextRelease", "unresolved", "ignored"] | None = None
    ignore: IgnoreSpec | None = None
    assigned_to: str | None = None
    """Actor "user:1" / "team:2" (or a username/email); "" clears the assignee."""
    has_seen: bool | None = None
    is_bookmarked: bool | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.status == "resolvedInNextRelease":
            body["status"] = "resolved"
            body["statusDetails"] = {"inNextRelease": True}
        elif self.status == "ignored":
            body["status"] = "ignored"
            spec = self.ignore or IgnoreSpec()
            details = {
                "ignoreDuration": spec.duration_min,
                "ignoreCount": spec.count,
                "ignoreWindow": spec.window_min,
                "ignoreUserCount": spec.user_count,
                "ignoreUserWindow": spec.user_window_min,
            }
            body["statusDetails"] = {k: v for k, v in details.items() if v is not None}
            body["substatus"] = (
                "archived_until_condition_met" if body["statusDetails"] else "archived_forever"
            )
        elif self.status is not None:
            body["status"] = self.status
            body["statusDetails"] = {}
            if self.status == "unresolved":
                body["substatus"] = "ongoing"
        if self.assigned_to is not None:
            body["assignedTo"] = self.assigned_to
        if self.has_seen is not None:
            body["hasSeen"] = self.has_seen
        if self.is_bookmarked is not None:
            body["isBookmarked"] = self.is_bookmarked
        return body
