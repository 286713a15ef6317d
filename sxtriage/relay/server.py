"""The relay: an aiohttp server for SDK ingest, Spotlight's /stream, and local triage.

Routes: `POST /api/<project_id>/envelope/`, `POST /api/<project_id>/store/`,
`POST /stream`, `GET /stream` (SSE), `GET /health`, and the `/local/...` JSON endpoints
read by `RelayClient` (issues, events, traces; `PUT` changes a local issue's status or
assignee).  Embeddable (`RelayServer`: by default on its own event-loop thread, so a
busy UI in the same process never delays ingest) or standalone (`sxtriage relay`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sxtriage.config import ConfigError, LoadedSettings, Settings
from sxtriage.relay import local
from sxtriage.relay.envelope import Envelope, EnvelopeError, envelope_from_store, parse_envelope
from sxtriage.relay.forward import Forwarder
from sxtriage.relay.ingest import IngestError, Pipeline
from sxtriage.relay.limits import (
    BodyError,
    LimitError,
    Limits,
    decode_store_body,
    decompress,
)
from sxtriage.relay.loop_thread import LoopThread
from sxtriage.relay.stream import Broadcaster
from sxtriage.runtime_tuning import tune_runtime
from sxtriage.store import Store, StoreError

_REFUSED = (LimitError, EnvelopeError, BodyError, IngestError)
"""What an ingest request can be refused with; each carries its one-line reason."""

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, OPTIONS",
    "Access-Control-Allow-Headers": (
        "x-sentry-auth, content-type, content-encoding, authorization, sentry-trace, baggage, "
        "last-event-id"
    ),
    "Access-Control-Expose-Headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
    "Access-Control-Max-Age": "3600",
}


def error(status: int, detail: str) -> web.Response:
    """Sentry-style JSON error: {"detail": "..."} plus the X-Sentry-Error header."""
    line = detail.splitlines()[0] if detail else "error"
    return web.json_response({"detail": line}, status=status, headers={"X-Sentry-Error": line})


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class RelayStats:
    started: float = field(default_factory=time.time)
    accepted: int = 0
    rejected: int = 0

    def as_dict(self, *, events: int, subscribers: int, delivered: int) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
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


class RelayServer:
    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        *,
        workers: int = 2,
        forward: Mapping[str, str] | None = None,
        own_thread: bool = True,
        tune_gc: bool = True,
    ) -> None:
        self.settings = settings
        self._thread = LoopThread() if own_thread else None
        """Serve on a private loop (default), so an embedding UI never delays ingest."""
        self._tune_gc = tune_gc
        """Apply `runtime_tuning.tune_runtime()` (once per process) when the relay starts."""
        self._own_store = store is None
        self.store = store if store is not None else Store(settings.db_path)
        self.limits = Limits.from_settings(settings)
        self.stats_ = RelayStats()
        self.broadcaster = Broadcaster(self.store)
        self.pipeline = Pipeline(
            self.store,
            self.broadcaster.publish,
            workers=workers,
            scrub_user_emails=settings.scrub_user_emails,
        )
        forward = settings.relay_forward if forward is None else forward
        self.forwarder = Forwarder(forward) if forward else None
        """Off by default: service → upstream DSN to also send each envelope to."""
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.host = settings.relay_host
        self.port = settings.relay_port

    # --- lifecycle ------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.limits.max_envelope_bytes + 1)
        app.router.add_route("OPTIONS", "/{tail:.*}", self._options)
        app.router.add_post(r"/api/{project_id}/envelope/", self._envelope)
        app.router.add_post(r"/api/{project_id}/envelope", self._envelope)
        app.router.add_post(r"/api/{project_id}/store/", self._store)
        app.router.add_post(r"/api/{project_id}/store", self._store)
        app.router.add_post("/stream", self._stream_post)
        app.router.add_get("/stream", self.broadcaster.handle)
        app.router.add_get("/health", self._health)
        local.add_routes(app, self.store, self.broadcaster)
        app.on_response_prepare.append(self._cors)
        return app

    async def start(self, host: str | None = None, port: int | None = None) -> str:
        """Listen; returns the base URL.  Awaitable from the embedding program's loop."""
        if self._tune_gc:
            tune_runtime()
        if self._thread is None:
            return await self._start(host, port)
        self._thread.start()
        try:
            return await self._thread.run(self._start(host, port))
        except BaseException:
            await self._thread.close()
            raise

    async def stop(self) -> None:
        if self._thread is None or not self._thread.running:
            await self._stop()
            return
        try:
            await self._thread.run(self._stop())
        finally:
            await self._thread.close()

    async def _start(self, host: str | None, port: int | None) -> str:
        host = host if host is not None else self.settings.relay_host
        port = port if port is not None else self.settings.relay_port
        if not is_loopback(host) and not self.settings.relay_keys:
            raise ConfigError(
                f"refusing to bind the relay to {host}: it is not loopback and no relay keys "
                'are configured; set [relay] keys = ["…"] or bind 127.0.0.1'
            )
        await self.pipeline.start()
        self._runner = web.AppRunner(
            self.app(), access_log=None, handle_signals=False, auto_decompress=False
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            await self.pipeline.stop()
            raise
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.host, self.port = host, int(sockets[0].getsockname()[1]) if sockets else port
        self.url = f"http://{self.host}:{self.port}"
        return self.url

    async def _stop(self) -> None:
        self.broadcaster.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.pipeline.stop()
        if self.forwarder is not None:
            await self.forwarder.close()
        if self._thread is not None:
            # The store answers on this loop: let commits already queued by the stopped
            # pipeline finish before the loop goes away (the writer is FIFO).
            with contextlib.suppress(StoreError):
                await self.store.transact(lambda conn: None)
        if self._own_store:
            self.store.close()

    def dsn(self, project_id: int, key: str = "0123456789abcdef0123456789abcdef") -> str:
        return f"http://{key}@{self.host}:{self.port}/{project_id}"

    @property
    def stats(self) -> dict[str, Any]:
        return self.stats_.as_dict(
            events=self.pipeline.events,
            subscribers=self.broadcaster.subscribers,
            delivered=self.broadcaster.delivered,
        )

    # --- handlers -------------------------------------------------------------------
    async def _cors(self, request: web.Request, response: web.StreamResponse) -> None:
        for key, value in CORS.items():
            response.headers.setdefault(key, value)

    async def _options(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

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

    async def _read_raw(self, request: web.Request) -> bytes:
        limit = self.limits.max_envelope_bytes
        if request.content_length is not None and request.content_length > limit:
            raise LimitError(
                f"body of {request.content_length} bytes exceeds the {limit}-byte limit"
            )
        chunks = bytearray()
        async for chunk in request.content.iter_any():
            chunks += chunk
            if len(chunks) > limit:
                raise LimitError(f"body exceeds the {limit}-byte limit")
        return bytes(chunks)

    async def _read_body(self, request: web.Request) -> bytes:
        return decompress(
            await self._read_raw(request),
            request.headers.get("Content-Encoding"),
            self.limits.max_decompressed_bytes,
        )

    async def _ingest(
        self, request: web.Request, service: str, project_id: int | None, *, store: bool
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
            event_id = await self.pipeline.submit(env, service, project_id)
        except _REFUSED as exc:
            return self._refused(exc)
        if self.forwarder is not None and not store:
            self.forwarder.submit(service, raw, encoding)
        return self._accepted(event_id)

    async def _envelope(self, request: web.Request) -> web.Response:
        return await self._dsn_ingest(request, store=False)

    async def _store(self, request: web.Request) -> web.Response:
        return await self._dsn_ingest(request, store=True)

    async def _dsn_ingest(self, request: web.Request, *, store: bool) -> web.Response:
        denied = self._check_key(request)
        if denied is not None:
            self.stats_.rejected += 1
            return denied
        mapped = self._service(request.match_info["project_id"])
        if isinstance(mapped, web.Response):
            self.stats_.rejected += 1
            return mapped
        project_id, service = mapped
        return await self._ingest(request, service, project_id, store=store)

    async def _stream_post(self, request: web.Request) -> web.Response:
        """Spotlight's ingest: no auth; the service comes from the envelope's `dsn`."""
        try:
            env = parse_envelope(await self._read_body(request), self.limits)
            project_id, service = self._service_from_dsn(env)
            event_id = await self.pipeline.submit(env, service, project_id)
        except _REFUSED as exc:
            return self._refused(exc)
        return self._accepted(event_id)

    def _refused(self, exc: Exception) -> web.Response:
        """One line naming the problem: 413 for a limit, 400 for a bad body, or the
        pipeline's own status (503 while it cannot take work)."""
        self.stats_.rejected += 1
        return error(getattr(exc, "status", 400), str(exc))

    def _accepted(self, event_id: str | None) -> web.Response:
        self.stats_.accepted += 1
        return web.json_response({"id": event_id or None})

    def _service_from_dsn(self, env: Envelope) -> tuple[int | None, str]:
        dsn = env.headers.get("dsn")
        if isinstance(dsn, str):
            tail = dsn.rstrip("/").rsplit("/", 1)[-1]
            if tail.isdigit():
                service = self.settings.service_for_relay_project(int(tail))
                if service:
                    return int(tail), service
        return None, "unknown"

    async def _health(self, request: web.Request) -> web.Response:
        pool = self.pipeline.pool
        workers = pool.alive() if pool is not None else 0
        body = {
            "status": "ok" if workers else "degraded",
            **self.stats,
            "db_bytes": self.store.size_bytes(),
            "scrub_workers": workers,
            "scrub_restarts": pool.restarts if pool is not None else 0,
        }
        return web.json_response(body)


# --- `sxtriage relay` -------------------------------------------------------------------


def run_cli(loaded: LoadedSettings) -> int:
    settings = loaded.settings
    if not is_loopback(settings.relay_host) and not settings.relay_keys:
        print(
            f"error: refusing to bind the relay to {settings.relay_host} without DSN keys; "
            'set [relay] keys = ["…"] (or SXTRIAGE_RELAY_KEYS) or use --host 127.0.0.1',
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> int:
    server = RelayServer(settings, workers=max(1, (os.cpu_count() or 2)), own_thread=False)
    url = await server.start()
    print(f"relay listening on {url} · DSN {server.dsn(1)} · db {server.store.path}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    last = 0
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            s = server.stats
            print(
                f"accepted {s['accepted']} (+{s['accepted'] - last}/s) · rejected {s['rejected']}"
                f" · events {s['events']} · subscribers {s['subscribers']}",
                flush=True,
            )
            last = s["accepted"]
    finally:
        await server.stop()
    print("relay stopped", flush=True)
    return 0
