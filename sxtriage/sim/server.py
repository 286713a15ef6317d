"""`sxtriage sim`: the Sentry API simulator (+ the GitHub simulator under `/github/`).

`SimServer` serves the in-memory dataset on a loopback port with Sentry's auth, rate-limit
headers and fault injection; tests start it on port 0 and inspect `server.state`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from sxtriage.sim import lifecycle
from sxtriage.sim.dataset import SimState
from sxtriage.sim.faults import FaultInjector, FaultSpecError
from sxtriage.sim.github import create_github_app
from sxtriage.sim.sentry_api import STATE, add_routes, dumps

_HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>"


DEFAULT_SCOPES = (
    "event:read",
    "event:write",
    "member:read",
    "org:read",
    "project:read",
    "project:releases",
    "team:read",
)
"""The scopes of a personal token made for triage."""


@dataclass(slots=True)
class RequestRecord:
    method: str
    path: str
    query: str
    status: int
    bytes: int
    user_agent: str


class SimServer:
    def __init__(
        self,
        *,
        n_issues: int | None = None,
        token: str | None = None,
        faults: list[str] | None = None,
        live: bool = False,
        seed: int = 0,
        org: str = "scenextras",
        live_interval: float = 1.0,
        scopes: list[str] | None = None,
    ) -> None:
        self.token = token
        self.scopes = list(scopes) if scopes is not None else list(DEFAULT_SCOPES)
        """What `GET /api/0/` says the token may do (auth.scopes)."""
        self.live = live
        self.live_interval = live_interval
        self.state = SimState(org=org, seed=seed)
        self.state.seed(n_issues)
        self.faults = FaultInjector(faults, seed=seed)
        self.log: deque[RequestRecord] = deque(maxlen=20_000)
        self.total_requests = 0
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.app = self._make_app()

    @property
    def github_url(self) -> str:
        return self.url + "/github"

    @property
    def requests(self) -> list[RequestRecord]:
        """Every API request seen (newest last)."""
        return list(self.log)

    def tick(self, n: int = 1) -> None:
        lifecycle.tick(self.state, n)

    # --- app ---------------------------------------------------------------------------
    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=2 * 1024 * 1024)
        app[STATE] = self.state
        app.router.add_get("/health", self._health)
        app.router.add_get("/api/0/", self._index)
        add_routes(app)
        app.add_subapp("/github/", create_github_app())
        return app

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "ok": True,
                "service": "sxtriage-sim",
                "org": self.state.org,
                "issues": len(self.state.issues),
                "requests": len(self.log),
            }
        )

    async def _index(self, request: web.Request) -> web.Response:
        # src/sentry/api/endpoints/index.py: version, the token's scopes, the user.
        auth = {"scopes": self.scopes} if request.headers.get("Authorization") else None
        user = {"id": "1", "email": "oncall@scenextras.dev"} if auth else None
        return self._json(200, {"version": "0", "auth": auth, "user": user})

    def _auth_ok(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        return scheme.lower() in ("bearer", "token") and value.strip() == self.token

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        self.state.now = time.time()
        try:
            resp = await self._serve(request, handler)
        except web.HTTPException as exc:
            resp = web.Response(status=exc.status, text=exc.text, content_type=exc.content_type)
        body = getattr(resp, "body", None)
        size = len(body) if isinstance(body, bytes | bytearray) else 0
        self.total_requests += 1
        self.log.append(
            RequestRecord(
                request.method,
                request.path,
                request.query_string,
                resp.status,
                size,
                request.headers.get("User-Agent", ""),
            )
        )
        return resp

    async def _serve(self, request: web.Request, handler: Any) -> web.StreamResponse:
        post: list[str] = []
        for fault in self.faults.pick(unquote(request.path_qs)):
            kind = fault.kind
            if kind == "latency":
                await asyncio.sleep((fault.arg or 200) / 1000.0)
            elif kind == "timeout":
                await asyncio.sleep(fault.arg or 30.0)
            elif kind == "429":
                wait = fault.arg if fault.arg is not None else 1
                detail = "You are attempting to use this endpoint too frequently."
                return self._json(429, {"detail": detail}, {"Retry-After": f"{wait:g}"})
            elif kind == "502":
                return web.Response(status=502, text=_HTML_502, content_type="text/html")
            elif kind in ("500", "503"):
                return self._json(int(kind), {"detail": "Internal Error"})
            elif kind == "401":
                return self._json(401, {"detail": "Invalid token"})
            elif kind == "403":
                return self._json(
                    403, {"detail": "You do not have permission to perform this action."}
                )
            elif kind == "404":
                return self._json(404, {"detail": "The requested resource does not exist"})
            else:
                post.append(kind)
        allowed, remaining, reset = self.faults.rate.take()
        headers = {
            "X-Sentry-Rate-Limit-Limit": str(self.faults.rate.limit),
            "X-Sentry-Rate-Limit-Remaining": str(remaining),
            "X-Sentry-Rate-Limit-Reset": f"{math.ceil(reset)}",
            "X-Sentry-Rate-Limit-ConcurrentLimit": "25",
            "X-Sentry-Rate-Limit-ConcurrentRemaining": "24",
        }
        if not allowed:
            wait = max(1, math.ceil(reset - time.time()))
            return self._json(
                429,
                {"detail": "You are attempting to use this endpoint too frequently."},
                {**headers, "Retry-After": str(wait)},
            )
        if not self._auth_ok(request):
            return self._json(401, {"detail": "Invalid token"}, headers)
        resp = await handler(request)
        resp.headers.update(headers)
        if post and isinstance(resp, web.Response) and resp.body:
            self._corrupt(resp, post)
        return resp

    @staticmethod
    def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(data, status=status, headers=headers, dumps=dumps)

    @staticmethod
    def _corrupt(resp: web.Response, kinds: list[str]) -> None:
        raw = bytes(resp.body)  # type: ignore[arg-type]
        if "drift" in kinds:
            data = json.loads(raw)
            if isinstance(data, list) and data and isinstance(data[0], dict):
                data[0]["project"] = "drifted"
                data[0]["id"] = None
                raw = dumps(data).encode()
        if "badjson" in kinds:
            raw = raw[: max(1, len(raw) // 2)]
        resp.body = raw

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.url = f"http://{shown}:{bound}"
        if self.live:
            self._ticker = asyncio.create_task(self._tick_loop())
        return self.url

    async def _tick_loop(self) -> None:
        rng = self.state.rng
        while True:
            await asyncio.sleep(self.live_interval)
            if self.live:  # set `live = False` to hold the dataset still
                lifecycle.tick(self.state, rng.choice((0, 1, 1, 2)))

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _serve_forever(server: SimServer, host: str, port: int) -> None:
    url = await server.start(host, port)
    n = len(server.state.issues)
    print(f"sxtriage sim: Sentry API at {url}/api/0/ (org {server.state.org}, {n} issues)")
    print(f"  GitHub API at {server.github_url}", flush=True)
    print(f"  export SENTRY_URL={url} SENTRY_ORG={server.state.org}", flush=True)
    seen = 0
    try:
        while True:
            await asyncio.sleep(1.0)
            fresh = min(server.total_requests - seen, len(server.log))
            seen = server.total_requests
            if fresh:
                records = list(server.log)[-fresh:]
                kinds = Counter(f"{r.method} {r.status}" for r in records)
                summary = ", ".join(f"{n}× {k}" for k, n in sorted(kinds.items()))
                stamp = time.strftime("%H:%M:%S")
                print(f"{stamp} {fresh} requests: {summary}", flush=True)
    finally:
        await server.stop()


def run_cli(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    n_issues: int | None = None,
    faults: list[str] | None = None,
    scopes: list[str] | None = None,
) -> int:
    """`sxtriage sim`: blocks until Ctrl-C; prints the URL and one line per second."""
    try:
        server = SimServer(n_issues=n_issues, token=token, faults=faults, live=True, scopes=scopes)
    except FaultSpecError as exc:
        print(f"sxtriage sim: {exc}", file=sys.stderr)
        return 2
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"sxtriage sim: warning: listening on {host}, reachable from other machines")
    try:
        asyncio.run(_serve_forever(server, host, port))
    except KeyboardInterrupt:
        print("sxtriage sim: stopped")
    return 0
