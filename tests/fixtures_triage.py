"""Pytest fixtures for the triage tests: the GitHub simulator, a store, a recording feed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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
