"""Typed errors of the Sentry web API client.

Every error carries the HTTP status (when there was one) and a one-line message that
names the problem and what to do about it; the UI shows `str(error)` as is.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def one_line(text: str, limit: int = 300) -> str:
    """Server-provided text made safe for a one-line message: no control characters."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class SentryError(Exception):
    """Base of every error the Sentry client raises."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None):
        super().__init__(one_line(message, 500))
        if status is not None:
            self.status = status
        self.detail = detail

    @property
    def message(self) -> str:
        return str(self)


class AuthError(SentryError):
    """401: the token is missing, wrong, expired or revoked."""

    status = 401


class PermissionDenied(SentryError):
    """403: the token works but lacks a scope or access to this org/project."""

    status = 403


class NotFound(SentryError):
    """404: unknown org, project, issue or event."""

    status = 404


class Conflict(SentryError):
    """409: the change conflicts with the current state (e.g. a merge in progress)."""

    status = 409


class RateLimited(SentryError):
    """429: over the rate limit; `retry_after` seconds until the next attempt."""

    status = 429

    def __init__(self, message: str, *, retry_after: float = 1.0, detail: str | None = None):
        super().__init__(message, status=429, detail=detail)
        self.retry_after = retry_after


class ServerError(SentryError):
    """5xx after every retry."""


class SentryTimeout(SentryError):
    """No answer within the timeout, after every retry."""


class SentryUnavailable(SentryError):
    """Connection refused, DNS failure, TLS failure: the server cannot be reached."""


class BadResponse(SentryError):
    """The answer is not the JSON shape the API documents."""


class Unsupported(SentryError):
    """The server lacks the feature this request needs; the message says which and why."""


class UnknownProject(SentryError):
    """A project slug in the service map that the org does not have."""


def error_for_status(
    status: int,
    *,
    url: str,
    detail: str | None,
    retry_after: float | None = None,
    saas: bool = True,
) -> SentryError:
    """Map an HTTP error answer to its typed error, with an actionable message."""
    what = f" ({detail})" if detail else ""
    if status == 401:
        return AuthError(
            f"Sentry rejected the auth token{what}; create a new token at Settings → Auth "
            "Tokens and run `sxtriage login`",
            detail=detail,
        )
    if status == 403:
        return PermissionDenied(
            f"the Sentry token may not access {url}{what}; give the token the event:write "
            "and org:read scopes, or check you are a member of the org/team",
            detail=detail,
        )
    if status == 404:
        return NotFound(
            f"not found: {url}{what}; check the org slug, project slugs and issue id "
            "(`sxtriage config show`)",
            detail=detail,
        )
    if status == 409:
        return Conflict(f"conflict at {url}{what}; reload the issue and try again", detail=detail)
    if status == 429:
        wait = retry_after if retry_after is not None else 1.0
        return RateLimited(
            f"rate limited by Sentry{what}; retrying in {wait:.0f}s (lower the poll rate "
            "if this persists)",
            retry_after=wait,
            detail=detail,
        )
    if status >= 500:
        where = "check status.sentry.io" if saas else "check the server's logs"
        return ServerError(
            f"Sentry answered {status} for {url}{what}; it is likely a transient outage, "
            f"retry later or {where}",
            status=status,
            detail=detail,
        )
    return SentryError(
        f"Sentry answered {status} for {url}{what}; check the request parameters",
        status=status,
        detail=detail,
    )
