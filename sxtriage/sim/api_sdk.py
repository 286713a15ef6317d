"""The simulated `api` service: events captured by the real `sentry-sdk`.

A `sentry_sdk.Client` whose DSN points at the relay, so its own transport builds and
sends the envelopes (gzip, `X-Sentry-Auth`) exactly as a FastAPI service would.  The
SDK blocks, so every capture runs on one worker thread and the event loop never waits.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_ERRORS = [
    ("UpstreamTimeout", "OpenAI request timed out after 30s", "POST /chat/generate"),
    ("KeyError", "'character_id'", "GET /characters/{id}"),
    ("IntegrityError", "duplicate key value violates unique constraint", "POST /signup"),
    ("RuntimeError", "TMDB API degraded: 3 retries", "GET /movies/{id}"),
]
_TRANSACTIONS = ["POST /chat/generate", "GET /movies/{id}", "POST /checkout"]


class ApiSdk:
    def __init__(self, dsn: str, releases: dict[str, str], rng: random.Random) -> None:
        self.dsn = dsn
        self.releases = releases
        """Shared with the generator: a scenario that bumps `api` is seen at the next send."""
        self.rng = rng
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-api-sdk")
        self._client: Any = None

    def _sdk_client(self) -> Any:
        if self._client is None:
            import sentry_sdk

            self._client = sentry_sdk.Client(
                dsn=self.dsn,
                default_integrations=False,
                release=self.releases["api"],
                environment="production",
                server_name="api-7f9c",
                traces_sample_rate=1.0,
            )
        self._client.options["release"] = self.releases["api"]
        return self._client

    async def _run(self, fn: Any) -> bool:
        try:
            await asyncio.get_running_loop().run_in_executor(self._thread, fn)
        except Exception:
            return False
        return True

    async def error(
        self,
        trace_id: str,
        etype: str | None = None,
        value: str | None = None,
        level: str = "error",
        fingerprint: list[str] | None = None,
        transaction: str | None = None,
    ) -> bool:
        default = self.rng.choice(_ERRORS)
        name, text, tx = etype or default[0], value or default[1], transaction or default[2]
        user = f"u_{self.rng.randrange(1, 400)}"

        def send() -> None:
            import sentry_sdk
            from sentry_sdk.utils import event_from_exception

            client = self._sdk_client()
            error_cls = type(name, (Exception,), {"__module__": "api.handlers"})
            try:
                _raise(error_cls, text)
            except Exception:
                event, hint = event_from_exception(sys.exc_info(), client_options=client.options)
            event.update(level=level, transaction=tx, release=self.releases["api"])
            event["user"] = {"id": user}
            event["contexts"] = {"trace": {"trace_id": trace_id, "span_id": uuid.uuid4().hex[:16]}}
            if fingerprint:
                event["fingerprint"] = fingerprint
            client.capture_event(event, hint=hint, scope=sentry_sdk.Scope(client=client))

        return await self._run(send)

    async def transaction(self, trace_id: str, duration: float, name: str | None = None) -> bool:
        tx = name or self.rng.choice(_TRANSACTIONS)

        def send() -> None:
            import sentry_sdk

            client = self._sdk_client()
            end = time.time()
            start = end - duration
            root = uuid.uuid4().hex[:16]
            event = {
                "type": "transaction",
                "transaction": tx,
                "start_timestamp": start,
                "timestamp": end,
                "contexts": {"trace": {"trace_id": trace_id, "span_id": root, "op": "http.server"}},
                "spans": [
                    {
                        "trace_id": trace_id,
                        "span_id": uuid.uuid4().hex[:16],
                        "parent_span_id": root,
                        "op": "db.query",
                        "description": "SELECT * FROM characters WHERE id = %s",
                        "start_timestamp": start + duration * 0.05,
                        "timestamp": start + duration * 0.3,
                    }
                ],
            }
            client.capture_event(event, scope=sentry_sdk.Scope(client=client))

        return await self._run(send)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await asyncio.get_running_loop().run_in_executor(
                self._thread, lambda: client.close(timeout=2)
            )
        self._thread.shutdown(wait=False)


def _raise(cls: type[Exception], text: str) -> None:
    raise cls(text)
