"""The simulator's issue answers, with the fields Sentry's serializers give.

- every variant: `GroupSerializerBase` (`src/sentry/api/serializers/models/group.py`);
- `stream` (org issue list): `StreamGroupSerializerSnuba`
  (`src/sentry/api/serializers/models/group_stream.py`): `stats` per `groupStatsPeriod`,
  `lifetime`, `filtered`, and `inbox`/`owners`/`sessionCount`/… only on `expand`;
- `project` (project issue list): `StreamGroupSerializer`, `stats` per `statsPeriod`;
- `detail` (GET one issue): `src/sentry/issues/endpoints/group_details.py` `get`;
- `base` (PUT one issue, short id lookup): `GroupSerializer`.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any, Literal

from sxtriage.sim import lifecycle
from sxtriage.sim.dataset import SimIssue, SimProject, SimState
from sxtriage.sim.timefmt import iso

Variant = Literal["stream", "project", "detail", "base"]
NO_SET: frozenset[str] = frozenset()


def actor_json(state: SimState, actor: str | None) -> dict[str, Any] | None:
    if not actor:
        return None
    kind, _, ident = actor.partition(":")
    if kind == "team" and (team := state.teams.get(int(ident))):
        return {"type": "team", "id": str(team.id), "name": team.slug}
    if kind == "user" and (m := state.members.get(int(ident))):
        return {"type": "user", "id": str(m.id), "name": m.name, "email": m.email}
    return None


def project_ref(p: SimProject) -> dict[str, Any]:
    return {"id": str(p.id), "name": p.slug, "slug": p.slug, "platform": p.platform}


def _user(state: SimState) -> dict[str, Any]:
    from sxtriage.sim.responses_org import member_json

    return member_json(state, 1)["user"]


def status_details(state: SimState, issue: SimIssue) -> dict[str, Any]:
    """`GroupSerializerBase._get_status_details`: the snooze (counts are what remains),
    or the resolution; `{}` otherwise."""
    d = issue.status_details
    if issue.status == "ignored" and (issue.ignore_until or any(d.values())):
        count, users = d.get("ignoreCount"), d.get("ignoreUserCount")
        if count and not d.get("ignoreWindow"):
            count = max(0, count - (issue.count - issue.ignore_count_base))
        if users and not d.get("ignoreUserWindow"):
            users = max(0, users - (issue.user_count - issue.ignore_user_base))
        return {
            "ignoreCount": count,
            "ignoreUntil": iso(issue.ignore_until) if issue.ignore_until else None,
            "ignoreUserCount": users,
            "ignoreUserWindow": d.get("ignoreUserWindow"),
            "ignoreWindow": d.get("ignoreWindow"),
            "actor": _user(state),
        }
    if issue.status == "resolved" and d.get("inNextRelease"):
        return {"inNextRelease": True, "actor": _user(state)}
    if issue.status == "resolved" and d.get("inRelease"):
        return {"inRelease": d["inRelease"], "actor": _user(state)}
    return {}


def metadata(issue: SimIssue) -> dict[str, Any]:
    top = issue.template.chain[-1]
    frame = top.frames[-1]
    return {"type": top.type, "value": top.value, "filename": frame.filename}


def series(issue: SimIssue, start: float, end: float, rollup: int) -> list[list[int]]:
    """tsdb `get_range` + rollup: buckets from `end` back to `start` (epoch seconds
    floored to the rollup), oldest first, as `[ts, count]` integers."""
    stamps: list[int] = []
    t = end
    while t >= start:
        stamps.append(int(t // rollup) * rollup)
        t -= rollup
    stamps.sort()
    counts = dict.fromkeys(stamps, 0)
    first = stamps[0] if stamps else 0
    for ev in issue.events:
        bucket = int(ev.ts // rollup) * rollup
        if bucket in counts and ev.ts >= first:
            counts[bucket] += 1
    return [[ts, counts[ts]] for ts in stamps]


def group_stats(issue: SimIssue, period: str, now: float,
                window: tuple[float, float] | None = None) -> list[list[int]]:  # fmt: skip
    """`GroupStatsMixin.STATS_PERIOD_CHOICES`: 24h = 24 hourly, 14d = 14 daily segments;
    `auto` follows the query's date range."""
    if period == "24h":
        return series(issue, now - 23 * 3600, now, 3600)
    if period == "14d":
        return series(issue, now - 13 * 86400, now, 86400)
    start, end = window or (now - 86400, now)
    rollup = 3600 if end - start <= 2 * 86400 else 86400
    segments = max(1, math.ceil((end - start) / rollup))
    return series(issue, end - (segments - 1) * rollup, end, rollup)


def _derived(issue: SimIssue) -> dict[str, Any]:
    return {
        "blocker": "",
        "progress": "",
        "status": "",
        "viewCount": 0,
        "hasOpenFixPr": False,
        "isAssigned": issue.assigned is not None,
        "hasRootCause": False,
        "lastCompletedAutofixStep": "",
        "lastProgressedAt": None,
    }


