"""Sentry's HTTP conventions: `Link` cursors, `X-Sentry-Rate-Limit-*` headers, error bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

T = TypeVar("T")

_LINK_PART = re.compile(r'<([^>]*)>((?:\s*;\s*[a-zA-Z_]+="[^"]*")*)')
_LINK_PARAM = re.compile(r'([a-zA-Z_]+)="([^"]*)"')


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass
class RateLimitState:
    """The last `X-Sentry-Rate-Limit-*` headers seen (None: never sent)."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    """Epoch seconds when the window resets."""
    concurrent_limit: int | None = None
    concurrent_remaining: int | None = None
    throttled: int = 0
    """How many 429 answers this client has received."""

    def update(self, headers: httpx.Headers) -> None:
        def num(name: str) -> float | None:
            raw = headers.get(f"X-Sentry-Rate-Limit-{name}")
            try:
                return float(raw) if raw is not None else None
            except ValueError:
                return None

        if (v := num("Limit")) is not None:
            self.limit = int(v)
        if (v := num("Remaining")) is not None:
            self.remaining = int(v)
        if (v := num("Reset")) is not None:
            self.reset = v
        if (v := num("ConcurrentLimit")) is not None:
            self.concurrent_limit = int(v)
        if (v := num("ConcurrentRemaining")) is not None:
            self.concurrent_remaining = int(v)

    def wait_needed(self, now: float) -> float:
        """Seconds to wait before the next request so the limit is never exceeded."""
        if self.remaining is not None and self.remaining <= 0 and self.reset is not None:
            return max(0.0, min(self.reset - now, 60.0))
        return 0.0


def parse_link_next(header: str | None) -> str | None:
    """The `cursor` of `rel="next"` when its `results="true"`, else None."""
    if not header:
        return None
    for _url, params in _LINK_PART.findall(header):
        attrs = dict(_LINK_PARAM.findall(params))
        if attrs.get("rel") == "next" and attrs.get("results") == "true":
            return attrs.get("cursor") or None
    return None


def first_reason(body: object, depth: int = 0) -> str | None:
    """The first human reason in an error body, whatever its shape.

    Sentry (DRF) answers `{"detail": "…"}`, `{"field": ["…"]}` or `["…"]`; django-ninja
    servers (GlitchTip) `{"detail": [{"loc": [...], "msg": "…"}]}`.
    """
    if depth > 4:
        return None
    if isinstance(body, str):
        return body.strip() or None
    if isinstance(body, list):
        for item in body:
            if (reason := first_reason(item, depth + 1)) is not None:
                return reason
        return None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("msg"), str):
        loc = body.get("loc")
        where = ".".join(str(p) for p in loc if p not in ("query", "body")) if loc else ""
        return f"{where}: {body['msg']}" if where else body["msg"]
    for key in ("detail", "message", "error"):
        if key in body and (reason := first_reason(body[key], depth + 1)) is not None:
            return reason
    for key, value in body.items():
        if (reason := first_reason(value, depth + 1)) is not None:
            return reason if key in ("non_field_errors", "__all__") else f"{key}: {reason}"
    return None


def error_detail(resp: httpx.Response) -> str | None:
    try:
        body = resp.json()
    except (ValueError, UnicodeDecodeError):
        return None
    reason = first_reason(body)
    return reason[:200] if reason else None


def retry_after(resp: httpx.Response) -> float:
    raw = resp.headers.get("Retry-After", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 1.0
