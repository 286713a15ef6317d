"""GitHub tickets as outbox actions, through the engine and the Sentry + GitHub simulators:
durable before they are sent, rolled back and retried without a second ticket, undone
(a created ticket is closed, a link removed), resumed after a restart only where no
note can have been posted already."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sxtriage.models import Action, ActionKind, Issue, Source, TicketSpec
from sxtriage.triage.github import GitHubClient
from sxtriage.triage.outbox import DONE, FAILED, Outbox
from sxtriage.triage.ticket import ticket_marker
from tests.holding_proxy import HOLD_ANSWERS, PASS, HoldingProxy

SPEC = TicketSpec(repo="scenextras/api", title="Checkout is down", body="b", labels=["bug"])


@pytest.fixture
async def env(sentry_env: Any) -> AsyncIterator[Any]:
    """sentry_env whose engine has a GitHub client on the simulator's GitHub."""
    github = GitHubClient(sentry_env.sim.github_url, "ghp-test")
    sentry_env.engine.github = github
    try:
        yield sentry_env
    finally:
        await github.aclose()


async def settle(env: Any) -> None:
    async with asyncio.timeout(10):
        await env.engine.drain()


async def gh_issues(env: Any, repo: str = "scenextras/api") -> list[dict[str, Any]]:
    async with httpx.AsyncClient(headers={"Authorization": "Bearer ghp-test"}) as http:
        resp = await http.get(f"{env.sim.github_url}/search/issues", params={"q": f"repo:{repo}"})
    return list(resp.json()["items"])


def notes(env: Any, issue: Issue) -> list[str]:
    return [n["data"]["text"] for n in env.sim.state.notes.get(int(issue.id), [])]


def local(n: int) -> Issue:
    return Issue(source=Source.RELAY, id=f"r{n}", service="api", short_id=f"LOCAL-{n}", title="x")


async def test_create_is_durable_shown_pending_then_linked_and_undo_closes_it(env) -> None:
    a, b = await env.issues(2)
    relay = local(1)
    env.feed.issues[relay.key] = relay
    action = await env.engine.create_ticket([a, b, relay], SPEC)
    # in the outbox before anything was sent, and shown as pending
    (row,) = await env.store.query("SELECT state, action FROM outbox")
    assert Action.model_validate_json(row["action"]).ticket == SPEC
    assert set(env.engine.pending) == {a.key, b.key, relay.key}
    await settle(env)
    (created,) = await gh_issues(env)
    url = created["html_url"]
    assert created["title"] == SPEC.title and [x["name"] for x in created["labels"]] == ["bug"]
    assert created["body"].startswith("b\n") and ticket_marker(action.id) in created["body"]
    assert not env.engine.pending and not env.engine.failed
    assert all(env.feed.issues[i.key].linked_ticket == url for i in (a, b, relay))
    assert all(env.engine.linked_tickets[i.key] == url for i in (a, b, relay))
    assert notes(env, a) == notes(env, b) == [f"GitHub issue: {url}"]
    rows = await env.store.query("SELECT issue_id, url FROM tickets")
    assert {(r["issue_id"], r["url"]) for r in rows} == {(i.id, url) for i in (a, b, relay)}
    audit = await env.store.query("SELECT kind, detail FROM audit")
    assert [r["kind"] for r in audit] == ["create_ticket"] and url in audit[0]["detail"]

    undo = await env.engine.undo()
    assert undo is not None and undo.kind is ActionKind.CLOSE_TICKET
    await settle(env)
    (closed,) = await gh_issues(env)
    assert (closed["state"], closed["state_reason"]) == ("closed", "not_planned")
    assert all(env.feed.issues[i.key].linked_ticket is None for i in (a, b, relay))
    assert env.engine.linked_tickets == {}
    assert await env.store.query("SELECT url FROM tickets") == []
    assert notes(env, a)[-1] == f"Closed and unlinked GitHub issue: {url}"
    audit = await env.store.query("SELECT kind FROM audit ORDER BY seq")
    assert [r["kind"] for r in audit] == ["create_ticket", "close_ticket"]


