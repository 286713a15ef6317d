"""How each issue was archived, so that undo puts it back the same way.

Undoing "resolve" on an issue that was "archived for 30 minutes" must archive it for the
rest of those 30 minutes, not forever.  The engine records the condition of every archive
that reached the server, keeps the one in force for each issue that a new action replaces
(in the outbox row, so it survives a restart), and undo restores it — a duration shortened
by the time that passed.  An archive made elsewhere (Sentry's web UI) is rebuilt from what
Sentry stored: its substatus and statusDetails (`spec_from_issue`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sxtriage.models import Action, ActionKind, IgnoreSpec, Issue, IssueKey, Source, Status
from sxtriage.store import Store

_STATUS_KINDS = {
    ActionKind.RESOLVE,
    ActionKind.RESOLVE_NEXT_RELEASE,
    ActionKind.RESOLVE_IN_RELEASE,
    ActionKind.UNRESOLVE,
    ActionKind.ARCHIVE,
}
REPLAY_LIMIT = 5000
"""Done status actions read back from the outbox at start (newest)."""


@dataclass(frozen=True)
class IgnoredWith:
    spec: IgnoreSpec
    at: float
    """When the ignore reached the server (epoch seconds)."""

    def remaining(self, now: float) -> IgnoreSpec:
        """The condition still in force at `now`: a duration counts down (≥ 1 minute)."""
        if self.spec.duration_min is None:
            return self.spec.model_copy()
        left = self.spec.duration_min - max(0.0, now - self.at) / 60.0
        return self.spec.model_copy(update={"duration_min": max(1, math.ceil(left))})

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec.model_dump(exclude_none=True), "at": self.at}

    @classmethod
    def from_json(cls, data: Any) -> IgnoredWith | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(IgnoreSpec.model_validate(data.get("spec") or {}), float(data["at"]))
        except (KeyError, TypeError, ValueError):
            return None


def is_forever(spec: IgnoreSpec) -> bool:
    return spec.forever


def _minutes(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def spec_from_issue(issue: Issue, now: float | None = None) -> IgnoreSpec | None:
    """How an archived issue is archived, from Sentry's substatus and statusDetails
    (src/sentry/api/serializers/models/group.py `_get_status`: ignoreCount, ignoreWindow,
    ignoreUserCount, ignoreUserWindow, ignoreUntil); None when they do not say."""
    if issue.status is not Status.IGNORED:
        return None
    sub = issue.substatus or ""
    if sub in ("archived_until_escalating", "until_escalating"):
        return IgnoreSpec(until_escalating=True)
    if sub in ("archived_forever", "forever"):
        return IgnoreSpec()
    d = issue.status_details or {}
    spec = IgnoreSpec(
        count=_minutes(d.get("ignoreCount")),
        window_min=_minutes(d.get("ignoreWindow")),
        user_count=_minutes(d.get("ignoreUserCount")),
        user_window_min=_minutes(d.get("ignoreUserWindow")),
        duration_min=_minutes(d.get("ignoreDuration")),
    )
    until = d.get("ignoreUntil")
    if spec.duration_min is None and isinstance(until, str) and until:
        try:
            end = datetime.fromisoformat(until.replace("Z", "+00:00"))
        except ValueError:
            end = None
        if end is not None:
            end = end if end.tzinfo else end.replace(tzinfo=UTC)
            left = (end.timestamp() - (time.time() if now is None else now)) / 60.0
            spec = spec.model_copy(update={"duration_min": max(1, math.ceil(left))})
    return spec if spec.has_condition else None


def condition_unknown(issue: Issue) -> bool:
    """Archived on some condition (elsewhere, e.g. in Sentry's web UI) that neither this
    app saw nor Sentry's answer names."""
    if issue.status is not Status.IGNORED or (issue.substatus or "") in ("",):
        return False
    return spec_from_issue(issue) is None


class IgnoreMemory:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._by_key: dict[IssueKey, IgnoredWith] = {}

    def get(self, key: IssueKey) -> IgnoredWith | None:
        return self._by_key.get(key)

    def settled(self, action: Action, keys: Iterable[IssueKey], at: float | None = None) -> None:
        """A status action reached the server for `keys`: remember or forget their ignore."""
        if action.kind not in _STATUS_KINDS:
            return
        when = self.clock() if at is None else at
        for key in keys:
            if action.kind is ActionKind.ARCHIVE:
                self._by_key[key] = IgnoredWith(action.ignore or IgnoreSpec(), when)
            else:
                self._by_key.pop(key, None)

    def prior(self, issues: Iterable[Issue]) -> dict[str, dict[str, Any]]:
        """For the ignored issues among `issues`: issue id → the condition in force (JSON)."""
        out: dict[str, dict[str, Any]] = {}
        for issue in issues:
            known = self._by_key.get(issue.key)
            if issue.status is Status.IGNORED and known is not None:
                out[issue.id] = known.to_json()
        return out

    async def load(self, store: Store) -> None:
        """Rebuild from the outbox's finished status actions (oldest first)."""
        rows = await store.query(
            "SELECT action, updated FROM (SELECT action, updated FROM outbox WHERE state='done' "
            "ORDER BY updated DESC LIMIT ?) ORDER BY updated",
            (REPLAY_LIMIT,),
        )
        for row in rows:
            try:
                action = Action.model_validate_json(row["action"])
            except ValueError:
                continue
            keys = [(Source(s), i) for s, i in action.issues]
            self.settled(action, keys, at=float(row["updated"]))


def restore_specs(ignored_with: dict[str, dict[str, Any]], now: float) -> dict[str, IgnoreSpec]:
    """Outbox JSON (issue id → IgnoredWith) → issue id → the spec to ignore with again."""
    out: dict[str, IgnoreSpec] = {}
    for issue_id, data in ignored_with.items():
        known = IgnoredWith.from_json(data)
        if known is not None:
            out[issue_id] = known.remaining(now)
    return out
