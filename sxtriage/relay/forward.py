"""Optional forwarding (off by default): send each accepted envelope on to a real
Sentry / Relay DSN per service, so one SDK config serves local triage and the team's
Sentry.  Best effort: a bounded queue, one sender task, failures counted, never blocking
ingest; envelopes are forwarded as received (the upstream scrubs with its own rules)."""

from __future__ import annotations

import asyncio
import contextlib
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


class Forwarder:
    def __init__(self, dsns: Mapping[str, str], *, queue_size: int = 1000) -> None:
        self.upstreams = {svc: parse_dsn(svc, dsn) for svc, dsn in dsns.items()}
        self._queue: asyncio.Queue[tuple[Upstream, bytes, str | None]] = asyncio.Queue(queue_size)
        self._task: asyncio.Task[None] | None = None
        self.forwarded = 0
        self.failed = 0
        self.dropped = 0

    def submit(self, service: str, body: bytes, encoding: str | None) -> None:
        upstream = self.upstreams.get(service)
        if upstream is None:
            return
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="relay-forward")
        try:
            self._queue.put_nowait((upstream, body, encoding))
        except asyncio.QueueFull:
            self.dropped += 1

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                upstream, body, encoding = await self._queue.get()
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
