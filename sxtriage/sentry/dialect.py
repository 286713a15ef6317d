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
