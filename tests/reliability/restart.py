"""The second half of every kill -9 test: the child holding a TriageEngine was killed;
a new engine on the same database (as a restarted TUI builds it) replays the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from sxtriage.config import default_services
from sxtriage.sentry.client import SentryClient
from sxtriage.store import Store
from sxtriage.triage.actions import TriageEngine
from sxtriage.triage.github import GitHubClient


async def kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL the child's whole process group (it was started with start_new_session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    await proc.wait()


@dataclass
class Restarted:
    store: Store
    client: SentryClient
    engine: TriageEngine
    toasts: list[tuple[str, str]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def restarted_engine(
    db: Path, sentry_url: str, *, github: GitHubClient | None = None
) -> AsyncIterator[Restarted]:
    """A TriageEngine on `db` against `sentry_url`, closed (with `github`) on the way out."""
    store = Store(db)
    client = SentryClient(
        sentry_url, "scenextras", "t", services=default_services(), timeout=5, backoff_base=0.01
    )
    toasts: list[tuple[str, str]] = []
    engine = TriageEngine(
        store=store,
        sentry=client,
        relay=None,
        apply=lambda issues: None,
        toast=lambda m, s: toasts.append((m, s)),
        me="oncall@scenextras.dev",
        github=github,
    )
    try:
        yield Restarted(store, client, engine, toasts)
    finally:
        await engine.close()
        if github is not None:
            await github.aclose()
        await client.aclose()
        store.close()
