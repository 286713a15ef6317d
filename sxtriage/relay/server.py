"""The relay: an aiohttp server for SDK ingest, Spotlight's /stream, and local triage.

Routes: `POST /api/<project_id>/envelope/`, `POST /api/<project_id>/store/`,
`POST /stream`, `GET /stream` (SSE), `GET /health`, and the `/local/...` JSON endpoints
read by `RelayClient` (issues, events, traces; `PUT` changes a local issue's status or
assignee).  Embeddable (`RelayServer`: by default on its own event-loop thread, so a
busy UI in the same process never delays ingest) or standalone (`sxtriage relay`).
The ingest handlers live in `ingest_http.py`; past its capacity the relay answers 429
(`admission.py`: bounded backlog, SXTRIAGE_RELAY_* overrides), and `/health` reports the
backlog and the 429s.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from sxtriage.config import ConfigError, LoadedSettings, Settings
from sxtriage.relay import local
from sxtriage.relay.admission import Admission, AdmissionConfig
from sxtriage.relay.forward import Forwarder
from sxtriage.relay.ingest import Pipeline
from sxtriage.relay.ingest_http import IngestHandlers, RelayStats
from sxtriage.relay.limits import Limits
from sxtriage.relay.loop_thread import LoopThread
from sxtriage.relay.stream import Broadcaster
from sxtriage.runtime_tuning import tune_runtime
from sxtriage.store import Store, StoreError

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


_BACKLOG = 1024
"""listen() backlog (aiohttp's default is 128; the kernel caps it at net.core.somaxconn)."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
        admission: AdmissionConfig | None = None,
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
        config = admission if admission is not None else AdmissionConfig.from_env(os.environ)
        self.admission = Admission(config)
        """The in-memory backlog's bounds: past them, 429 + Retry-After (admission.py)."""
        self.broadcaster = Broadcaster(self.store)
        self.pipeline = Pipeline(
            self.store,
            self.broadcaster.publish,
            workers=workers,
            scrub_user_emails=settings.scrub_user_emails,
            max_events_per_s=config.max_events_per_s,
        )
        forward = settings.relay_forward if forward is None else forward
        self.forwarder = Forwarder(forward) if forward else None
        """Off by default: service → upstream DSN to also send each envelope to."""
        self.ingest = IngestHandlers(
            settings, self.limits, self.pipeline, self.admission, self.stats_, self.forwarder
        )
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.host = settings.relay_host
        self.port = settings.relay_port

    # --- lifecycle ------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.limits.max_envelope_bytes + 1)
        app.router.add_route("OPTIONS", "/{tail:.*}", self._options)
        app.router.add_post(r"/api/{project_id}/envelope/", self.ingest.envelope)
        app.router.add_post(r"/api/{project_id}/envelope", self.ingest.envelope)
        app.router.add_post(r"/api/{project_id}/store/", self.ingest.store)
        app.router.add_post(r"/api/{project_id}/store", self.ingest.store)
        app.router.add_post("/stream", self.ingest.stream_post)
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
        self.admission.lag.start(asyncio.get_running_loop())
        self._runner = web.AppRunner(
            self.app(), access_log=None, handle_signals=False, auto_decompress=False
        )
        await self._runner.setup()
        # A deep accept queue: SDKs open connections in bursts when answers slow down, and a
        # connection dropped from a full queue is retried by the client's TCP only after
        # 1 s (the SYN retransmit), a wait no answer from here could shorten.
        site = web.TCPSite(self._runner, host, port, reuse_address=True, backlog=_BACKLOG)
        try:
            await site.start()
        except OSError:
            self.admission.lag.stop()
            await self._runner.cleanup()
            await self.pipeline.stop()
            raise
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.host, self.port = host, int(sockets[0].getsockname()[1]) if sockets else port
        self.url = f"http://{self.host}:{self.port}"
        return self.url

    async def _stop(self) -> None:
        self.admission.lag.stop()
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

    async def _health(self, request: web.Request) -> web.Response:
        pool = self.pipeline.pool
        workers = pool.alive() if pool is not None else 0
        body = {
            "status": "ok" if workers else "degraded",
            **self.stats,
            "db_bytes": self.store.size_bytes(),
            "scrub_workers": workers,
            "scrub_restarts": pool.restarts if pool is not None else 0,
            "backlog": self.admission.stats(),
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
    admission = AdmissionConfig.from_env(os.environ)  # a bad value: one line, exit 2
    server = RelayServer(
        settings, workers=max(1, (os.cpu_count() or 2)), own_thread=False, admission=admission
    )
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
                f" (429: {s['limited']}) · backlog {server.admission.events}"
                f" · events {s['events']} · subscribers {s['subscribers']}",
                flush=True,
            )
            last = s["accepted"]
    finally:
        await server.stop()
    print("relay stopped", flush=True)
    return 0
