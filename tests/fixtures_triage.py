"""Pytest fixtures for the triage tests: the GitHub simulator, a store, a recording feed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sxtriage.models import Issue, IssueKey, Source
from sxtriage.sim.github import STATE, GitHubState, create_github_app
from sxtriage.store import Store


@dataclass
class GitHubSim:
    url: str
    state: GitHubState


@pytest.fixture
async def github_sim() -> AsyncIterator[GitHubSim]:
    """The GitHub simulator alone on an ephemeral loopback port (token "ghp-test")."""
    app = create_github_app(token="ghp-test")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield GitHubSim(f"http://127.0.0.1:{port}", app[STATE])
    finally:
        await runner.cleanup()


@pytest.fixture
def triage_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "triage.db")
    try:
        yield store
    finally:
        store.close()


@dataclass
class RecordingFeed:
    """Stands in for feed.apply_local: remembers what the screen would show."""

    issues: dict[IssueKey, Issue] = field(default_factory=dict)
    applied: list[list[Issue]] = field(default_factory=list)
    toasts: list[tuple[str, str]] = field(default_factory=list)

    def apply(self, issues: list[Issue]) -> None:
        self.applied.append(list(issues))
        for issue in issues:
            self.issues[issue.key] = issue

    def toast(self, message: str, severity: str) -> None:
        self.toasts.append((message, severity))


@pytest.fixture
def recording_feed() -> RecordingFeed:
    return RecordingFeed()


@dataclass
class SentryEnv:
    sim: Any
    client: Any
    engine: Any
    feed: RecordingFeed
    store: Store

    async def issues(self, n: int) -> list[Issue]:
        page = await self.client.list_issues(query="is:unresolved", limit=100)
        out = list(page.items)
        cursor = page.next_cursor
        while len(out) < n and cursor:
            page = await self.client.list_issues(query="is:unresolved", cursor=cursor, limit=100)
            out += page.items
            cursor = page.next_cursor
        for issue in out:
            self.feed.issues[issue.key] = issue
        return out[:n]

    def sim_issue(self, issue: Issue) -> Any:
        return self.sim.state.issues[int(issue.id)]

    async def new_engine(self) -> Any:
        from sxtriage.triage.actions import TriageEngine

        self.engine = TriageEngine(
            store=self.store,
            sentry=self.client,
            relay=None,
            apply=self.feed.apply,
            toast=self.feed.toast,
            me="oncall@scenextras.dev",
        )
        return self.engine


@pytest.fixture
async def sentry_env(
    triage_store: Store, recording_feed: RecordingFeed
) -> AsyncIterator[SentryEnv]:
    """The real Sentry simulator (600 issues), a real client and a started TriageEngine."""
    from sxtriage.config import default_services
    from sxtriage.sentry.client import SentryClient
    from sxtriage.sim.server import SimServer

    sim = SimServer(n_issues=600)
    url = await sim.start()
    client = SentryClient(
        url,
        "scenextras",
        "test-token",
        services=default_services(),
        timeout=1.0,
        max_retries=1,
        backoff_base=0.01,
        max_retry_after=0.05,
    )
    env = SentryEnv(sim, client, None, recording_feed, triage_store)
    await env.new_engine()
    await env.engine.start()
    try:
        yield env
    finally:
        await env.engine.close()
        await client.aclose()
        await sim.stop()


# --- the real app on a real Sentry simulator, GitHub simulator and relay ---------------


@dataclass
class TriageStack:
    """Everything `sxtriage demo` starts, minus the traffic generator (deterministic)."""

    sim: Any
    relay_server: Any
    store: Store
    session: Any
    app: Any
    opened: list[str] = field(default_factory=list)
    """URLs the app asked the (injected) browser to open."""
    toasts: list[tuple[str, str]] = field(default_factory=list)
    """(message, severity) of every notification the app showed."""

    # --- driving the app ---------------------------------------------------------------
    async def until(self, pilot: Any, check: Any, what: str, within: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not check():
            assert loop.time() < deadline, f"timed out waiting for {what}"
            await pilot.pause(0.05)

    async def ready(self, pilot: Any, sentry: int = 40) -> None:
        """Wait for the cold load (all simulator issues) and the outbox worker."""
        feed = self.session.feed

        def loaded() -> bool:
            count = sum(1 for k in feed.issues if k[0] is Source.SENTRY)
            return count >= sentry and self.session.triage._worker is not None

        await self.until(pilot, loaded, "the cold load")

    @property
    def issue_list(self) -> Any:
        return self.app.feed_screen().issue_list

    def sentry_keys(self, n: int) -> list[IssueKey]:
        """The first `n` unassigned, unresolved Sentry issues in screen order."""
        feed = self.session.feed
        keys = [
            k
            for k in self.issue_list.order
            if k[0] is Source.SENTRY
            and feed.get(k).status.value == "unresolved"
            and feed.get(k).assignee is None
        ]
        assert len(keys) >= n
        return keys[:n]

    async def cursor_on(self, pilot: Any, key: IssueKey) -> None:
        assert self.issue_list.select_key(key)
        await pilot.pause()

    def row(self, key: IssueKey) -> str:
        """The issue's row exactly as painted (it must be on screen)."""
        lst = self.issue_list
        index = lst.position(key)
        assert index is not None, f"{key} is not in the list"
        y = index - int(lst.scroll_y) + 1
        assert 1 <= y < lst.size.height, f"{key} is scrolled out of view"
        return lst.render_line(y).text

    def messages(self, severity: str | None = None) -> list[str]:
        return [m for m, s in self.toasts if severity is None or s == severity]

    async def github_issues(self, repo: str) -> list[dict[str, Any]]:
        """Every issue of `repo`, from the GitHub simulator's own search endpoint."""
        import httpx

        headers = {"Authorization": "Bearer ghp-test"}
        async with httpx.AsyncClient(headers=headers) as http:
            resp = await http.get(
                f"{self.sim.github_url}/search/issues", params={"q": f"repo:{repo}"}
            )
        assert resp.status_code == 200, resp.text
        return list(resp.json()["items"])

    def sim_issue(self, key: IssueKey) -> Any:
        return self.sim.state.issues[int(key[1])]

    async def send_relay_event(self, message: str, *, project_id: int = 1) -> None:
        """One error event through the relay's ingest endpoint (as an SDK's store call)."""
        import httpx

        event = {
            "event_id": uuid.uuid4().hex,
            "platform": "python",
            "level": "error",
            "exception": {"values": [{"type": "LocalError", "value": message}]},
            "release": "api@9.9.9",
            "environment": "local",
        }
        url = f"{self.relay_server.url}/api/{project_id}/store/?sentry_key=k"
        async with httpx.AsyncClient() as http:
            resp = await http.post(url, json=event)
        assert resp.status_code == 200, resp.text

    async def relay_issues(self) -> dict[str, dict[str, Any]]:
        """The relay's own view: GET /local/issues/ (id → issue JSON)."""
        import httpx

        async with httpx.AsyncClient() as http:
            resp = await http.get(f"{self.relay_server.url}/local/issues/")
        return {item["id"]: item for item in resp.json()}


