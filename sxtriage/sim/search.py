"""The subset of Sentry's issue search syntax the simulator understands.

`is:unresolved level:error assigned:me release:x environment:prod lastSeen:>-1h
lastSeen:>2026-11-24T05:00:00+00:00 timesSeen:>10 "free text" !tag:value`.
Values may be quoted or lists (`level:[error,fatal]`).  Unknown keys match the issue's
tags.  A malformed term raises `SearchError` (the API answers 400).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime

from sxtriage.sim.dataset import SimIssue, SimState
from sxtriage.sim.lifecycle import in_inbox

Pred = Callable[[SimIssue], bool]

_TOKEN = re.compile(
    r'(!?)([A-Za-z_][\w.]*):("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S*)|"((?:[^"\\]|\\.)*)"|(\S+)'
)
_REL = re.compile(r"^([+-]?)(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class SearchError(ValueError):
    pass


def _unquote(v: str) -> str:
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        return v[1:-1].replace('\\"', '"')
    return v


def _values(v: str) -> list[str]:
    if v.startswith("[") and v.endswith("]"):
        return [_unquote(x.strip()) for x in v[1:-1].split(",") if x.strip()]
    return [_unquote(v)]


def parse_time(value: str, now: float) -> float:
    m = _REL.match(value)
    if m:
        delta = int(m.group(2)) * _UNITS[m.group(3)]
        return now - delta if m.group(1) in ("-", "") else now + delta
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(f"invalid date {value!r}; use 2026-11-24T05:00:00+00:00 or -1h") from None
    if dt.tzinfo is None:
        from datetime import UTC

        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _compare(raw: str) -> tuple[str, str]:
    for op in (">=", "<=", ">", "<"):
        if raw.startswith(op):
            return op, raw[len(op) :]
    return "=", raw


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
}


def _assigned(state: SimState, value: str, me: int | None) -> Pred:
    v = value.lower()
    if v in ("none", "nobody"):
        return lambda i: i.assigned is None
    if v == "me":
        actor = f"user:{me}"
        return lambda i: i.assigned == actor
    if v.startswith("#"):
        team = state.team_by_slug(v[1:])
        actor = f"team:{team.id}" if team else "team:?"
        return lambda i: i.assigned == actor
    if v.startswith(("user:", "team:")):
        return lambda i: i.assigned == v
    member = next(
        (m for m in state.members.values() if v in (m.email.lower(), m.username.lower())), None
    )
    actor = f"user:{member.id}" if member else "user:?"
    return lambda i: i.assigned == actor


_STATUS = {"resolved": "resolved", "unresolved": "unresolved", "ignored": "ignored"}
_STATUS |= {"archived": "ignored", "muted": "ignored", "reprocessing": "reprocessing"}
_SUBSTATUS = ("new", "ongoing", "escalating", "regressed", "archived_until_escalating")
_SUBSTATUS += ("archived_until_condition_met", "archived_forever")
IS_VALUES = sorted(
    {"assigned", "unassigned", "for_review", "linked", "unlinked", *_STATUS, *_SUBSTATUS}
)
"""`src/sentry/api/issue_search.py` `is_filter_translation`: the statuses of
`STATUS_QUERY_CHOICES` (`src/sentry/models/group.py`), the substatuses of
`SUBSTATUS_UPDATE_CHOICES` (`src/sentry/types/group.py`) and five flags."""


def _is(value: str, now: float) -> Pred:
    v = value
    if v not in IS_VALUES:
        raise SearchError(f'Invalid value for "is" search, valid values are {IS_VALUES}')
    if v in _STATUS:
        status = _STATUS[v]
        return lambda i: i.status == status
    if v in _SUBSTATUS:
        return lambda i: i.substatus == v
    if v == "for_review":
        return lambda i: i.status == "unresolved" and in_inbox(i, now)
    table: dict[str, Pred] = {
        "assigned": lambda i: i.assigned is not None,
        "unassigned": lambda i: i.assigned is None,
        "linked": lambda i: False,
        "unlinked": lambda i: True,
    }
    return table[v]


def _term(state: SimState, key: str, raw: str, me: int | None, now: float) -> Pred:
    key_l = key.lower()
    if key_l in ("lastseen", "firstseen", "timesseen"):
        op, value = _compare(raw)
        if key_l == "timesseen":
            try:
                n = float(value)
            except ValueError:
                raise SearchError(f"timesSeen needs a number, got {value!r}") from None
            return lambda i: _OPS[op](i.count, n)
        t = round(parse_time(value, now) * 1e6)  # compare at the API's µs precision
        if op == "=":
            op = ">="  # a bare date means "since"
        if key_l == "lastseen":
            return lambda i: _OPS[op](round(i.last_seen * 1e6), t)
        return lambda i: _OPS[op](round(i.first_seen * 1e6), t)
    values = _values(raw)
    if not values:
        raise SearchError(f"empty value for {key}:; write {key}:VALUE")
    preds: list[Pred]
    if key_l == "is":
        if raw.startswith("["):
            raise SearchError('"in" syntax invalid for "is" search')
        preds = [_is(v, now) for v in values]
    elif key_l == "issue.priority":
        wanted_p = {v.lower() for v in values}
        bad = wanted_p - {"high", "medium", "low"}
        if bad:
            raise SearchError(f"Invalid priority value: {sorted(bad)[0]}")
        preds = [lambda i: i.priority in wanted_p]
    elif key_l in ("assigned", "assigned_to"):
        preds = [_assigned(state, v, me) for v in values]
    elif key_l == "bookmarks":
        preds = [lambda i: i.bookmarked]
    elif key_l == "has":
        preds = [lambda i: any(i.template.tags.get(v) or _builtin_tag(i, v) for v in values)]
    elif key_l == "level":
        lv = {v.lower() for v in values}
        preds = [lambda i: i.level in lv]
    elif key_l in ("release", "release.version"):
        rel = set(values)
        preds = [lambda i: i.project.release in rel or i.first_release in rel]
    elif key_l == "firstrelease":
        rel = set(values)
        preds = [lambda i: i.first_release in rel]
    elif key_l in ("environment", "env"):
        env = set(values)
        preds = [lambda i: i.environment in env]
    elif key_l in ("project", "service"):
        slugs = set(values)
        preds = [lambda i: i.project.slug in slugs]
    elif key_l in ("issue.id", "id"):
        ids = {int(v) for v in values if v.isdigit()}
        preds = [lambda i: i.id in ids]
    elif key_l in ("error.type", "error.value", "message", "title"):
        needles = [v.lower() for v in values]
        preds = [lambda i: any(n in i.title.lower() for n in needles)]
    else:
        wanted = set(values)
        preds = [lambda i: i.template.tags.get(key) in wanted or _builtin_tag(i, key) in wanted]
    if len(preds) == 1:
        return preds[0]
    return lambda i: any(p(i) for p in preds)


def _builtin_tag(issue: SimIssue, key: str) -> str | None:
    return {"transaction": issue.template.transaction, "platform": issue.project.platform}.get(key)


_NOT_EVENT_KEYS = {"is", "assigned", "assigned_to", "bookmarks", "issue.priority", "issue.id"}
_NOT_EVENT_KEYS |= {"id", "project", "service", "lastseen", "firstseen", "timesseen"}
_NOT_EVENT_KEYS |= {"firstrelease"}


def has_event_conditions(query: str) -> bool:
    """Does the query filter on event data (tags, level, release, …)?  Then Sentry's
    stream serializer answers `filtered` (`GroupSerializerSnuba.skip_snuba_fields`)."""
    for m in _TOKEN.finditer(query or ""):
        key = m.group(2)
        if key is not None and key.lower() not in _NOT_EVENT_KEYS:
            return True
    return False


def compile_query(
    state: SimState, query: str, *, me: int | None = 1, now: float | None = None
) -> Pred:
    """Turn a search string into one predicate over issues."""
    now = now or time.time()
    preds: list[Pred] = []
    texts: list[str] = []
    for m in _TOKEN.finditer(query or ""):
        neg, key, raw, quoted, bare = m.groups()
        if key is not None:
            pred = _term(state, key, raw, me, now)
            preds.append((lambda p: lambda i: not p(i))(pred) if neg else pred)
        elif quoted is not None:
            texts.append(quoted.lower())
        elif bare:
            texts.append(bare.lower())
    if texts:
        text = " ".join(texts)
        preds.append(
            lambda i: (
                text in i.title.lower()
                or text in i.template.culprit.lower()
                or text == i.short_id.lower()
            )
        )
    if not preds:
        return lambda i: True
    if len(preds) == 1:
        return preds[0]
    return lambda i: all(p(i) for p in preds)
