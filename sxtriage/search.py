"""Sentry search syntax: parse a query once, match issues fast.

Supported: `is:unresolved|resolved|ignored|archived|assigned|unassigned|bookmarked|linked`,
Sentry's substatuses `is:new|ongoing|escalating|regressed` (and `is:archived_forever`,
`is:archived_until_escalating`, `is:archived_until_condition_met`), `is:for_review`,
`bookmarks:me` (Sentry's spelling of `is:bookmarked`),
`issue.priority:high` (or `issue.priority:[high,medium]`),
`level:error` (or `level:[error,fatal]`), `service:api`, `project:api`, `assigned:me|none|
#team|email`, `release:x` / `release:latest`, `firstRelease:x` / `firstRelease:latest`,
`environment:prod` (`env:`), `platform:`, `has:tag`, `times_seen:>10` / `events:` /
`users:>5`, any other `key:value` as a tag, `!key:value` / `-key:value` to negate,
`*` wildcards in values, and "free text" (title, culprit, short id).

Sentry keys that only Sentry can evaluate (`age:`, `lastSeen:`, `issue.category:`, …; the
`is:` and key names of src/sentry/api/issue_search.py) match every issue locally and are
listed in `Query.server_only`, so the UI can say that they filter Sentry issues only.
"""

from __future__ import annotations

import fnmatch
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sxtriage.models import PRIORITIES, Issue, Level, Status

ReleaseResolver = Callable[[str, str], str | None]
"""(value such as "latest", service) → the concrete release, or None when unknown."""

Predicate = Callable[[Issue], bool]


class SearchError(ValueError):
    """A query that cannot be parsed; the message names the problem and the fix."""


@dataclass(frozen=True)
class Term:
    key: str | None
    """None for free text."""
    value: str
    negate: bool = False


SUBSTATUSES = ("new", "ongoing", "escalating", "regressed")
"""Sentry's substatuses of an unresolved issue (src/sentry/types/group.py)."""
ARCHIVE_SUBSTATUSES = (
    "archived_until_escalating",
    "archived_until_condition_met",
    "archived_forever",
)
_IS_VALUES = (
    "unresolved",
    "resolved",
    "ignored",
    "archived",
    *SUBSTATUSES,
    *ARCHIVE_SUBSTATUSES,
    "for_review",
    "assigned",
    "unassigned",
    "bookmarked",
    "linked",
    "unlinked",
)
_SERVER_IS = {"reprocessing", "muted", "unassigned_or_suggested"}
"""`is:` values Sentry knows that an issue here cannot answer."""
_SERVER_KEYS = {
    "age",
    "firstseen",
    "first_seen",
    "lastseen",
    "last_seen",
    "date",
    "timestamp",
    "event.timestamp",
    "issue.category",
    "issue.type",
    "issue.seer_actionability",
    "error.handled",
    "error.unhandled",
    "error.type",
    "error.value",
    "error.mechanism",
    "message",
    "subscribed",
    "assigned_or_suggested",
    "detector",
    "regressed_in_release",
    "release.stage",
    "release.package",
    "release.build",
    "release.version",
    "stack.filename",
    "stack.function",
    "stack.module",
    "device.family",
    "os.name",
    "user.email",
    "user.id",
    "user.username",
}
"""Issue-search keys Sentry evaluates on its side (events, history) that a local issue
cannot answer."""
_KEY_ALIASES = {
    "env": "environment",
    "first_release": "firstRelease",
    "firstrelease": "firstRelease",
    "timesseen": "times_seen",
    "events": "times_seen",
    "count": "times_seen",
    "users": "user_count",
    "assigned_to": "assigned",
    "priority": "issue.priority",
}
_NUMERIC = {"times_seen", "user_count"}
_TOKEN = re.compile(r'\s*(?:([!-]?)([A-Za-z_][\w.-]*):)?("(?:[^"\\]|\\.)*"?|\S+)?')


