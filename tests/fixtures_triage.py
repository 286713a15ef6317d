"""Pytest fixtures for the triage tests: the GitHub simulator, a store, a recording feed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sxtriage.models import Issue, IssueKey
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
    server = pytest.importorskip("sxtriage.sim.server")
    from sxtriage.config import default_services
    from sxtriage.sentry.client import SentryClient

    sim = server.SimServer(n_issues=600)
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