def base_json(state: SimState, issue: SimIssue) -> dict[str, Any]:
    tpl = issue.template
    return {
        "id": str(issue.id),
        "shareId": None,
        "shortId": issue.short_id,
        "title": issue.title,
        "culprit": tpl.culprit,
        "permalink": f"https://{state.org}.sentry.io/issues/{issue.id}/",
        "logger": None,
        "level": issue.level,
        "status": issue.status,
        "statusDetails": status_details(state, issue),
        "substatus": issue.substatus,
        "isPublic": False,
        "platform": issue.project.platform,
        "priority": issue.priority,
        "priorityLockedAt": iso(issue.priority_locked_at) if issue.priority_locked_at else None,
        "seerFixabilityScore": None,
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "project": project_ref(issue.project),
        "type": "error",
        "issueType": "error",
        "issueCategory": "error",
        "metadata": metadata(issue),
        "numComments": issue.num_comments,
        "assignedTo": actor_json(state, issue.assigned),
        "isBookmarked": issue.bookmarked,
        "isSubscribed": False,
        "subscriptionDetails": None,
        "hasSeen": issue.has_seen,
        "annotations": [],
        "isUnhandled": not all(e.handled for e in tpl.chain),
        "count": str(issue.count),
        "userCount": issue.user_count,
        "firstSeen": iso(issue.first_seen),
        "lastSeen": iso(issue.last_seen),
        "derivedData": _derived(issue),
    }


def inbox_json(state: SimState, issue: SimIssue) -> dict[str, Any] | None:
    """`src/sentry/models/groupinbox.py` `get_inbox_details`."""
    if not lifecycle.in_inbox(issue, state.now) or issue.inbox is None:
        return None
    reason, added = issue.inbox
    return {"date_added": iso(added), "reason": reason, "reason_details": None}


def _seen(issue: SimIssue) -> dict[str, Any]:
    return {
        "count": str(issue.count),
        "userCount": issue.user_count,
        "firstSeen": iso(issue.first_seen),
        "lastSeen": iso(issue.last_seen),
    }


def _expanded(state: SimState, issue: SimIssue, expand: Collection[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "inbox" in expand:
        out["inbox"] = inbox_json(state, issue)
    if "owners" in expand:
        team = state.team_by_slug(issue.template.team or issue.project.team)
        out["owners"] = [
            {
                "type": "ownershipRule",
                "owner": f"team:{team.id if team else 1}",
                "date_added": iso(issue.first_seen),
            }
        ]
    if "sessions" in expand:
        out["sessionCount"] = 0
    if "pluginActions" in expand:
        out["pluginActions"] = []
    if "pluginIssues" in expand:
        out["pluginIssues"] = []
    if "integrationIssues" in expand:
        out["integrationIssues"] = []
    if "sentryAppIssues" in expand:
        out["sentryAppIssues"] = []
    if "latestEventHasAttachments" in expand:
        out["latestEventHasAttachments"] = False
    return out


def issue_json(
    state: SimState,
    issue: SimIssue,
    variant: Variant = "stream",
    *,
    stats_period: str | None = "24h",
    expand: Collection[str] = NO_SET,
    collapse: Collection[str] = NO_SET,
    filtered: bool = False,
    window: tuple[float, float] | None = None,
) -> dict[str, Any]:
    now = state.now
    if variant == "stream" and "base" in collapse:
        out: dict[str, Any] = {"id": str(issue.id), **_seen(issue)}
        out["isUnhandled"] = not all(e.handled for e in issue.template.chain)
    else:
        out = base_json(state, issue)
    if variant == "base":
        return out
    if variant == "detail":
        return out | _detail_extra(state, issue, expand)
    if "stats" not in collapse and stats_period:
        out["stats"] = {stats_period: group_stats(issue, stats_period, now, window)}
    if variant == "stream" and "stats" not in collapse:
        if "lifetime" not in collapse:
            out["lifetime"] = _seen(issue) | ({"stats": None} if stats_period else {})
        if "filtered" not in collapse:
            out["filtered"] = None
            if filtered:
                stats = {stats_period: out["stats"][stats_period]} if stats_period else None
                out["filtered"] = _seen(issue) | {"stats": stats}
    return out | _expanded(state, issue, expand)


def _detail_extra(state: SimState, issue: SimIssue, expand: Collection[str]) -> dict[str, Any]:
    from sxtriage.sim.responses_org import note_json, release_json

    first = next((r for r in state.releases if r.version == issue.first_release), None)
    last = issue.events[-1].release if issue.events else None
    last_release = next((r for r in state.releases if r.version == last), None)
    now = state.now
    out: dict[str, Any] = {
        "firstRelease": release_json(state, first) if first else None,
        "lastRelease": release_json(state, last_release) if last_release else None,
        "tags": [],
        "activity": [note_json(state, n) for n in reversed(state.notes.get(issue.id, []))],
        "seenBy": [],
        "pluginActions": [],
        "pluginIssues": [],
        "pluginContexts": [],
        "userReportCount": 0,
        "stats": {
            "24h": series(issue, now - 86400, now, 3600),
            "30d": series(issue, now - 30 * 86400, now, 86400),
        },
        "count": str(issue.count),
        "participants": [],
    }
    if "forecast" in expand:
        out["forecast"] = {"data": [issue.escalation_threshold] * 14, "date_added": iso(now)}
    expand = [e for e in expand if e not in ("sessions", "pluginActions", "pluginIssues")]
    return out | _expanded(state, issue, expand)