def parse(text: str) -> list[Term]:
    """Split a query into terms.  Raises SearchError with a one-line message."""
    terms: list[Term] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:  # pragma: no cover - the pattern always advances
            raise SearchError(f"cannot read the query near {text[pos : pos + 20]!r}")
        pos = m.end()
        neg, key, raw = m.group(1), m.group(2), m.group(3)
        if key is None and raw is None:
            continue
        if raw is None:
            raise SearchError(f"{key}: needs a value, e.g. {key}:something")
        if raw.startswith('"'):
            if len(raw) < 2 or not raw.endswith('"') or raw.endswith('\\"'):
                raise SearchError('unterminated quote; close the "free text" with another "')
            value = raw[1:-1].replace('\\"', '"')
        else:
            value = raw
        if key is None:
            negate = False
            if value.startswith("!") and len(value) > 1 and not raw.startswith('"'):
                negate, value = True, value[1:]
            if value:
                terms.append(Term(None, value, negate))
            continue
        key = _KEY_ALIASES.get(key.lower(), key if key == "firstRelease" else key.lower())
        if not value:
            raise SearchError(f"{key}: needs a value, e.g. {key}:something")
        terms.append(Term(key, value, bool(neg)))
    return terms


def _values(value: str) -> list[str]:
    if value.startswith("[") and value.endswith("]"):
        items = [v.strip().strip('"') for v in value[1:-1].split(",")]
        items = [v for v in items if v]
        if not items:
            raise SearchError(f"empty list {value}; write e.g. level:[error,fatal]")
        return items
    return [value]


def _text_matcher(values: list[str]) -> Callable[[str | None], bool]:
    """Case-insensitive equality, with `*` wildcards."""
    exact = {v.lower() for v in values if "*" not in v}
    globs = [re.compile(fnmatch.translate(v.lower())) for v in values if "*" in v]
    if not globs:

        def equal(candidate: str | None) -> bool:
            return candidate is not None and candidate.lower() in exact

        return equal

    def match(candidate: str | None) -> bool:
        if candidate is None:
            return False
        low = candidate.lower()
        return low in exact or any(g.match(low) for g in globs)

    return match


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "=": operator.eq,
}


def _numeric(key: str, value: str) -> Predicate:
    m = re.fullmatch(r"(>=|<=|>|<|=)?(\d+)", value)
    if m is None:
        raise SearchError(f"{key}:{value} needs a number, e.g. {key}:>10")
    op, n = m.group(1) or "=", int(m.group(2))
    attr = "count" if key == "times_seen" else "user_count"
    check = _COMPARE[op]
    return lambda issue: check(getattr(issue, attr), n)


def haystack(issue: Issue) -> str:
    """What free text is searched in: title, culprit, short id (lower-cased)."""
    return f"{issue.title}\n{issue.culprit}\n{issue.short_id}".lower()


class Matcher(Protocol):
    def __call__(self, issue: Issue, hay: str | None = None) -> bool: ...


@dataclass
class Query:
    """A compiled query; `matches(issue)` is cheap enough for 10,000 issues per keystroke."""

    text: str = ""
    terms: list[Term] = field(default_factory=list)
    predicates: list[Predicate] = field(default_factory=list)
    needles: list[tuple[str, bool]] = field(default_factory=list)
    """Free-text terms (lower-cased) and whether each is negated."""
    server_only: list[str] = field(default_factory=list)
    """Terms only Sentry can evaluate ("age:-24h"): they match every issue here."""
    matches: Matcher = field(init=False, repr=False, compare=False)
    """`matches(issue, hay=None)`: the issue passes every term (`hay`: its `haystack`, when
    the caller keeps them).  Made for the terms at creation: one call per issue, no
    generator, the common one-term queries a single test."""

    def __post_init__(self) -> None:
        self.matches = _matcher(tuple(self.needles), tuple(self.predicates))

    @property
    def empty(self) -> bool:
        return not self.predicates and not self.needles


