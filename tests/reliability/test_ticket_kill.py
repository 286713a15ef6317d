"""kill -9 a process between confirming a GitHub ticket and GitHub answering it.

A real subprocess holds a TriageEngine; it creates one ticket for three Sentry issues of
the simulator (an incident) and prints once the action is in its outbox.  Its GitHub
traffic goes through a loopback proxy that either keeps the request from GitHub (killed
before the send reached GitHub) or lets GitHub create the issue and keeps the answer
(killed after GitHub created it, before the process heard).  A new engine on the same
database then replays the outbox.  Either way GitHub ends up with exactly one issue,
linked to all three issues, with one Sentry note on each.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sxtriage.models import Action, ActionKind
from sxtriage.sim.server import SimServer
from sxtriage.triage.github import GitHubClient
from sxtriage.triage.outbox import DONE
from sxtriage.triage.ticket import ticket_marker
from tests.holding_proxy import HOLD_ANSWERS, HOLD_REQUESTS, PASS, HoldingProxy
from tests.reliability.restart import kill_group, restarted_engine

ROOT = Path(__file__).resolve().parents[2]
REPO = "scenextras/api"

# The "TUI" process: the preview was confirmed; the ticket action goes to the outbox.
ENGINE_PROCESS = r"""
import asyncio, sys
from sxtriage.config import default_services
from sxtriage.models import TicketSpec
from sxtriage.sentry.client import SentryClient
from sxtriage.store import Store
from sxtriage.triage.actions import TriageEngine
from sxtriage.triage.github import GitHubClient

async def main(db, url, github_url):
    store = Store(db)
    client = SentryClient(url, "scenextras", "t", services=default_services(), timeout=5,
                          max_retries=1, backoff_base=0.01)
    github = GitHubClient(github_url, "ghp-test", timeout=60)
    engine = TriageEngine(store=store, sentry=client, relay=None, apply=lambda i: None,
                          toast=lambda m, s: None, me="oncall@scenextras.dev", github=github)
    await engine.start()
    page = await client.list_issues(query="is:unresolved", limit=100)
    issues = page.items[:3]
    print("ready", " ".join(i.id for i in issues), flush=True)
    spec = TicketSpec(repo="scenextras/api", title="[INCIDENT] checkout is down",
                      body="three services fail together", labels=["bug", "sentry"])
    action = await engine.create_ticket(issues, spec)
    print("submitted", action.id, flush=True)
    await engine.drain()
    print("drained", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


async def github_issues(sim: SimServer) -> list[dict[str, Any]]:
    """Every issue of REPO, open or closed, from the GitHub simulator's search."""
    async with httpx.AsyncClient(headers={"Authorization": "Bearer ghp-test"}) as http:
        resp = await http.get(f"{sim.github_url}/search/issues", params={"q": f"repo:{REPO}"})
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


async def until(check: Any, what: str, within: float = 30.0) -> None:
    """Wait for `check()` (a bool, or an awaitable of one) to hold, with a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await _value(check()):
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def kill_between_confirm_and_send(tmp_path: Path, mode: str, seed: int) -> None:
    print(f"ticket kill: mode {mode}, seed {seed}")  # shown with a failure
    db = tmp_path / "tui.db"
    sim = SimServer(n_issues=60, seed=seed % 7)
    url = await sim.start()
    port = int(url.rsplit(":", 1)[1])
    proxy = HoldingProxy(port, mode)
    proxy_url = f"http://127.0.0.1:{await proxy.start()}/github"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-c", ENGINE_PROCESS, str(db), url, proxy_url),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        words = (await asyncio.wait_for(proc.stdout.readline(), 30)).split()
        assert words and words[0] == b"ready", words
        issue_ids = [w.decode() for w in words[1:]]
        words = (await asyncio.wait_for(proc.stdout.readline(), 30)).split()
        assert words and words[0] == b"submitted", words
        action_id = words[1].decode()
        if mode == HOLD_REQUESTS:
            # the create request is on its way, kept from GitHub: nothing is created
            await until(lambda: proxy.held_bytes > 0, "the held request")
        elif mode == HOLD_ANSWERS:
            # GitHub created it; the process never hears back
            async def created() -> bool:
                return len(await github_issues(sim)) == 1

            await until(created, "GitHub to create the issue")
        else:
            await asyncio.sleep(random.Random(seed).uniform(0.0, 0.3))
    finally:
        await kill_group(proc)
    before = await github_issues(sim)
    if mode == HOLD_REQUESTS:
        assert before == [], "the kill came after the send: the test did not test it"
    if mode == HOLD_ANSWERS:
        assert len(before) == 1
    await proxy.stop()

    try:
        github = GitHubClient(sim.github_url, "ghp-test")
        async with restarted_engine(db, url, github=github) as r:
            engine = r.engine
            resumed = await engine.start()
            async with asyncio.timeout(30):
                await engine.drain()
                if engine.failed:  # cut off while a note was on its way: retried by hand
                    (entry,) = engine.failed.values()
                    assert "interrupted" in (entry.last_error or ""), entry.last_error
                    assert await engine.retry_all_failed() == 1
                    await engine.drain()
            rows = await r.store.query("SELECT id, state, action, last_error, undo FROM outbox")
            tickets = await r.store.query("SELECT issue_id, url FROM tickets")
            audit = await r.store.query("SELECT kind, detail FROM audit")
            after = await github_issues(sim)
    finally:
        await sim.stop()

    assert mode == PASS or resumed == 1
    (row,) = rows
    assert row["id"] == action_id and row["state"] == DONE, (row["state"], row["last_error"])
    assert Action.model_validate_json(row["action"]).kind is ActionKind.CREATE_TICKET
    assert len(after) == 1, [i["title"] for i in after]  # exactly one, whenever the kill came
    (ticket,) = after
    assert ticket["title"] == "[INCIDENT] checkout is down" and ticket["state"] == "open"
    assert ticket_marker(action_id) in ticket["body"]
    if before:
        assert before[0]["number"] == ticket["number"]  # found again, not made again
    link = ticket["html_url"]
    assert {(r["issue_id"], r["url"]) for r in tickets} == {(i, link) for i in issue_ids}
    for issue_id in issue_ids:
        notes = [n["data"]["text"] for n in sim.state.notes.get(int(issue_id), [])]
        assert notes == [f"GitHub issue: {link}"], (issue_id, notes)
    assert [r["kind"] for r in audit] == [ActionKind.CREATE_TICKET.value]
    assert link in audit[0]["detail"]


async def _value(result: Any) -> bool:
    return bool(await result) if asyncio.iscoroutine(result) else bool(result)


@pytest.mark.parametrize("mode", [HOLD_REQUESTS, HOLD_ANSWERS, PASS])
async def test_ticket_creation_survives_kill9(tmp_path: Path, mode: str) -> None:
    await kill_between_confirm_and_send(tmp_path, mode, int.from_bytes(os.urandom(2), "big"))
