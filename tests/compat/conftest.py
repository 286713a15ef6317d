"""The compatibility suite: our client, poller, TUI and relay against a real GlitchTip.

Every test here carries the `compat` marker (added at collection: `make test` leaves them
out, `make compat` runs them).  Without GlitchTip's tarball (``../shared/servers`` beside the
repo, or ``$SXTRIAGE_GLITCHTIP_TARBALL``) or PostgreSQL 15 the whole suite skips, and the
run ends with one line naming what is missing.  In CI (``CI`` set, or
``SXTRIAGE_COMPAT_REQUIRED=1``) a missing part or any skipped compat test is a failure.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat import glitchtip as gt
from tests.compat.sdk import Sent, send_error

COMPAT_DIR = Path(__file__).parent
# Read at import: the per-test isolation fixtures replace HOME and drop SXTRIAGE_* vars.
TARBALL = gt.tarball_path()
CACHE = gt.cache_root()
MISSING = gt.missing(TARBALL)
REQUIRED = os.environ.get("CI", "").lower() not in ("", "0", "false", "no") or (
    os.environ.get("SXTRIAGE_COMPAT_REQUIRED") == "1"
)
VISIBLE_WITHIN = 20.0
"""Seconds an event may take from the SDK's flush to GlitchTip's issue list."""


def _is_compat(item: pytest.Item) -> bool:
    return COMPAT_DIR in Path(str(item.fspath)).parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_compat(item):
            item.add_marker(pytest.mark.compat)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if REQUIRED and report.skipped and _is_compat(item):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"compat test skipped in CI (must run there): {reason}"


STARTS: list[str] = []
"""One line per server started this session (kind and seconds), shown at the end."""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in STARTS:
        terminalreporter.write_line(line)
    stats = terminalreporter.stats
    ran = [r for key in ("passed", "failed", "skipped") for r in stats.get(key, [])]
    if MISSING and any(COMPAT_DIR.name in str(getattr(r, "nodeid", "")) for r in ran):
        verdict = "FAILED (required in CI)" if REQUIRED else "skipped"
        terminalreporter.write_line(f"compat suite {verdict}: {MISSING}")


@dataclass
class CompatServer:
    """The running GlitchTip plus helpers that talk to it the way a user's SDK does."""

    server: gt.GlitchTip

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def org(self) -> str:
        return self.server.org

    @property
    def token(self) -> str:
        return self.server.token

    @property
    def projects(self) -> dict[str, gt.Project]:
        return self.server.projects

    def dsn(self, project: str) -> str:
        return self.server.projects[project].dsn

    def http(self) -> httpx.AsyncClient:
        """GlitchTip's own API, to check what it stored (never through our client)."""
        return httpx.AsyncClient(
            base_url=f"{self.url}/api/0",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=15,
        )

    async def api(self, method: str, path: str, **kw: Any) -> Any:
        async with self.http() as http:
            resp = await http.request(method, path, **kw)
        assert resp.status_code < 300, (
            f"{method} {path} → {resp.status_code} {resp.text[:200]} | {self.server.log_tail(5)}"
        )
        return resp.json() if resp.content else None

    async def issue(self, issue_id: str) -> dict[str, Any]:
        return await self.api("GET", f"/issues/{issue_id}/")

    async def find(self, marker: str) -> list[dict[str, Any]]:
        """GlitchTip's issues carrying the tag `compat.marker:<marker>`, any status."""
        return await self.api(
            "GET", f"/organizations/{self.org}/issues/", params={"query": f"compat.marker:{marker}"}
        )

    async def wait_until(
        self, check: Callable[[], Any], what: str, within: float = VISIBLE_WITHIN
    ) -> Any:
        deadline = time.monotonic() + within
        while True:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")
            await asyncio.sleep(0.1)

    async def send(self, project: str, marker: str | None = None, **kw: Any) -> Sent:
        """One real sentry-sdk error event to `project`'s DSN (SDK work off the loop)."""
        return await asyncio.to_thread(send_error, self.dsn(project), marker, **kw)

    async def send_and_wait(
        self, project: str, marker: str | None = None, *, events: int = 1, **kw: Any
    ) -> tuple[dict[str, Any], list[Sent]]:
        """Send `events` events of one issue and wait until GlitchTip lists it with them."""
        sent = [await self.send(project, marker, **kw)]
        for _ in range(events - 1):
            sent.append(await self.send(project, sent[0].marker, **kw))

        async def listed() -> dict[str, Any] | None:
            found = await self.find(sent[0].marker)
            if found and int(found[0]["count"]) >= events:
                return found[0]
            return None

        issue = await self.wait_until(listed, f"issue {sent[0].marker} in GlitchTip's API")
        return issue, sent


@pytest.fixture(scope="session")
def glitchtip_server() -> Iterator[gt.GlitchTip]:
    if MISSING:
        if REQUIRED:
            pytest.fail(f"compat suite cannot run in CI: {MISSING}", pytrace=False)
        pytest.skip(MISSING)
    with gt.running(install_root=CACHE, tarball=TARBALL) as server:
        STARTS.append(f"GlitchTip {server.start_kind} start: {server.timings['total']} s "
                      f"({server.timings})")  # fmt: skip
        yield server


@pytest.fixture
def glitchtip(glitchtip_server: gt.GlitchTip) -> CompatServer:
    """GlitchTip (session-wide, started once): URL, org, token, projects with ids and DSNs."""
    return CompatServer(glitchtip_server)


@pytest.fixture(scope="session")
def bugsink() -> Iterator[Any]:
    """A real Bugsink (PyPI, SQLite), session-wide: URL, token, project id, DSN."""
    from tests.compat import bugsink as bs

    reason = bs.missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"Bugsink cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    with bs.running(install_root=CACHE) as server:
        STARTS.append(f"Bugsink start: {server.start_s:.1f} s")
        yield server


def compat_services() -> dict[str, Any]:
    """The service map of the seeded org: `api` and `web` (its only projects)."""
    from sxtriage.config import default_services

    services = default_services()
    return {name: services[name] for name in ("api", "web")}


@pytest.fixture
async def gt_client(glitchtip: CompatServer) -> Any:
    """Our SentryClient on GlitchTip, the server detected as a user's first request does."""
    from sxtriage.sentry.client import SentryClient

    client = SentryClient(
        glitchtip.url,
        glitchtip.org,
        glitchtip.token,
        services=compat_services(),
        timeout=10.0,
        max_retries=1,
        backoff_base=0.01,
    )
    await client.detect()
    try:
        yield client
    finally:
        await client.aclose()
