"""Which Sentry-compatible server `sentry_url` is, and the request shapes it wants.

The only module that knows server names.  `detect` asks the server once (GlitchTip
answers `GET /api/settings/` with its own settings and version; Sentry does not have that
path) and the host (sentry.io or not); an override in config (`[sentry] dialect`) skips
the probe.  The result is a `Wire` — the request shapes — and its `Capabilities`, which
everything outside `sxtriage.sentry` asks.

Request shapes followed:
- Sentry: `src/sentry/issues/endpoints/organization_group_index.py` (list: `project` ids,
  `sort`, `groupStatsPeriod`, `expand`, `group` ids; PUT: `id` ids),
  `src/sentry/api/urls.py` (group endpoints under both `/organizations/{org}/issues/` and
  `/issues/`), `src/sentry/api/serializers/rest_framework/note.py` (`{"text": …}`).
- GlitchTip: `apps/issue_events/api/issues.py` (sort `[-]last_seen|first_seen|count|priority`,
  `id` ids, `lastSeen:` read as a tag), `apps/issue_events/api/events.py` (events only at
  `/issues/{id}/events/…`), `apps/issue_events/api/comments.py` (`{"data": {"text": …}}`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from sxtriage.sentry.capabilities import Capabilities, Dialect, Feature

# Sentry's issue search sort keys (src/sentry/search/snuba/executors.py sort strategies,
# and `inbox`, handled by organization_group_index.py itself); `priority` is no longer one.
SENTRY_SORTS = ("date", "new", "freq", "user", "trends", "inbox", "recommended")

_GLITCHTIP_SORTS = {
    "date": "-last_seen",
    "new": "-first_seen",
    "freq": "-count",
    "priority": "-priority",
    # GlitchTip counts no users per issue: the nearest order it has.
    "user": "-count",
    "trends": "-priority",
    "recommended": "-priority",
    "inbox": "-first_seen",
}

_GLITCHTIP_MISSING: dict[Feature, str] = {
    Feature.INCREMENTAL_LAST_SEEN: (
        "GlitchTip reads lastSeen:> as a tag; new issues are found by paging -last_seen"
    ),
    Feature.ASSIGN: "GlitchTip's API has no issue assignment (its PUT reads only status)",
    Feature.ARCHIVE_CONDITIONS: (
        "GlitchTip ignores statusDetails: an issue can only be archived (ignored) forever"
    ),
    Feature.ARCHIVE_UNTIL_ESCALATING: (
        "GlitchTip has no escalation detection: an issue can only be archived forever"
    ),
    Feature.PRIORITY: "GlitchTip has no issue priority (its PUT reads only status)",
    Feature.RESOLVE_IN_RELEASE: (
        "GlitchTip cannot resolve in a release (it ignores statusDetails); resolve now instead"
    ),
    Feature.INBOX: "GlitchTip has no For Review inbox",
    Feature.BOOKMARKS: "GlitchTip has no bookmarks",
    Feature.ISSUE_VIEWS: "GlitchTip has no saved issue views (use [[views]] in config.toml)",
    Feature.TRACES: "GlitchTip has no trace endpoint",
    Feature.SHORT_ID_LOOKUP: "GlitchTip has no short-id lookup",
}

# Keys of the search syntax that are ours or Sentry's own (not tags): never sent to a
# server that would read them as a tag.
_LOCAL_OR_SENTRY_ONLY = frozenset(
    {
        "service", "project", "assigned", "bookmarks", "issue.priority", "release",
        "firstRelease", "environment", "times_seen", "user_count", "platform", "age",
        "lastseen", "firstseen", "issue.category", "issue.type",
    }
)  # fmt: skip

# Search keys GlitchTip's issue list understands (apps/issue_events/api/issues.py):
# `is:` status, `has:` tag, `level:`, `key:value` tags, and free text at the end.
GLITCHTIP_SEARCH_KEYS = frozenset({"is", "has", "level", "tag", "text"})


@dataclass(frozen=True)
class Wire:
    """How to phrase requests for one server."""

    capabilities: Capabilities = field(default_factory=Capabilities)
    org_scoped_issue_paths: bool = True
    """Sentry serves an issue under /organizations/{org}/issues/{id}/; GlitchTip only GET
    /issues/{id}/ (and events only there)."""
    nested_note_body: bool = False
    """GlitchTip wants {"data": {"text": …}} for a comment; Sentry {"text": …}."""
    list_ids_param: str = "group"
    """The issue-list query parameter that selects issues by id."""
    all_projects_param: str | None = "-1"
    """`project=-1`: every project the token may see (Sentry); GlitchTip has no such value."""
    search_keys: frozenset[str] | None = None
    """Search keys the server's `query=` understands; None: all of Sentry's syntax."""
    put_needs_status: bool = False
    """GlitchTip answers 500 to a PUT without `status`."""

    @property
    def dialect(self) -> Dialect:
        return self.capabilities.dialect

    def sort(self, sort: str) -> str:
        """The server's name for one of Sentry's sort keys."""
        if self.dialect is Dialect.GLITCHTIP:
            return _GLITCHTIP_SORTS.get(sort, "-last_seen")
        return sort if sort in SENTRY_SORTS else "date"

    def server_query(self, query: str) -> str:
        """The part of a Sentry search query this server evaluates (the rest filters locally).

        GlitchTip answers `[]` (no error) to terms it does not know — `is:archived`,
        `assigned:me`, negations — and 500 to an unbalanced quote, so only what it reads
        goes out: `is:` with a status, `level:`, `has:`, `key:value` tags, then free text.
        """
        if self.search_keys is None:
            return query
        from sxtriage.search import SearchError, parse

        try:
            terms = parse(query)
        except SearchError:
            return ""
        keep: list[str] = []
        text: list[str] = []
        for term in terms:
            if term.negate:
                continue
            if term.key is None:
                text.append(term.value.replace('"', ""))
            elif term.key == "is":
                if term.value.lower() in ("resolved", "unresolved", "ignored"):
                    keep.append(f"is:{term.value.lower()}")
            elif term.key == "level" or term.key == "has":
                keep.append(f"{term.key}:{term.value}")
            elif term.key not in _LOCAL_OR_SENTRY_ONLY and not term.value.startswith("["):
                keep.append(f'{term.key}:"{term.value}"' if " " in term.value else
                            f"{term.key}:{term.value}")  # fmt: skip
        # GlitchTip reads free text only at the end of the query.
        return " ".join(keep + text)

    def issue_path(self, org: str, issue_id: str, rest: str = "") -> str:
        if self.org_scoped_issue_paths:
            return f"organizations/{org}/issues/{issue_id}/{rest}"
        return f"issues/{issue_id}/{rest}"

    def note_body(self, text: str) -> dict[str, object]:
        return {"data": {"text": text}} if self.nested_note_body else {"text": text}


def is_saas(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host == "sentry.io" or host.endswith(".sentry.io")


def wire_for(dialect: Dialect, version: str | None = None) -> Wire:
    if dialect is Dialect.GLITCHTIP:
        return Wire(
            capabilities=Capabilities(
                dialect=dialect, version=version, missing=dict(_GLITCHTIP_MISSING)
            ),
            org_scoped_issue_paths=False,
            nested_note_body=True,
            list_ids_param="id",
            all_projects_param=None,
            search_keys=GLITCHTIP_SEARCH_KEYS,
            put_needs_status=True,
        )
    return Wire(capabilities=Capabilities(dialect=dialect, version=version))


def guess(base_url: str) -> Wire:
    """The shapes to use before (or without) probing the server."""
    return wire_for(Dialect.SENTRY_SAAS if is_saas(base_url) else Dialect.SENTRY_SELF_HOSTED)


async def detect(http: httpx.AsyncClient, base_url: str, override: str = "auto") -> Wire:
    """Probe the server once; a failed probe falls back to Sentry's shapes."""
    if override != "auto":
        return wire_for(Dialect(override))
    if is_saas(base_url):
        return wire_for(Dialect.SENTRY_SAAS)
    try:
        resp = await http.get("/api/settings/", headers={"Accept": "application/json"})
        body = resp.json() if resp.status_code == 200 else None
    except (httpx.HTTPError, ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and ("iPaidForGlitchTip" in body or "glitchtipInstanceName" in body):
        version = body.get("version")
        known = isinstance(version, str) and version and "unknown" not in version
        return wire_for(Dialect.GLITCHTIP, version if known else None)
    return wire_for(Dialect.SENTRY_SELF_HOSTED)
