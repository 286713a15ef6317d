"""The real sentry-cli (PyPI `sentry-cli`) against the simulator; effects seen by our client."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from sxtriage.models import Status
from sxtriage.sentry.client import SentryClient
from sxtriage.sim.server import SimServer

CLI = Path(sys.executable).parent / "sentry-cli"
pytestmark = pytest.mark.skipif(not CLI.exists(), reason="sentry-cli is not installed")


async def sentry_cli(server: SimServer, *args: str) -> str:
    env = {
        **os.environ,
        "SENTRY_DISABLE_UPDATE_CHECK": "1",
        # Anything not bound for the simulator goes to a dead loopback proxy, never out.
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "no_proxy": "127.0.0.1",
        "NO_PROXY": "127.0.0.1",
    }
    env.pop("SENTRY_AUTH_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        str(CLI), "--url", server.url, "--auth-token", "X", "issues", *args,
        "-o", "scenextras", "-p", "api",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()[-500:]
    return out.decode()


async def test_sentry_cli_list_resolve_mute_unresolve(
    sim: SimServer, sim_client: SentryClient
) -> None:
    listing = await sentry_cli(sim, "list")
    for issue in (i for i in sim.state.issues.values() if i.project.slug == "api"):
        assert issue.short_id in listing
    assert "Last seen" in listing and "TMDBUnavailable" in listing

    await sentry_cli(sim, "resolve", "-i", "101")
    assert (await sim_client.get_issue("101")).status is Status.RESOLVED

    await sentry_cli(sim, "mute", "-i", "102")
    assert (await sim_client.get_issue("102")).status is Status.IGNORED

    await sentry_cli(sim, "unresolve", "--all")
    page = await sim_client.list_issues(query="", projects=["api"])
    # An id-less PUT mutates what the default query matches (`is:unresolved
    # issue.priority:[high, medium]`, src/sentry/api/helpers/group_index/index.py), so
    # resolved and muted issues stay as they are.
    statuses = {i.id: i.status for i in page.items}
    assert (statuses["101"], statuses["102"]) == (Status.RESOLVED, Status.IGNORED)
    assert statuses["103"] is Status.UNRESOLVED

    cli_requests = [r for r in sim.requests if r.user_agent.startswith("sentry-cli/")]
    assert [(r.method, r.query) for r in cli_requests] == [
        ("GET", "query=&cursor="),
        ("PUT", "id=101"),
        ("PUT", "id=102"),
        ("PUT", ""),
    ]
    assert all(r.status == 200 for r in cli_requests)
