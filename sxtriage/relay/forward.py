"""Optional forwarding (off by default): send each accepted envelope on to a real
Sentry / Relay DSN per service, so one SDK config serves local triage and the team's
Sentry.  Best effort: a queue bounded in envelopes and bytes, one sender task, failures
counted, never blocking ingest; envelopes are forwarded as received (the upstream scrubs
with its own rules).  An upstream 429 is honoured like an SDK does: nothing is sent for
its Retry-After (or the longest X-Sentry-Rate-Limits) seconds; what comes meanwhile is
dropped and counted."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx


class ForwardConfigError(ValueError):
    """A forwarding DSN cannot be used; the message names the service and the fix."""


@dataclass(frozen=True)
class Upstream:
    url: str
    auth: str


def parse_dsn(service: str, dsn: str) -> Upstream:
    parts = urlsplit(dsn)
    project = parts.path.strip("/").rsplit("/", 1)[-1]
    if parts.scheme not in ("http", "https") or not parts.username or not project.isdigit():
        raise ForwardConfigError(
            f"forward DSN for {service!r} must look like https://KEY@HOST/PROJECT_ID"
        )
    prefix = parts.path.strip("/").rsplit("/", 1)[0] if "/" in parts.path.strip("/") else ""
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    base = f"{parts.scheme}://{netloc}" + (f"/{prefix}" if prefix else "")
    return Upstream(
        url=f"{base}/api/{project}/envelope/",
        auth=f"Sentry sentry_version=7, sentry_client=sxtriage-relay, sentry_key={parts.username}",
    )


def retry_after(headers: Mapping[str, str], default: float = 60.0) -> float:
    """Seconds an upstream 429 asks us to wait: the longest X-Sentry-Rate-Limits entry,
    else Retry-After (delay-seconds), else `default` (as sentry-python does)."""
    longest = 0.0
    for limit in headers.get("x-sentry-rate-limits", "").split(","):
        head = limit.strip().split(":", 1)[0]
        if head.isdigit():
            longest = max(longest, float(head))
    if longest:
        return longest
    value = headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else default


class Forwarder:
    def __init__(
        self,
        dsns: Mapping[str, str],
        *,
        queue_size: int = 1000,
        queue_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.upstreams = {svc: parse_dsn(svc, dsn) for svc, dsn in dsns.items()}
        self._queue: asyncio.Queue[tuple[Upstream, bytes, str | None]] = asyncio.Queue(queue_size)
        self._queue_bytes = queue_bytes
        self._queued_bytes = 0
        self._task: asyncio.Task[None] | None = None
        self._paused_until = 0.0
        self.forwarded = 0
        self.failed = 0
        self.dropped = 0
        self.limited = 0
        """Upstream answers 429."""

    def submit(self, service: str, body: bytes, encoding: str | None) -> None:
        upstream = self.upstreams.get(service)
        if upstream is None:
            return
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="relay-forward")
        if time.monotonic() < self._paused_until or (
            self._queued_bytes + len(body) > self._queue_bytes
        ):
            self.dropped += 1
            return
        try:
            self._queue.put_nowait((upstream, body, encoding))
        except asyncio.QueueFull:
            self.dropped += 1
            return
        self._queued_bytes += len(body)

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                upstream, body, encoding = await self._queue.get()
                self._queued_bytes -= len(body)
                if time.monotonic() < self._paused_until:
                    self.dropped += 1
                    continue
                headers = {
                    "X-Sentry-Auth": upstream.auth,
                    "Content-Type": "application/x-sentry-envelope",
                }
                if encoding:
                    headers["Content-Encoding"] = encoding
                try:
                    resp = await client.post(upstream.url, content=body, headers=headers)
                    if resp.status_code // 100 == 2:
                        self.forwarded += 1
                    elif resp.status_code == 429:
                        self.limited += 1
                        self._paused_until = time.monotonic() + retry_after(resp.headers)
                    else:
                        self.failed += 1
                except httpx.HTTPError:
                    self.failed += 1

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