async def test_undo_of_a_link_unlinks_and_brings_the_earlier_link_back(env) -> None:
    a, b = await env.issues(2)
    first = "https://github.com/scenextras/api/issues/101"
    second = "https://github.com/scenextras/api/issues/102"
    assert await env.engine.link_tickets([a], first) == [a]
    await settle(env)
    a = env.feed.issues[a.key]
    assert await env.engine.link_tickets([a], first) == []  # linked already: no action
    assert [i.key for i in await env.engine.link_tickets([a, b], second)] == [a.key, b.key]
    await settle(env)
    assert env.feed.issues[a.key].linked_ticket == second
    await env.engine.undo()
    await settle(env)
    assert not env.engine.failed
    assert env.feed.issues[a.key].linked_ticket == first  # its earlier link is back
    assert env.feed.issues[b.key].linked_ticket is None
    assert env.engine.linked_tickets == {a.key: first}
    rows = await env.store.query("SELECT issue_id, url FROM tickets")
    assert [(r["issue_id"], r["url"]) for r in rows] == [(a.id, first)]
    assert notes(env, b) == [
        f"GitHub issue: {second}",
        f"No longer linked to GitHub issue: {second}",
    ]
    # Sentry refuses the same note within the hour: "already posted" counts as posted
    assert notes(env, a) == [f"GitHub issue: {first}", f"GitHub issue: {second}"]


async def test_refused_by_github_rolls_back_and_links_nothing(env) -> None:
    (a,) = await env.issues(1)
    spec = SPEC.model_copy(update={"repo": "scenextras/nowhere"})
    await env.engine.create_ticket([a], spec)
    await settle(env)
    (message, severity) = env.feed.toasts[-1]
    assert severity == "error"
    assert message.startswith("GitHub issue not created: GitHub repository scenextras/nowhere")
    assert len(env.engine.failed) == 1 and not env.engine.pending
    assert env.feed.issues[a.key].linked_ticket is None and not env.engine.linked_tickets
    assert await env.store.query("SELECT url FROM tickets") == [] and notes(env, a) == []
    with pytest.raises(ValueError, match="owner/name"):
        await env.engine.create_ticket([a], SPEC.model_copy(update={"repo": "nowhere"}))


async def test_note_failure_after_creation_retries_without_a_second_ticket(env) -> None:
    a, b = await env.issues(2)
    env.sim.faults.add("500@/comments/*1")  # Sentry fails the first note (sent once)
    await env.engine.create_ticket([a, b], SPEC)
    await settle(env)
    (created,) = await gh_issues(env)
    url = created["html_url"]
    message, severity = env.feed.toasts[-1]
    assert severity == "error" and message.startswith(f"{url} was created, but linking")
    assert env.feed.issues[a.key].linked_ticket is None  # rolled back
    assert await env.store.query("SELECT url FROM tickets") == []
    assert await env.engine.retry_last_failed()
    await settle(env)
    assert len(await gh_issues(env)) == 1
    assert notes(env, a) == notes(env, b) == [f"GitHub issue: {url}"]
    assert all(env.feed.issues[i.key].linked_ticket == url for i in (a, b))


async def test_a_create_whose_answer_was_lost_is_found_again_on_retry(env) -> None:
    (a,) = await env.issues(1)
    proxy = HoldingProxy(int(env.sim.url.rsplit(":", 1)[1]), HOLD_ANSWERS)
    port = await proxy.start()
    github = GitHubClient(f"http://127.0.0.1:{port}/github", "ghp-test", timeout=1.0)
    env.engine.github = github
    try:
        await env.engine.create_ticket([a], SPEC)
        await settle(env)
        assert "did not answer in time" in env.feed.toasts[-1][0]
        assert len(await gh_issues(env)) == 1  # GitHub made it; we never heard
        proxy.mode = PASS
        assert await env.engine.retry_last_failed()
        await settle(env)
    finally:
        await github.aclose()
        await proxy.stop()
    (created,) = await gh_issues(env)
    assert env.feed.issues[a.key].linked_ticket == created["html_url"]
    assert notes(env, a) == [f"GitHub issue: {created['html_url']}"]


async def test_restart_resumes_a_note_that_never_left_and_fails_one_in_doubt(env) -> None:
    a, b = await env.issues(2)
    outbox = Outbox(env.store)
    quiet = Action(id="q" * 32, kind=ActionKind.NOTE, issues=[a.key], text="looking")
    doubt = Action(id="d" * 32, kind=ActionKind.NOTE, issues=[b.key], text="on it")
    for action, issue in ((quiet, a), (doubt, b)):
        await outbox.add(action, [issue])
        await outbox.mark_sending(action.id)  # then the process died
    entry = await outbox.get(doubt.id)
    assert entry is not None
    entry.inflight = b.id  # its note was on its way
    await outbox.progress(entry)
    await env.engine.close()
    engine = await env.new_engine()
    assert await engine.start() == 1
    await settle(env)
    assert notes(env, a) == ["looking"] and notes(env, b) == []
    rows = {r["id"]: r for r in await env.store.query("SELECT id, state, last_error FROM outbox")}
    assert rows[quiet.id]["state"] == DONE
    assert rows[doubt.id]["state"] == FAILED and "interrupted" in rows[doubt.id]["last_error"]
