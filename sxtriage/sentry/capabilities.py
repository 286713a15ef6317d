"""What a Sentry-compatible server can do, as the rest of the code asks it.

One place (`sxtriage.sentry.dialect`) decides which server `sentry_url` is (sentry.io,
self-hosted Sentry, GlitchTip) and builds its `Capabilities`; everything else asks a
capability and never the server's name.  A capability the server lacks carries the
one-line reason shown on its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Dialect(StrEnum):
    SENTRY_SAAS = "sentry"
    SENTRY_SELF_HOSTED = "self-hosted"
    GLITCHTIP = "glitchtip"


class Feature(StrEnum):
    """A server feature the UI or the poller may depend on."""

    SERVER_SEARCH = "server_search"
    """The issue list's `query=` understands Sentry's search syntax (the whole org)."""
    INCREMENTAL_LAST_SEEN = "incremental_last_seen"
    """`lastSeen:>T` in the issue list query (else: page by `-last_seen` to the watermark)."""
    ASSIGN = "assign"
    ARCHIVE_CONDITIONS = "archive_conditions"
    """Archive until N more events / users / for a duration (`statusDetails`)."""
    ARCHIVE_UNTIL_ESCALATING = "archive_until_escalating"
    PRIORITY = "priority"
    RESOLVE_IN_RELEASE = "resolve_in_release"
    """Resolve in the next release / in a chosen release."""
    NOTES = "notes"
    INBOX = "inbox"
    """For review / mark reviewed."""
    BOOKMARKS = "bookmarks"
    ISSUE_VIEWS = "issue_views"
    """The org's saved issue views."""
    RELEASES = "releases"
    TRACES = "traces"
    EVENT_ID_LOOKUP = "event_id_lookup"
    SHORT_ID_LOOKUP = "short_id_lookup"


@dataclass(frozen=True)
class Capabilities:
    """Features the server has; `missing` maps each absent one to the reason why."""

    dialect: Dialect = Dialect.SENTRY_SAAS
    version: str | None = None
    missing: dict[Feature, str] = field(default_factory=dict)

    def has(self, feature: Feature) -> bool:
        return feature not in self.missing

    def reason(self, feature: Feature) -> str | None:
        """Why `feature` is unavailable (one line), or None when the server has it."""
        return self.missing.get(feature)

    @property
    def label(self) -> str:
        names = {
            Dialect.SENTRY_SAAS: "sentry.io",
            Dialect.SENTRY_SELF_HOSTED: "self-hosted Sentry",
            Dialect.GLITCHTIP: "GlitchTip",
        }
        base = names[self.dialect]
        return f"{base} {self.version}" if self.version else base


ALL_FEATURES: tuple[Feature, ...] = tuple(Feature)
FULL = Capabilities()
"""Sentry (SaaS or a current self-hosted release): everything sxtriage uses."""

__all__ = ["ALL_FEATURES", "FULL", "Capabilities", "Dialect", "Feature"]
