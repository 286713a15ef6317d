"""The ingest endpoints: SDK envelopes and legacy events (DSN auth), and Spotlight's POST.

Cheap refusals come first (auth, unknown project: nothing is read); then admission
(`admission.py`): past its capacity the relay answers 429 with `Retry-After` and
`X-Sentry-Rate-Limits` before it reads the body; an admitted request holds its ticket
until it is answered, and its 2xx still means "committed to SQLite".
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sxtriage.config import Settings
from sxtriage.relay.admission import Admission, Refusal, Ticket
from sxtriage.relay.envelope import Envelope, EnvelopeError, envelope_from_store, parse_envelope
from sxtriage.relay.forward import Forwarder
from sxtriage.relay.ingest import IngestError, Pipeline
from sxtriage.relay.limits import BodyError, LimitError, Limits, decode_store_body, decompress

_REFUSED = (LimitError, EnvelopeError, BodyError, IngestError)
"""What an ingest request can be refused with; each carries its one-line reason."""

_JSON = "application/json"


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    """Sentry-style JSON error: {"detail": "..."} plus the X-Sentry-Error header."""
    line = detail.splitlines()[0] if detail else "error"
    return web.json_response(
        {"detail": line}, status=status, headers={"X-Sentry-Error": line, **(headers or {})}
    )


def limited(refusal: Refusal) -> web.Response:
    """The 429, as cheap as an answer gets: past its capacity most answers are these, on
    the loop that also feeds the pipeline (no JSON encoder, no logging)."""
    reason = refusal.reason
    if reason.isascii() and reason.isprintable() and '"' not in reason and "\\" not in reason:
        body = b'{"detail":"' + reason.encode() + b'"}'
    else:
        body = json.dumps({"detail": reason}).encode()
    headers = refusal.headers
    headers["X-Sentry-Error"] = reason
    return web.Response(status=429, body=body, content_type=_JSON, headers=headers)


@dataclass
class RelayStats:
    started: float = field(default_factory=time.time)
    accepted: int = 0
    rejected: int = 0
    """Refused for any reason, 429s included."""
    limited: int = 0
    """Answered 429 (backlog over budget)."""

    def as_dict(self, *, events: int, subscribers: int, delivered: int) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "limited": self.limited,
            "events": events,
            "subscribers": subscribers,
            "delivered": delivered,
            "uptime": round(time.time() - self.started, 3),
        }


def _auth_key(request: web.Request) -> str | None:
    for header in ("X-Sentry-Auth", "Authorization"):
        raw = request.headers.get(header, "")
        if raw.lower().startswith("sentry "):
            for part in raw[7:].split(","):
                key, _, value = part.strip().partition("=")
                if key.strip() == "sentry_key" and value.strip():
                    return value.strip()
    return request.query.get("sentry_key") or None


class IngestHandlers:
    def __init__(
        self,
        settings: Settings,
        limits: Limits,
        pipeline: Pipeline,
        admission: Admission,
        stats: RelayStats,
        forwarder: Forwarder | None,
    ) -> None:
        self.settings = settings
        self.limits = limits
        self.pipeline = pipeline
        self.admission = admission
        self.stats = stats
        self.forwarder = forwarder

    # --- routes ---------------------------------------------------------------------
    async def envelope(self, request: web.Request) -> web.Response:
        return await self._dsn_ingest(request, store=False)

    async def store(self, request: web.Request) -> web.Response:
        return await self._dsn_ingest(request, store=True)

    async def stream_post(self, request: web.Request) -> web.Response:
        """Spotlight's ingest: no auth; the service comes from the envelope's `dsn`."""

        async def ingest(ticket: Ticket) -> web.Response:
            return await self._spotlight(request, ticket)

        return await self._admitted(request, ingest)

    # --- the steps ------------------------------------------------------------------
    async def _dsn_ingest(self, request: web.Request, *, store: bool) -> web.Response:
        denied = self._check_key(request)
        if denied is not None:
            self.stats.rejected += 1
            return denied
        mapped = self._service(request.match_info["project_id"])
        if isinstance(mapped, web.Response):
            self.stats.rejected += 1
            return mapped
        project_id, service = mapped

        async def ingest(ticket: Ticket) -> web.Response:
            return await self._ingest(request, ticket, service, project_id, store=store)

        return await self._admitted(request, ingest)

    async def _admitted(
        self, request: web.Request, handle: Callable[[Ticket], Awaitable[web.Response]]
    ) -> web.Response:
        """Run `handle` holding a backlog ticket, or answer 429 at once."""
        ticket = self.admission.enter(request.content_length or 0)
        if isinstance(ticket, Refusal):
            self.stats.rejected += 1
            self.stats.limited += 1
            return limited(ticket)
        try:
            return await handle(ticket)
        finally:
            self.admission.leave(ticket)

    async def _ingest(
        self,
        request: web.Request,
        ticket: Ticket,
        service: str,
        project_id: int | None,
        *,
        store: bool,
    ) -> web.Response:
        try:
            raw = await self._read_raw(request)
            encoding = request.headers.get("Content-Encoding")
            body = decompress(raw, encoding, self.limits.max_decompressed_bytes)
            if store:
                body = decode_store_body(body, self.limits.max_decompressed_bytes)
            env = envelope_from_store(body) if store else parse_envelope(body, self.limits)
            if store and len(body) > self.limits.max_event_bytes:
                raise LimitError(
                    f"event of {len(body)} bytes exceeds the "
                    f"{self.limits.max_event_bytes}-byte limit"
                )
            self.admission.resize(ticket, Pipeline.units(env), len(body))
            event_id = await self.pipeline.submit(env, service, project_id)
        except _REFUSED as exc:
            return self._refused(exc)
        if self.forwarder is not None and not store:
            self.forwarder.submit(service, raw, encoding)
        return self._accepted(event_id)

    async def _spotlight(self, request: web.Request, ticket: Ticket) -> web.Response:
        try:
            body = decompress(
                await self._read_raw(request),
                request.headers.get("Content-Encoding"),
                self.limits.max_decompressed_bytes,
            )
            env = parse_envelope(body, self.limits)
            self.admission.resize(ticket, Pipeline.units(env), len(body))
            project_id, service = self._service_from_dsn(env)
            event_id = await self.pipeline.submit(env, service, project_id)
        except _REFUSED as exc:
            return self._refused(exc)
        return self._accepted(event_id)

    # --- helpers --------------------------------------------------------------------
    def _check_key(self, request: web.Request) -> web.Response | None:
        key = _auth_key(request)
        if key is None:
            return error(401, "missing authorization: send X-Sentry-Auth or ?sentry_key=")
        if self.settings.relay_keys and key not in self.settings.relay_keys:
            return error(403, "unknown sentry_key: use a DSN key listed in [relay] keys")
        return None

    def _service(self, raw: str) -> tuple[int, str] | web.Response:
        try:
            project_id = int(raw)
        except ValueError:
            return error(400, f"project id {raw[:40]!r} is not a number; check the DSN path")
        service = self.settings.service_for_relay_project(project_id)
        if service is None:
            return error(
                403,
                f"unknown project id {project_id}: map it to a service with "
                "relay_project_ids in [services.<name>]",
            )
        return project_id, service

    def _service_from_dsn(self, env: Envelope) -> tuple[int | None, str]:
        dsn = env.headers.get("dsn")
        if isinstance(dsn, str):
            tail = dsn.rstrip("/").rsplit("/", 1)[-1]
            if tail.isdigit():
                service = self.settings.service_for_relay_project(int(tail))
                if service:
                    return int(tail), service
        return None, "unknown"

    async def _read_raw(self, request: web.Request) -> bytes:
        limit = self.limits.max_envelope_bytes
        if request.content_length is not None:
            if request.content_length > limit:
                raise LimitError(
                    f"body of {request.content_length} bytes exceeds the {limit}-byte limit"
                )
            return await request.read()
        chunks = bytearray()
        async for chunk in request.content.iter_any():
            chunks += chunk
            if len(chunks) > limit:
                raise LimitError(f"body exceeds the {limit}-byte limit")
        return bytes(chunks)

    def _refused(self, exc: Exception) -> web.Response:
        """One line naming the problem: 413 for a limit, 400 for a bad body, or the
        pipeline's own status (503 while it cannot take work)."""
        self.stats.rejected += 1
        return error(getattr(exc, "status", 400), str(exc))

    def _accepted(self, event_id: str | None) -> web.Response:
        self.stats.accepted += 1
        return web.Response(text=json.dumps({"id": event_id or None}), content_type=_JSON)