def _matcher(needles: tuple[tuple[str, bool], ...], preds: tuple[Predicate, ...]) -> Matcher:
    if not needles and not preds:

        def everything(issue: Issue, hay: str | None = None) -> bool:
            return True

        return everything
    if not preds and len(needles) == 1 and not needles[0][1]:
        needle = needles[0][0]

        def text(issue: Issue, hay: str | None = None) -> bool:
            return needle in (haystack(issue) if hay is None else hay)

        return text
    if not needles and len(preds) == 1:
        pred = preds[0]

        def one(issue: Issue, hay: str | None = None) -> bool:
            return pred(issue)

        return one

    def every(issue: Issue, hay: str | None = None) -> bool:
        if needles:
            if hay is None:
                hay = haystack(issue)
            for needle, negate in needles:
                if (needle in hay) == negate:
                    return False
        for pred in preds:  # noqa: SIM110 - a loop, not a generator per issue
            if not pred(issue):
                return False
        return True

    return every


def compile_query(
    text: str, *, me: str | None = None, resolver: ReleaseResolver | None = None
) -> Query:
    """Parse and compile `text`.  Raises SearchError naming the bad term."""
    terms = parse(text)
    preds: list[Predicate] = []
    needles: list[tuple[str, bool]] = []
    server_only: list[str] = []
    for term in terms:
        if term.key is None:
            needles.append((term.value.lower(), term.negate))
            continue
        if _server_only(term):
            server_only.append(f"{'!' if term.negate else ''}{term.key}:{term.value}")
            continue
        pred = _compile_term(term, me=me, resolver=resolver)
        if term.negate:
            preds.append(lambda issue, _p=pred: not _p(issue))
        else:
            preds.append(pred)
    return Query(text=text, terms=terms, predicates=preds, needles=needles, server_only=server_only)


def _server_only(term: Term) -> bool:
    key = (term.key or "").lower()
    if key == "is":
        return term.value.lower() in _SERVER_IS
    return key in _SERVER_KEYS


def _compile_term(term: Term, *, me: str | None, resolver: ReleaseResolver | None) -> Predicate:
    key, value = term.key, term.value
    if key is None:
        needle = value.lower()
        return lambda issue: (
            needle in issue.title.lower()
            or needle in issue.culprit.lower()
            or needle in issue.short_id.lower()
        )
    if key == "is":
        return _compile_is(value)
    if key == "issue.priority":
        return _compile_priority(_values(value))
    if key == "bookmarks":  # Sentry's own spelling: bookmarks:me (is:bookmarked is ours)
        if value.lower() != "me":
            raise SearchError(f"bookmarks:{value}: only bookmarks:me can be told here")
        return lambda issue: issue.is_bookmarked
    if key == "level":
        levels = _values(value)
        wanted = set()
        for lv in levels:
            if lv.lower() not in {x.value for x in Level}:
                raise SearchError(f"unknown level {lv!r}; use fatal, error, warning, info or debug")
            wanted.add(Level(lv.lower()))
        return lambda issue: issue.level in wanted
    if key in _NUMERIC:
        return _numeric(key, value)
    if key in ("service", "project", "environment", "platform"):
        match = _text_matcher(_values(value))
        return lambda issue: match(getattr(issue, key))
    if key == "assigned":
        return _compile_assigned(_values(value), me)
    if key in ("release", "firstRelease"):
        return _compile_release(key, _values(value), resolver)
    if key == "has":
        tag = value.lower()
        return lambda issue: bool(issue.tags.get(tag)) or bool(getattr(issue, tag, None))
    match = _text_matcher(_values(value))
    return lambda issue: match(issue.tags.get(key))


def _compile_priority(values: list[str]) -> Predicate:
    wanted = {v.lower() for v in values}
    bad = sorted(wanted - set(PRIORITIES))
    if bad:
        raise SearchError(f"unknown priority {bad[0]!r}; use issue.priority:high, medium or low")
    return lambda issue: (issue.priority or "").lower() in wanted


