"""Undo puts back the ignore condition an issue had; retry sends every failed action."""

from __future__ import annotations

import asyncio
import uuid

from sxtriage.models import Action, ActionKind, IgnoreSpec, Issue, Source, Status
from sxtriage.triage.effects import inverse_actions
from sxtriage.triage.ignore_memory import IgnoredWith, IgnoreMemory


def act(kind: ActionKind, issues: list[Issue], **kw) -> Action:  # type: ignore[no-untyped-def]
    return Action(id=uuid.uuid4().hex, kind=kind, issues=[i.key for i in issues], **kw)


async def run(env, kind: ActionKind, issues: list[Issue], **kw) -> Action:  # type: ignore[no-untyped-def]
    action = act(kind, issues, **kw)
    await env.engine.submit(action, [env.feed.issues[i.key] for i in issues])
    async with asyncio.timeout(10):
        await env.engine.drain()
    return action


async def undo(env) -> None:  # type: ignore[no-untyped-def]
    assert await env.engine.undo() is not None
    async with asyncio.timeout(10):
        await env.engine.drain()


def test_duration_counts_down_and_other_conditions_stay() -> None:
    thirty = IgnoredWith(IgnoreSpec(duration_min=30), at=1000.0)
    assert thirty.remaining(1000.0).duration_min == 30
    assert thirty.remaining(1000.0 + 10 * 60 + 1).duration_min == 20  # rounded up
    assert thirty.remaining(1000.0 + 3 * 3600).duration_min == 1  # never "forever"
    count = IgnoredWith(IgnoreSpec(count=100, window_min=60), at=0.0)
    assert count.remaining(99_999.0) == IgnoreSpec(count=100, window_min=60)
    assert IgnoredWith.from_json(thirty.to_json()) == thirty
    assert IgnoredWith.from_json({"spec": {}}) is None


def test_inverse_groups_by_condition() -> None:
    def issue(n: int) -> Issue:
        return Issue(
            source=Source.SENTRY,
            id=str(n),
            service="api",
            short_id=f"A-{n}",
            title="t",
            status=Status.IGNORED,
        )

    a, b, c = issue(1), issue(2), issue(3)
    specs = {"1": IgnoreSpec(duration_min=30), "2": IgnoreSpec(duration_min=30)}
    inverses = inverse_actions(
        act(ActionKind.RESOLVE, [a, b, c]), [a, b, c], actor="me", ignore_specs=specs
    )
    got = sorted((len(x.issues), x.ignore.duration_min or 0) for x in inverses)
    assert got == [(1, 0), (2, 30)]  # c's condition is unknown: forever


async def test_undo_of_resolve_reignores_with_the_original_condition(sentry_env) -> None:
    env = sentry_env
    a, b = await env.issues(2)
    await run(env, ActionKind.IGNORE, [a], ignore=IgnoreSpec(count=100))
    await run(env, ActionKind.IGNORE, [b], ignore=IgnoreSpec(user_count=10))
    await run(env, ActionKind.RESOLVE, [a, b])
    assert env.sim_issue(a).status == "resolved"
    await undo(env)
    assert env.sim_issue(a).status == "ignored"
    assert env.sim_issue(a).status_details == {"ignoreCount": 100}
    assert env.sim_issue(b).status_details == {"ignoreUserCount": 10}
    assert env.feed.issues[a.key].substatus == "archived_until_condition_met"


async def test_the_condition_survives_a_restart(sentry_env) -> None:
    env = sentry_env
    (issue,) = await env.issues(1)
    await run(env, ActionKind.IGNORE, [issue], ignore=IgnoreSpec(duration_min=120))
    await env.engine.close()
    engine = await env.new_engine()
    await engine.start()  # rebuilt from the outbox
    await run(env, ActionKind.IGNORE, [issue])  # forever now …
    assert env.sim_issue(issue).substatus == "archived_forever"
    await undo(env)  # … and back to two hours
    assert env.sim_issue(issue).status_details == {"ignoreDuration": 120}


async def test_unknown_condition_is_said_out_loud(sentry_env) -> None:
    env = sentry_env
    (issue,) = await env.issues(1)
    # ignored elsewhere (Sentry's web UI) on a condition this app never saw
    elsewhere = issue.model_copy(
        update={"status": Status.IGNORED, "substatus": "archived_until_condition_met"}
    )
    env.feed.issues[issue.key] = elsewhere
    await run(env, ActionKind.RESOLVE, [elsewhere])
    await undo(env)
    assert env.sim_issue(issue).status == "ignored"
    message, severity = env.feed.toasts[-1]
    assert severity == "warning" and "condition set outside sxtriage" in message


def test_mem_forgets_on_status_change() -> None:
    mem = IgnoreMemory(clock=lambda: 5.0)
    key = (Source.SENTRY, "1")
    mem.settled(act(ActionKind.IGNORE, [], ignore=IgnoreSpec(count=5)), [key])
    assert mem.get(key) == IgnoredWith(IgnoreSpec(count=5), 5.0)
    mem.settled(act(ActionKind.ASSIGN, [], assign_to="user:1"), [key])  # not a status change
    assert mem.get(key) is not None
    mem.settled(act(ActionKind.UNRESOLVE, []), [key])
    assert mem.get(key) is None


async def test_retry_sends_every_failed_action_in_order(sentry_env) -> None:
    env = sentry_env
    a, b = await env.issues(2)
    env.sim.faults.add("503@/issues/")
    first = await run(env, ActionKind.RESOLVE, [a])
    second = await run(env, ActionKind.UNRESOLVE, [a])
    third = await run(env, ActionKind.IGNORE, [b])
    assert list(env.engine.failed) == [first.id, second.id, third.id]
    env.sim.faults.clear()
    assert await env.engine.retry_all_failed() == 3
    async with asyncio.timeout(10):
        await env.engine.drain()
    assert env.engine.failed == {}
    assert env.sim_issue(a).status == "unresolved"  # resolve, then unresolve: in order
    assert env.sim_issue(b).status == "ignored"
    assert await env.engine.retry_all_failed() == 0
