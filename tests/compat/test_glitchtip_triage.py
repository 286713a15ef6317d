"""Triage through our TriageEngine (outbox → SentryClient) on a real GlitchTip: resolve,
unresolve, archive, bulk, undo and notes are checked in GlitchTip's own API; what
GlitchTip cannot store (assignee, priority, archive conditions) is refused before any
request, with the reason, instead of a 500 from GlitchTip (its PUT without `status`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sxtriage.models import Action, ActionKind, IgnoreSpec, Issue, Status
from sxtriage.sentry.capabilities import Feature
from sxtriage.sentry.errors import Unsupported
from sxtriage.sentry.update import IssueUpdate
from sxtriage.store import Store
from tests.compat.conftest import CompatServer
from tests.fixtures_triage import RecordingFeed

pytestmark = pytest.mark.compat


@pytest.fixture
async def engine(gt_client, triage_store: Store, recording_feed: RecordingFeed) -> AsyncIterator:
    from sxtriage.triage.actions import TriageEngine

    eng = TriageEngine(
        store=triage_store,
        sentry=gt_client,
        relay=None,
        apply=recording_feed.apply,
        toast=recording_feed.toast,
        me="owner@compat.example.com",
    )
    await eng.start()
    try:
        yield eng
    finally:
        await eng.close()


async def run(engine: Any, kind: ActionKind, issues: list[Issue], **kw: Any) -> Action:
    action = Action(id=uuid.uuid4().hex, kind=kind, issues=[i.key for i in issues], **kw)
    await engine.submit(action, issues)
    async with asyncio.timeout(30):
        await engine.drain()
    return action


async def fresh_issues(glitchtip: CompatServer, gt_client: Any, *projects: str) -> list[Issue]:
    """One new issue per project, as our client lists it."""
    out = []
    for project in projects:
        raw, _ = await glitchtip.send_and_wait(project)
        out.append(await gt_client.get_issue(raw["id"]))
    return out


async def status_in_glitchtip(glitchtip: CompatServer, issue: Issue) -> str:
    return str((await glitchtip.issue(issue.id))["status"])


async def test_resolve_unresolve_archive_and_undo(
    glitchtip: CompatServer, gt_client, engine, recording_feed: RecordingFeed
) -> None:
    (issue,) = await fresh_issues(glitchtip, gt_client, "api")
    await run(engine, ActionKind.RESOLVE, [issue])
    assert await status_in_glitchtip(glitchtip, issue) == "resolved"
    assert recording_feed.issues[issue.key].status is Status.RESOLVED
    await run(engine, ActionKind.UNRESOLVE, [issue])
    assert await status_in_glitchtip(glitchtip, issue) == "unresolved"
    await run(engine, ActionKind.ARCHIVE, [issue], ignore=IgnoreSpec())  # forever
    assert await status_in_glitchtip(glitchtip, issue) == "ignored"
    assert recording_feed.issues[issue.key].status is Status.IGNORED

    assert await engine.undo() is not None
    async with asyncio.timeout(30):
        await engine.drain()
    assert await status_in_glitchtip(glitchtip, issue) == "unresolved"
    assert engine.pending == {} and engine.failed == {}
    assert not [m for m, sev in recording_feed.toasts if sev == "error"]


async def test_bulk_resolve_across_projects_and_undo(
    glitchtip: CompatServer, gt_client, engine
) -> None:
    issues = await fresh_issues(glitchtip, gt_client, "api", "web", "api")
    (bystander,) = await fresh_issues(glitchtip, gt_client, "web")
    await run(engine, ActionKind.RESOLVE, issues)
    assert [await status_in_glitchtip(glitchtip, i) for i in issues] == ["resolved"] * 3
    # GlitchTip's bulk PUT without ids changes the whole org: only ours may change
    assert await status_in_glitchtip(glitchtip, bystander) == "unresolved"
    await engine.undo()
    async with asyncio.timeout(30):
        await engine.drain()
    assert [await status_in_glitchtip(glitchtip, i) for i in issues] == ["unresolved"] * 3
    assert engine.failed == {}


async def test_notes_and_ticket_links_are_glitchtip_comments(
    glitchtip: CompatServer, gt_client, engine
) -> None:
    (issue,) = await fresh_issues(glitchtip, gt_client, "web")
    await run(engine, ActionKind.NOTE, [issue], text="looking into it <b>now</b>")
    url = "https://github.com/scenextras/web/issues/7"
    await run(engine, ActionKind.LINK_TICKET, [issue], text=url)
    comments = await glitchtip.api("GET", f"/issues/{issue.id}/comments/")
    texts = sorted(c["data"]["text"] for c in comments)
    assert texts == [f"GitHub issue: {url}", "looking into it <b>now</b>"]
    assert engine.failed == {}


@pytest.mark.parametrize(
    ("feature", "update"),
    [
        (Feature.ASSIGN, IssueUpdate(assigned_to="user:2")),
        (Feature.PRIORITY, IssueUpdate(priority="high")),
        (Feature.BOOKMARKS, IssueUpdate(is_bookmarked=True)),
    ],
)
async def test_what_glitchtip_cannot_store_is_refused_with_the_reason(
    glitchtip: CompatServer, gt_client, feature: Feature, update: IssueUpdate
) -> None:
    (issue,) = await fresh_issues(glitchtip, gt_client, "api")
    reason = gt_client.capabilities.reason(feature)
    assert reason and "GlitchTip" in reason
    before = gt_client.requests
    with pytest.raises(Unsupported, match="GlitchTip"):
        await gt_client.update_issue(issue.id, update)
    with pytest.raises(Unsupported, match="GlitchTip"):
        await gt_client.bulk_update([issue.id], update)
    assert gt_client.requests == before  # refused here, never a 500 from GlitchTip
    assert await status_in_glitchtip(glitchtip, issue) == "unresolved"


async def test_assign_action_fails_once_with_the_reason_and_leaves_the_issue(
    glitchtip: CompatServer, gt_client, engine, recording_feed: RecordingFeed
) -> None:
    (issue,) = await fresh_issues(glitchtip, gt_client, "api")
    before = gt_client.requests
    await run(engine, ActionKind.ASSIGN, [issue], assign_to="user:2", assign_label="alice")
    assert gt_client.requests - before <= 1  # at most a look-up, never 5 retried 500s
    assert engine.pending == {}
    assert recording_feed.issues.get(issue.key, issue).assignee is None  # rolled back
    message = recording_feed.toasts[-1][0]
    assert "GlitchTip" in message and issue.short_id in message
    assert (await glitchtip.issue(issue.id))["status"] == "unresolved"
