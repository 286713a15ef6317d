"""Four simulated services sending realistic traffic to a relay.

`api` goes through the real `sentry-sdk` (`api_sdk.py`: a Client whose transport points
at the relay DSN, driven from a worker thread so the event loop never blocks).  `web`, `mobile` and
`search` replay payloads recorded from the real JavaScript, React-Native-shaped and Go
SDKs (`sxtriage/sim/payloads/`) with fresh event ids, timestamps, trace ids and varied
errors, exactly as those SDKs put them on the wire (query-string auth and text/plain for
JS, legacy `/store/` for Go errors).  Traces span web → api → search.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import random
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from sxtriage.relay.envelope import parse_envelope
from sxtriage.sim.api_sdk import ApiSdk

PAYLOADS = Path(__file__).parent / "payloads"
PROJECTS = {"api": 1, "web": 2, "mobile": 3, "search": 4}
KEY = "0123456789abcdef0123456789abcdef"

SCENARIOS: dict[str, str] = {
    "error-spike": "30 errors of one api issue within a second",
    "payment-failures": "10 declined payments in api (fingerprint payment-failed)",
    "auth-failures": "44 invalid-token errors, 22 each in api and web (a spike is > 20)",
    "slow-transactions": "12 slow transactions (3-9 s) in api and search",
    "error-rate": "25 api checkout transactions, 3 of them failing with an error",
    "critical-prod": "a fatal error in api production",
    "new-issue": "an error never seen before, in a random service",
    "regression": "an api issue resolved locally, then seen again in a new release",
    "bad-release": "web@2.3.0 checkout errors passing through api into search, one trace",
}

_WEB_ERRORS = [
    ("TypeError", "Cannot read properties of undefined (reading 'price')"),
    ("TypeError", "Cannot read properties of null (reading 'render')"),
    ("ChunkLoadError", "Loading chunk 412 failed"),
    ("Error", "Chat websocket reconnect loop"),
]
_MOBILE_ERRORS = [
    ("Error", "Image generation took 9.2s"),
    ("TypeError", "undefined is not an object (evaluating 'user.avatar')"),
    ("NetworkError", "Network request failed"),
]
_SEARCH_ERRORS = [
    "search index shard {n} unavailable",
    "query parse error at offset {n}",
    "context deadline exceeded after {n}ms",
]


@dataclass
class _Recorded:
    path: str
    headers: dict[str, str]
    header: dict[str, Any]
    item: dict[str, Any]
    event: dict[str, Any]
    store: bool


def _load(folder: str) -> list[_Recorded]:
    out: list[_Recorded] = []
    for meta in sorted((PAYLOADS / folder).glob("*.http.json")):
        info = json.loads(meta.read_text())
        raw = meta.with_name(meta.name.replace(".http.json", ".envelope")).read_bytes()
        headers = {
            k: v
            for k, v in info["headers"].items()
            if k.lower() in ("content-type", "x-sentry-auth", "user-agent")
        }
        if "/store/" in info["path"]:
            out.append(_Recorded(info["path"], headers, {}, {}, json.loads(raw), True))
            continue
        env = parse_envelope(raw)
        item = env.items[0]
        if item.type not in ("event", "transaction"):
            continue
        event = json.loads(item.payload)
        out.append(_Recorded(info["path"], headers, env.headers, item.headers, event, False))
    return out


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() % 1 * 1e6):06d}Z"


class TrafficGenerator:
    SCENARIOS = SCENARIOS

    def __init__(
        self,
        relay_url: str,
        *,
        rate: float = 2.0,
        seed: int | None = None,
        services: tuple[str, ...] = ("api", "web", "mobile", "search"),
    ) -> None:
        self.relay_url = relay_url.rstrip("/")
        parts = urlsplit(self.relay_url)
        self._netloc = parts.netloc
        self.rate = rate
        self.services = tuple(services)
        self.rng = random.Random(seed)
        self.sent = 0
        self.errors = 0
        self.release = {"api": "api@1.4.2", "web": "web@2.2.9", "mobile": "mobile@3.1.0"}
        self.release["search"] = "search@0.11.0"
        self._recorded = {
            "web": _load("browser-sentry-browser") + _load("node-sentry-node"),
            "mobile": _load("rn-shaped-sentry-browser"),
            "search": _load("go-sentry-go"),
        }
        self._http: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        dsn = f"http://{KEY}@{self._netloc}/{PROJECTS['api']}"
        self._api = ApiSdk(dsn, self.release, self.rng)

    # --- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="traffic")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._api.close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _loop(self) -> None:
        next_at = time.monotonic()
        while True:
            if self.rate <= 0:
                await asyncio.sleep(0.5)
                next_at = time.monotonic()
                continue
            next_at += self.rng.expovariate(self.rate)
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            with contextlib.suppress(Exception):
                await self._random_one()

    async def burst(self, n: int) -> None:
        await asyncio.gather(*(self._random_one() for _ in range(n)), return_exceptions=True)

    async def _random_one(self) -> None:
        service = self.rng.choice(self.services)
        if self.rng.random() < 0.2:
            await self._transaction(service, uuid.uuid4().hex)
        else:
            await self._error(service)

    # --- senders --------------------------------------------------------------------
    def _count(self, ok: bool) -> None:
        if ok:
            self.sent += 1
        else:
            self.errors += 1

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10)
        return self._http

    async def _replay(self, service: str, rec: _Recorded, event: dict[str, Any]) -> None:
        pid = PROJECTS.get(service, 2)
        path = rec.path.replace(rec.path.split("/")[2], str(pid), 1)
        if "sentry_key=" in path:
            path = path.split("sentry_key=")[0] + f"sentry_key={KEY}" + "&" + path.split("&", 2)[-1]
        headers = dict(rec.headers)
        if "X-Sentry-Auth" in headers:
            headers["X-Sentry-Auth"] = f"Sentry sentry_version=7, sentry_key={KEY}"
        payload = json.dumps(event, separators=(",", ":")).encode()
        if rec.store:
            body = payload
        else:
            header = dict(rec.header, event_id=event["event_id"], sent_at=_now_iso())
            trace_id = (event.get("contexts") or {}).get("trace", {}).get("trace_id")
            if isinstance(header.get("trace"), dict) and trace_id:
                header["trace"] = dict(header["trace"], trace_id=trace_id)
                header["trace"]["release"] = event.get("release")
            item = dict(rec.item)
            if "length" in item:
                item["length"] = len(payload)
            body = b"\n".join([json.dumps(header).encode(), json.dumps(item).encode(), payload])
        try:
            resp = await self._client().post(self.relay_url + path, content=body, headers=headers)
        except httpx.HTTPError:
            self._count(False)
            return
        self._count(resp.status_code // 100 == 2)

    def _base(self, service: str, kind: str) -> tuple[_Recorded, dict[str, Any]]:
        pool = [
            r
            for r in self._recorded[service]
            if (r.event.get("type") == "transaction") == (kind == "transaction")
        ]
        rec = self.rng.choice(pool)
        event = copy.deepcopy(rec.event)
        event["event_id"] = uuid.uuid4().hex
        event["timestamp"] = time.time()
        event["release"] = self.release.get(service, event.get("release"))
        event["environment"] = "production"
        return rec, event

    def _set_trace(self, event: dict[str, Any], trace_id: str, op: str | None = None) -> None:
        contexts = event.setdefault("contexts", {})
        trace = dict(contexts.get("trace") or {}, trace_id=trace_id, span_id=uuid.uuid4().hex[:16])
        if op:
            trace["op"] = op
        contexts["trace"] = trace

    async def _error(
        self,
        service: str,
        *,
        trace_id: str | None = None,
        etype: str | None = None,
        value: str | None = None,
        level: str = "error",
        fingerprint: list[str] | None = None,
        transaction: str | None = None,
    ) -> None:
        trace_id = trace_id or uuid.uuid4().hex
        if service == "api":
            ok = await self._api.error(trace_id, etype, value, level, fingerprint, transaction)
            self._count(ok)
            return
        rec, event = self._base(service, "error")
        excs = event.get("exception")
        values = excs.get("values") if isinstance(excs, dict) else excs
        if service == "search":
            pick = self.rng.choice(_SEARCH_ERRORS).format(n=self.rng.randrange(1, 999))
            default_type, default_value = "*main.IndexError", pick
        else:
            pool = _WEB_ERRORS if service == "web" else _MOBILE_ERRORS
            default_type, default_value = self.rng.choice(pool)
        if values:
            values[-1]["type"] = etype or default_type
            values[-1]["value"] = value or default_value
            event.pop("message", None)  # a recorded message would contradict the error
            event.pop("logentry", None)
        else:
            event["message"] = value or default_value
        event["level"] = level
        event.pop("fingerprint", None)  # the recorded one would mark every error a payment
        if fingerprint:
            event["fingerprint"] = fingerprint
        if transaction:
            event["transaction"] = transaction
        event["user"] = {"id": f"u_{self.rng.randrange(1, 400)}"}
        self._set_trace(event, trace_id)
        await self._replay(service, rec, event)

    async def _transaction(
        self, service: str, trace_id: str, *, duration: float | None = None, name: str | None = None
    ) -> None:
        if service == "api":
            ok = await self._api.transaction(
                trace_id, duration or self.rng.uniform(0.02, 0.4), name
            )
            self._count(ok)
            return
        pool = [r for r in self._recorded.get(service, []) if r.event.get("type") == "transaction"]
        if not pool:  # web/mobile recordings have no transactions: a slow error stands in
            await self._error(service, trace_id=trace_id, level="warning")
            return
        rec, event = self._base(service, "transaction")
        end = time.time()
        start = end - (duration or self.rng.uniform(0.005, 0.2))
        event["start_timestamp"], event["timestamp"] = start, end
        if name:
            event["transaction"] = name
        self._set_trace(event, trace_id, op="http.server")
        event["spans"] = [
            dict(s, trace_id=trace_id, start_timestamp=start, timestamp=end)
            for s in event.get("spans") or []
        ]
        await self._replay(service, rec, event)

    # --- scenarios ------------------------------------------------------------------
    async def trigger(self, scenario: str) -> str:
        if scenario not in SCENARIOS:
            known = ", ".join(SCENARIOS)
            raise ValueError(f"unknown scenario {scenario!r}; known: {known}")
        await getattr(self, "_s_" + scenario.replace("-", "_"))()
        return f"{scenario}: {SCENARIOS[scenario]}"

    async def _s_error_spike(self) -> None:
        await asyncio.gather(
            *(
                self._error("api", etype="UpstreamTimeout", value="OpenAI request timed out")
                for _ in range(30)
            )
        )

    async def _s_payment_failures(self) -> None:
        for _ in range(10):
            await self._error(
                "api",
                etype="CardError",
                value="Payment declined for card 4111 1111 1111 1111",
                fingerprint=["payment-failed", "{{ default }}"],
                transaction="POST /checkout",
            )

    async def _s_auth_failures(self) -> None:
        for i in range(44):
            service = "api" if i % 2 == 0 else "web"
            await self._error(service, etype="AuthError", value="401: invalid token (JWT expired)")

    async def _s_slow_transactions(self) -> None:
        for i in range(12):  # six each: p95 needs five samples
            service = "api" if i % 2 == 0 else "search"
            await self._transaction(service, uuid.uuid4().hex, duration=self.rng.uniform(3, 9))

    async def _s_error_rate(self) -> None:
        for i in range(25):
            trace_id = uuid.uuid4().hex
            await self._transaction("api", trace_id, name="POST /checkout")
            if i % 8 == 0:
                await self._error("api", trace_id=trace_id, transaction="POST /checkout")

    async def _s_critical_prod(self) -> None:
        await self._error(
            "api", etype="DatabaseDown", value="connection pool exhausted", level="fatal"
        )

    async def _s_new_issue(self) -> None:
        service = self.rng.choice(self.services)
        tag = uuid.uuid4().hex[:6]
        await self._error(service, etype=f"NewError{tag}", value=f"first seen {tag}")

    async def _s_regression(self) -> None:
        kind = ("RegressionError", "stale cache served after deploy")
        await self._error("api", etype=kind[0], value=kind[1])
        await asyncio.sleep(0.3)
        with contextlib.suppress(httpx.HTTPError, ValueError):
            issues = (await self._client().get(self.relay_url + "/local/issues/")).json()
            for issue in issues:
                if issue.get("title", "").startswith(kind[0]):
                    await self._client().put(
                        self.relay_url + f"/local/issues/{issue['id']}/",
                        json={"status": "resolved"},
                    )
        self.release["api"] = "api@1.4.3"
        await self._error("api", etype=kind[0], value=kind[1])

    async def _s_bad_release(self) -> None:
        self.release["web"] = "web@2.3.0"
        for _ in range(3):
            trace_id = uuid.uuid4().hex
            await self._error(
                "web",
                trace_id=trace_id,
                etype="TypeError",
                value="Cannot read properties of undefined (reading 'cartTotal')",
                transaction="GET /checkout",
                fingerprint=["web-checkout-cart-total"],
            )
            await self._transaction("api", trace_id, name="POST /checkout")
            await self._error(
                "api",
                trace_id=trace_id,
                etype="ValidationError",
                value="cart total is NaN",
                transaction="POST /checkout",
            )
            await self._transaction("search", trace_id, name="GET /search")
            await self._error(
                "search",
                trace_id=trace_id,
                value="price facet missing in index",
                fingerprint=["search-price-facet-missing"],
            )
