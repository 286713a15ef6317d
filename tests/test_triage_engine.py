"""TriageEngine against the real Sentry simulator: each action, bulk, undo, rollback, replay."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sxtriage.models import Action, ActionKind, IgnoreSpec, Issue, Status
from sxtriage.triage.outbox import DONE, FAILED


def act(kind: ActionKind, issues: list[Issue], **kw) -> Action:
    return Action(id=uuid.uuid4().hex, kind=kind, issues=[i.key for i in issues], **kw)


async def run(env, kind: ActionKind, issues: list[Issue], **kw) -> Action:
    action = act(kind, issues, **kw)
    await env.engine.submit(action, issues)
    async with asyncio.timeout(20):
        await env.engine.drain()
    return action


async def outbox_state(env, action_id: str) -> str:
    rows = await env.store.query("SELECT state FROM outbox WHERE id=?", (action_id,))
    return rows[0]["state"]


async def test_each_action_reaches_sentry(sentry_env) -> None:
    env = sentry_env
    a, b = await env.issues(2)
    await run(env, ActionKind.RESOLVE, [a])
    assert env.sim_issue(a).status == "resolved"
    await run(env, ActionKind.UNRESOLVE, [a])
    assert env.sim_issue(a).status == "unresolved"
    await run(env, ActionKind.RESOLVE_NEXT_RELEASE, [a])
    assert env.sim_issue(a).status == "resolved"
    await run(env, ActionKind.IGNORE, [b], ignore=IgnoreSpec(duration_min=30))
    assert env.sim_issue(b).status == "ignored"
    team = next(iter(env.sim.state.teams.values()))
    await run(env, ActionKind.ASSIGN, [b], assign_to=f"team:{team.id}", assign_label="#x")
    assert env.sim_issue(b).assigned == f"team:{team.id}"
    await run(env, ActionKind.ASSIGN, [b], assign_to=None)
    assert env.sim_issue(b).assigned is None
    await run(env, ActionKind.BOOKMARK, [b], bookmark=True)
    assert env.sim_issue(b).bookmarked
    await run(env, ActionKind.MARK_SEEN, [b])
    assert env.sim_issue(b).has_seen
    await run(env, ActionKind.NOTE, [b], text="looking into it")
    assert [n["data"]["text"] for n in env.sim.state.notes[int(b.id)]] == ["looking into it"]
    assert env.engine.pending == {} and env.engine.failed == {}
    audit = await env.store.query("SELECT kind, actor FROM audit ORDER BY seq")
    assert [r["kind"] for r in audit][:2] == ["resolve", "unresolve"]
    assert {r["actor"] for r in audit} == {"oncall@scenextras.dev"}


async def test_outbox_row_is_committed_before_the_screen_changes(sentry_env) -> None:
    env = sentry_env
    (issue,) = await env.issues(1)
    seen: list[str] = []

    def apply(issues: list[Issue]) -> None:
        rows = env.store.query_sync("SELECT state FROM outbox")
        seen.append(",".join(r["state"] for r in rows))
        env.feed.apply(issues)

    env.engine.apply = apply
    action = act(ActionKind.RESOLVE, [issue])
    await env.engine.submit(action, [issue])
    # optimistic: changed on screen at once, marked pending
    assert env.feed.issues[issue.key].status is Status.RESOLVED
    assert env.engine.pending == {issue.key: action.id}
    assert seen[0] in ("pending", "sending")
    async with asyncio.timeout(10):
        await env.engine.drain()
    assert env.engine.pending == {}
    assert await outbox_state(env, action.id) == DONE


async def test_bulk_500_uses_five_requests_and_keeps_nothing_pending(sentry_env) -> None:
    env = sentry_env
    issues = await env.issues(500)
    before = len([r for r in env.sim.requests if r.method == "PUT"])
    await run(env, ActionKind.RESOLVE, issues)
    assert len([r for r in env.sim.requests if r.method == "PUT"]) - before == 5
    assert all(env.sim_issue(i).status == "resolved" for i in issues)
    assert all(env.feed.issues[i.key].status is Status.RESOLVED for i in issues)
    assert env.engine.pending == {}


async def test_undo_resolve_and_assign_through_the_same_path(sentry_env) -> None:
    env = sentry_env
    a, b = await env.issues(2)
    first = env.sim_issue(a).assigned
    await run(env, ActionKind.RESOLVE, [a, b])
    undo = await env.engine.undo()
    assert undo is not None and undo.undo_of is not None
    async with asyncio.timeout(10):
        await env.engine.drain()
    assert env.sim_issue(a).status == "unresolved" and env.sim_issue(b).status == "unresolved"
    assert env.feed.issues[a.key].status is Status.UNRESOLVED
    member = next(iter(env.sim.state.members.values()))
    await run(env, ActionKind.ASSIGN, [a], assign_to=f"user:{member.id}", assign_label="m")
    assert env.sim_issue(a).assigned == f"user:{member.id}"
    await env.engine.undo()
    async with asyncio.timeout(10):
        await env.engine.drain()
    assert env.sim_issue(a).assigned == first
    assert await env.engine.undo() is None  # both undone; undo actions are not undone


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("403", "no permission (403)"),
        ("404", "no longer exists"),
        ("429=1", "rate limited"),
        ("503", "server error (503)"),
        ("timeout=3", "did not answer in time"),
    ],
)
async def test_failure_rolls_back_with_a_clear_toast(sentry_env, fault: str, words: str) -> None:
    env = sentry_env
    (issue,) = await env.issues(1)
    env.sim.faults.add(f"{fault}@/issues/{issue.id}/")
    action = await run(env, ActionKind.RESOLVE, [issue])
    assert env.feed.issues[issue.key].status is Status.UNRESOLVED  # rolled back on screen
    assert env.engine.pending == {}
    message, severity = env.feed.toasts[-1]
    assert severity == "error" and words in message and issue.short_id in message
    assert "Retry" in message
    assert await outbox_state(env, action.id) == FAILED
    # retry once the fault is gone
    env.sim.faults.clear()
    assert await env.engine.retry(action.id)
    async with asyncio.timeout(10):
        await env.engine.drain()
    assert env.sim_issue(issue).status == "resolved"
    assert await outbox_state(env, action.id) == DONE


async def test_network_down_mid_bulk_rolls_back_only_the_unsent(sentry_env) -> None:
    env = sentry_env
    issues = await env.issues(300)
    real = env.client.bulk_update
    calls = 0

    async def bulk_then_network_down(ids, update):
        nonlocal calls
        calls += 1
        if calls == 2:
            await env.sim.stop()  # the network goes away after the first chunk
        return await real(ids, update)

    env.client.bulk_update = bulk_then_network_down
    await run(env, ActionKind.RESOLVE, issues)
    sent, unsent = issues[:100], issues[100:]
    assert all(env.sim_issue(i).status == "resolved" for i in sent)
    assert all(env.sim_issue(i).status == "unresolved" for i in unsent)
    assert all(env.feed.issues[i.key].status is Status.RESOLVED for i in sent)
    assert all(env.feed.issues[i.key].status is Status.UNRESOLVED for i in unsent)
    message, severity = env.feed.toasts[-1]
    assert severity == "error" and "100 of 300 done" in message and "unreachable" in message


async def test_twenty_queued_actions_survive_a_restart_exactly_once(sentry_env) -> None:
    env = sentry_env
    issues = await env.issues(20)
    env.sim.faults.add("timeout=30@/issues/")  # the first send hangs: the rest stay queued
    actions = [act(ActionKind.RESOLVE, [i]) for i in issues]
    for action, issue in zip(actions, issues, strict=True):
        await env.engine.submit(action, [issue])
    await asyncio.sleep(0.2)
    await env.engine.close()  # the app dies with 20 actions in the outbox
    env.sim.faults.clear()
    assert all(env.sim_issue(i).status == "unresolved" for i in issues)

    engine = await env.new_engine()
    before = env.client.requests
    assert await engine.start() == 20
    async with asyncio.timeout(20):
        await engine.drain()
    assert all(env.sim_issue(i).status == "resolved" for i in issues)
    # one PUT each, plus one look-up for the action that was in flight when it died
    assert env.client.requests - before == 21
    states = await env.store.query("SELECT state FROM outbox")
    assert [r["state"] for r in states] == [DONE] * 20
    audit = await env.store.query("SELECT action_id FROM audit")
    assert sorted(r["action_id"] for r in audit) == sorted(a.id for a in actions)
    # a second restart has nothing left to send
    await engine.close()
    engine = await env.new_engine()
    assert await engine.start() == 0
