"""One place for auth, pacing, retries and errors of every request to a Sentry API.

One `httpx.AsyncClient` (HTTP/1.1 keep-alive, bearer token).  `X-Sentry-Rate-Limit-*`
headers are tracked and honoured before the next request; 429 waits `Retry-After`; 5xx
and timeouts are retried with jittered exponential backoff (idempotent requests only);
every failure ends as a typed `SentryError` and one line in the log file (method, path,
status, the server's reason; never the token).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from sxtriage import __version__
from sxtriage.sentry.errors import (
    BadResponse,
    RateLimited,
    SentryError,
    SentryTimeout,
    SentryUnavailable,
    error_for_status,
)
from sxtriage.sentry.http import RateLimitState, error_detail, retry_after

log = logging.getLogger("sxtriage.sentry")
USER_AGENT = f"sxtriage/{__version__} (+https://github.com/scenextras/sxtriage)"

QueryParams = list[tuple[str, str]] | None


class Transport:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 15,
        max_retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff_base: float = 0.5,
        max_retry_after: float = 60.0,
        clock: Callable[[], float] = time.time,
        saas: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_retry_after = max_retry_after
        self.rate_limit = RateLimitState()
        self.requests = 0
        self.bytes_received = 0
        self.saas = saas
        self._clock = clock
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
            transport=transport,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    def _backoff(self, attempt: int) -> float:
        return min(8.0, self.backoff_base * (2**attempt)) * random.uniform(0.5, 1.5)

    def _failed(self, method: str, url: str, status: int | str, detail: str | None) -> None:
        log.warning("%s %s -> %s%s", method, url, status, f" ({detail})" if detail else "")

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams = None,
        json_body: Any = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one request with rate-limit pacing and retries; raise a typed error."""
        url = path if path.startswith("/") else f"/api/0/{path}"
        attempt = 0
        while True:
            if wait := self.rate_limit.wait_needed(self._clock()):
                await asyncio.sleep(wait)
            try:
                self.requests += 1
                resp = await self.http.request(method, url, params=params, json=json_body)
            except httpx.TimeoutException:
                if idempotent and attempt < self.max_retries:
                    await asyncio.sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                self._failed(method, url, "timeout", None)
                raise SentryTimeout(
                    f"Sentry did not answer {method} {url} in time; check the network "
                    f"or {self.base_url} (retrying on the next poll)"
                ) from None
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt < min(self.max_retries, 2):
                    await asyncio.sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                self._failed(method, url, type(exc).__name__, None)
                raise SentryUnavailable(
                    f"cannot reach Sentry at {self.base_url} ({type(exc).__name__}); check "
                    "the URL (SENTRY_URL) and your network"
                ) from None
            self.bytes_received += len(resp.content)
            self.rate_limit.update(resp.headers)
            status = resp.status_code
            if status < 400:
                return resp
            detail = error_detail(resp)
            if status == 429:
                self.rate_limit.throttled += 1
                wait = retry_after(resp)
                if attempt < self.max_retries and wait <= self.max_retry_after:
                    await asyncio.sleep(wait)
                    attempt += 1
                    continue
                self._failed(method, url, status, detail)
                raise RateLimited(
                    f"rate limited by Sentry on {url}; retry in {wait:.0f}s",
                    retry_after=wait,
                    detail=detail,
                )
            if status >= 500 and idempotent and attempt < self.max_retries:
                await asyncio.sleep(self._backoff(attempt))
                attempt += 1
                continue
            self._failed(method, url, status, detail)
            raise error_for_status(status, url=url, detail=detail, saas=self.saas)

    async def get_json(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams = None,
        json_body: Any = None,
        idempotent: bool = True,
    ) -> tuple[Any, httpx.Response]:
        resp = await self.request(
            method, path, params=params, json_body=json_body, idempotent=idempotent
        )
        if resp.status_code == 204 or not resp.content:
            return None, resp
        try:
            return json.loads(resp.content), resp
        except (ValueError, UnicodeDecodeError):
            self._failed(method, path, resp.status_code, "malformed JSON")
            raise BadResponse(
                f"Sentry sent malformed JSON for {path}; if this persists, check the "
                "SENTRY_URL points at a Sentry API"
            ) from None


__all__ = ["USER_AGENT", "QueryParams", "SentryError", "Transport"]
