"""GitHub create / dedupe / link-back through the simulators and the engine."""

from __future__ import annotations

import asyncio

from sxtriage.models import ActionKind
from sxtriage.sentry.errors import Conflict
from sxtriage.triage.effects import describe_error
from sxtriage.triage.github import GitHubClient
from sxtriage.triage.ticket import draft_for


async def test_create_link_back_and_dedupe(sentry_env) -> None:
    env = sentry_env
    (issue,) = await env.issues(1)
    repo = f"scenextras/{issue.service}"
    async with GitHubClient(env.sim.github_url, "any-token") as gh:
        assert await gh.find_open_issue(repo, issue.short_id) is None
        draft = draft_for(issue, await env.client.latest_event(issue.id), repo)
        created = await gh.create_issue(repo, draft.title, draft.body, draft.labels)
        await env.engine.link_ticket(issue, created.url)
        async with asyncio.timeout(10):
            await env.engine.drain()
        # a second `t` finds it instead of creating a duplicate
        dup = await gh.find_open_issue(repo, issue.short_id)
        assert dup is not None and dup.url == created.url
    assert env.feed.issues[issue.key].linked_ticket == created.url
    assert env.engine.linked_tickets[issue.key] == created.url
    notes = env.sim.state.notes[int(issue.id)]
    assert [n["data"]["text"] for n in notes] == [f"GitHub issue: {created.url}"]
    rows = await env.store.query("SELECT url FROM tickets WHERE issue_id=?", (issue.id,))
    assert [r["url"] for r in rows] == [created.url]
    audit = await env.store.query("SELECT kind FROM audit")
    assert [r["kind"] for r in audit] == [ActionKind.LINK_TICKET.value]
    # the link survives a restart
    await env.engine.close()
    engine = await env.new_engine()
    await engine.start()
    assert engine.linked_tickets[issue.key] == created.url


def test_conflict_is_described() -> None:
    assert "conflict (409)" in describe_error(Conflict("x"))
