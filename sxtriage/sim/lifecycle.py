"""What a new event does to an issue's state in the simulator, as in Sentry.

- A resolved issue regresses (`unresolved` / `regressed`, back in the inbox) unless the
  event's release is covered by the resolution: resolved in the next release waits for a
  release newer than the one current at resolution; resolved in release X covers X and
  older releases (`src/sentry/models/groupresolution.py` `GroupResolution.has_resolution`).
- An archived issue whose condition is met (`ignoreUntil` passed, `ignoreCount` events or
  `ignoreUserCount` users since archiving, within `ignoreWindow`/`ignoreUserWindow`
  minutes when given) comes back as `unresolved` / `escalating`, in the inbox with reason
  escalating (`src/sentry/tasks/post_process.py` `process_snoozes`,
  `src/sentry/models/groupsnooze.py` `GroupSnooze.is_valid`).
- An issue archived until escalating comes back `escalating` when its events spike: at
  least `escalation_threshold` events within the last hour after archiving (Sentry
  compares against a weekly forecast, `src/sentry/issues/escalating.py`; the simulator's
  threshold is 1.5× the issue's hourly rate before archiving, at least 5).
"""

from __future__ import annotations

import math
import time

from sxtriage.sim.catalog import TEMPLATES
from sxtriage.sim.dataset import SimIssue, SimState

# `src/sentry/models/groupinbox.py` `GroupInboxReason`
INBOX_NEW, INBOX_UNIGNORED, INBOX_REGRESSION, INBOX_MANUAL = 0, 1, 2, 3
INBOX_ESCALATING, INBOX_ONGOING = 5, 6
INBOX_DAYS = 7
"""Inbox rows are at most a week old (`organization_group_index.py` `inbox_search`)."""


def in_inbox(issue: SimIssue, now: float) -> bool:
    return issue.inbox is not None and issue.inbox[1] >= now - INBOX_DAYS * 86400


def escalation_threshold(issue: SimIssue, now: float) -> int:
    week = [e for e in issue.events if e.ts >= now - 7 * 86400]
    hourly = len(week) / (7 * 24)
    return max(5, math.ceil(1.5 * hourly))


def _release_rank(state: SimState, slug: str, version: str | None) -> int:
    order = [r.version for r in reversed(state.project_releases(slug))]
    return order.index(version) if version in order else len(order)


def _covered(state: SimState, issue: SimIssue) -> bool:
    if issue.resolved_in is None or not issue.events:
        return False
    slug = issue.project.slug
    resolved = _release_rank(state, slug, issue.resolved_in)
    event = _release_rank(state, slug, issue.events[-1].release)
    return event <= resolved


def _condition_met(issue: SimIssue, now: float) -> bool:
    d = issue.status_details
    if issue.ignore_until is not None and now >= issue.ignore_until:
        return True
    since = issue.archived_at or 0.0
    count = d.get("ignoreCount")
    if count:
        window = d.get("ignoreWindow")
        if window:
            lo = max(since, now - window * 60)
            if sum(1 for e in issue.events if e.ts >= lo) >= count:
                return True
        elif issue.count - issue.ignore_count_base >= count:
            return True
    users = d.get("ignoreUserCount")
    return bool(users) and issue.user_count - issue.ignore_user_base >= users


def _spiking(issue: SimIssue, now: float) -> bool:
    lo = max(issue.archived_at or 0.0, now - 3600)
    return sum(1 for e in issue.events if e.ts >= lo) >= issue.escalation_threshold


def unarchive_escalating(issue: SimIssue, now: float) -> None:
    issue.status, issue.substatus, issue.status_details = "unresolved", "escalating", {}
    issue.ignore_until = issue.archived_at = None
    issue.inbox = (INBOX_ESCALATING, now)


def tick(state: SimState, n: int = 1, *, now: float | None = None) -> list[SimIssue]:
    """n new events now (5 % of them a new issue); each wakes its issue (`wake`)."""
    now = now or time.time()
    touched: list[SimIssue] = []
    rng = state.rng
    issues = list(state.issues.values())
    for _ in range(n):
        if not issues or rng.random() < 0.05:
            tpl = rng.choice(TEMPLATES)
            issue = state.new_issue(tpl, first_seen=now, suffix=f" ({state.hex_id(4)})")
            issues.append(issue)
        else:
            issue = rng.choice(issues)
        state.add_event(issue, now)
        wake(state, issue, now)
        touched.append(issue)
    return touched


def wake(state: SimState, issue: SimIssue, now: float) -> None:
    """After a new event: regressions, met archive conditions, escalations."""
    if issue.status == "resolved":
        if _covered(state, issue):
            return
        issue.status, issue.substatus, issue.status_details = "unresolved", "regressed", {}
        issue.resolved_in = None
        issue.inbox = (INBOX_REGRESSION, now)
    elif issue.status == "ignored":
        if issue.substatus == "archived_forever" and not issue.status_details:
            return
        if _condition_met(issue, now) or (
            issue.substatus == "archived_until_escalating" and _spiking(issue, now)
        ):
            unarchive_escalating(issue, now)