@pytest.fixture
async def triage_stack(tmp_path: Path) -> AsyncIterator[TriageStack]:
    """Sim (40 issues, GitHub under /github) + relay embedded in-process + a session built
    by `build_session`, as `sxtriage demo` wires them.

    The Sentry client retries fast (faults are tested, not waited out); the app's browser
    opener records URLs instead of launching anything.
    """
    from pydantic import SecretStr

    from sxtriage.config import Settings
    from sxtriage.core.build import build_session
    from sxtriage.relay.server import RelayServer
    from sxtriage.sentry.client import SentryClient
    from sxtriage.sim.server import SimServer
    from sxtriage.ui.app import SxTriageApp

    sim = SimServer(n_issues=40)
    sim_url = await sim.start()
    store = Store(tmp_path / "stack.db")
    base = Settings(data_dir=tmp_path, poll_interval=1.0)
    relay_server = RelayServer(base, store, workers=0)
    relay_url = await relay_server.start("127.0.0.1", 0)
    settings = base.model_copy(
        update={
            "sentry_url": sim_url,
            "sentry_org": "scenextras",
            "sentry_token": SecretStr("test-token"),
            "github_api_url": sim.github_url,
            "github_token": SecretStr("ghp-test"),
            "me": "oncall@scenextras.dev",
            "relay_url": relay_url,
        }
    )
    sentry = SentryClient(
        sim_url,
        "scenextras",
        "test-token",
        services=settings.services,
        timeout=2.0,
        max_retries=1,
        backoff_base=0.01,
        max_retry_after=0.05,
    )
    session = build_session(settings, store, sentry=sentry, relay_server=relay_server)
    app = SxTriageApp(session)
    stack = TriageStack(sim, relay_server, store, session, app)

    def opener(url: str) -> bool:
        stack.opened.append(url)
        return True

    app.link_opener = opener
    app.link_env = {"DISPLAY": ":0"}
    notify = app.notify

    def recording_notify(message: str, *args: Any, **kw: Any) -> None:
        stack.toasts.append((str(message), str(kw.get("severity", "information"))))
        notify(message, *args, **kw)

    app.notify = recording_notify  # type: ignore[method-assign]
    try:
        yield stack
    finally:
        await session.stop()  # the embedded relay with it
        await sim.stop()
        store.close()