def _substatus(name: str) -> Predicate:
    status = Status.IGNORED if name.startswith("archived_") else Status.UNRESOLVED
    return lambda i: i.status is status and (i.substatus or "") == name


def _compile_is(value: str) -> Predicate:
    v = value.lower()
    if v == "archived":
        v = "ignored"
    checks: dict[str, Predicate] = {
        "unresolved": lambda i: i.status is Status.UNRESOLVED,
        "resolved": lambda i: i.status is Status.RESOLVED,
        "ignored": lambda i: i.status is Status.IGNORED,
        **{name: _substatus(name) for name in (*SUBSTATUSES, *ARCHIVE_SUBSTATUSES)},
        "for_review": lambda i: i.for_review,
        "assigned": lambda i: i.assignee is not None,
        "unassigned": lambda i: i.assignee is None,
        "bookmarked": lambda i: i.is_bookmarked,
        "linked": lambda i: i.linked_ticket is not None,
        "unlinked": lambda i: i.linked_ticket is None,
    }
    if v not in checks:
        raise SearchError(f"unknown is:{value}; use one of {', '.join(_IS_VALUES)}")
    return checks[v]


def _compile_assigned(values: list[str], me: str | None) -> Predicate:
    wanted: list[str] = []
    want_none = False
    for v in values:
        low = v.lower()
        if low == "me":
            if not me:
                raise SearchError('assigned:me needs your user; set `me = "you@x.com"` in config')
            wanted.append(me.lower())
        elif low in ("none", "nobody"):
            want_none = True
        else:
            wanted.append(low)
    match = _text_matcher(wanted)

    def pred(issue: Issue) -> bool:
        if issue.assignee is None:
            return want_none
        return match(issue.assignee) or match(issue.assignee_id)

    return pred


def _compile_release(key: str, values: list[str], resolver: ReleaseResolver | None) -> Predicate:
    attr = "release" if key == "release" else "first_release"
    dynamic = [v for v in values if v.lower() == "latest"]
    static = _text_matcher([v for v in values if v.lower() != "latest"])
    if dynamic and resolver is None:
        raise SearchError(f"{key}:latest needs release data; it works once events arrive")

    def pred(issue: Issue) -> bool:
        candidate = getattr(issue, attr)
        if static(candidate):
            return True
        if dynamic and resolver is not None and candidate is not None:
            latest = resolver("latest", issue.service)
            return latest is not None and latest == candidate
        return False

    return pred


_LOCAL_KEYS = {"service", "project", "user_count"}
"""Our keys that mean something else (or nothing) in Sentry's issue search: the service
map picks projects (the `project` request parameter), not a search term."""
_LOCAL_IS = {"linked", "unlinked"}
"""Ours: a GitHub ticket linked here; Sentry's `is:linked` means an integration link."""


def sentry_query(text: str) -> str:
    """The part of a filter that Sentry's issue search should evaluate (`query=`), in its
    spelling: `is:bookmarked` → `bookmarks:me` (docs/sentry-endpoints.md: Sentry refuses
    `is:bookmarked`), `env:` → `environment:`; terms only this app knows are left out (they
    still filter locally).  Raises SearchError like `compile_query`."""
    out: list[str] = []
    for term in parse(text):
        neg = "!" if term.negate else ""
        value = term.value
        if term.key is None:
            quoted = f'"{value}"' if any(c.isspace() for c in value) else value
            out.append(f"{neg}{quoted}")
            continue
        key = term.key
        if key in _LOCAL_KEYS or (key == "is" and value.lower() in _LOCAL_IS):
            continue
        if key == "is" and value.lower() == "bookmarked":
            key, value = "bookmarks", "me"
        shown = f'"{value}"' if any(c.isspace() for c in value) else value
        out.append(f"{neg}{key}:{shown}")
    return " ".join(out)
