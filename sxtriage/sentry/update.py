"""`IssueUpdate`: a change to one or many issues, and its Sentry request body.

The bodies are the ones Sentry's own UI sends for the same click, so that Sentry stores
what the user chose (an `ignored` without `substatus` is stored as archived *forever*):

- resolve / in next release / in a release, unresolve:
  `static/app/components/actions/resolve.tsx`
- archive until escalating / forever / until a condition:
  `static/app/components/actions/archive.tsx`
- mark reviewed: `static/app/views/issueList/actions/reviewAction.tsx`
- priority: `static/app/views/issueList/actions/actionSet.tsx`

and each field is one `GroupValidator` accepts
(`src/sentry/api/helpers/group_index/validators/group.py`, `.../status_details.py`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from sxtriage.models import IgnoreSpec

UNRESOLVED_SUBSTATUSES = ("ongoing", "new", "escalating", "regressed")
"""Sentry's substatuses of an unresolved issue (src/sentry/types/group.py)."""


class IssueUpdate(BaseModel):
    """A change to one or many issues, in domain terms; `to_json` is Sentry's body."""

    status: Literal["resolved", "resolvedInNextRelease", "unresolved", "ignored"] | None = None
    ignore: IgnoreSpec | None = None
    """How to archive (status "ignored"); None: forever."""
    in_release: str | None = None
    """Status "resolved" in this release version (`statusDetails.inRelease`)."""
    substatus: str | None = None
    """Status "unresolved" with this substatus (default "ongoing", as Sentry's UI sends)."""
    assigned_to: str | None = None
    """Actor "user:1" / "team:2" (or a username/email); "" clears the assignee."""
    has_seen: bool | None = None
    is_bookmarked: bool | None = None
    priority: Literal["high", "medium", "low"] | None = None
    inbox: bool | None = None
    """False: mark reviewed (out of For Review); True: back to For Review."""

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.status == "resolvedInNextRelease":
            body |= {"status": "resolved", "statusDetails": {"inNextRelease": True}}
            body["substatus"] = None
        elif self.status == "resolved":
            details = {"inRelease": self.in_release} if self.in_release else {}
            body |= {"status": "resolved", "statusDetails": details, "substatus": None}
        elif self.status == "ignored":
            spec = self.ignore or IgnoreSpec()
            body |= {
                "status": "ignored",
                "statusDetails": archive_details(spec),
                "substatus": spec.substatus,
            }
        elif self.status == "unresolved":
            substatus = self.substatus if self.substatus in UNRESOLVED_SUBSTATUSES else "ongoing"
            body |= {"status": "unresolved", "statusDetails": {}, "substatus": substatus}
        if self.assigned_to is not None:
            body["assignedTo"] = self.assigned_to
        if self.has_seen is not None:
            body["hasSeen"] = self.has_seen
        if self.is_bookmarked is not None:
            body["isBookmarked"] = self.is_bookmarked
        if self.priority is not None:
            body["priority"] = self.priority
        if self.inbox is not None:
            body["inbox"] = self.inbox
        return body


def archive_details(spec: IgnoreSpec) -> dict[str, int]:
    """`statusDetails` of an archive: the condition's keys, {} until escalating/forever."""
    details = {
        "ignoreDuration": spec.duration_min,
        "ignoreCount": spec.count,
        "ignoreWindow": spec.window_min,
        "ignoreUserCount": spec.user_count,
        "ignoreUserWindow": spec.user_window_min,
    }
    return {k: v for k, v in details.items() if v is not None}
