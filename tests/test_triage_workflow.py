"""The triage engine and Sentry's workflow rules, against the strict simulator: resolution
per project, a change of resolution or archive mode (Sentry keeps a status it does not
change), undo of priority / review / resolve-in-release, read-back, Sentry's bodies."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

from sxtriage.models import Action, ActionKind, IgnoreSpec, Issue, Source, Status
from sxtriage.sentry.errors import error_for_status
from sxtriage.sentry.update import IssueUpdate
from sxtriage.triage.effects import describe_error, inverse_actions, read_back, stored_differs
from sxtriage.triage.ignore_memory import condition_unknown, spec_from_issue
from tests.fixtures_ui import make_issue


def act(kind: ActionKind, issues: list[Issue], **kw) -> Action:  # type: ignore[no-untyped-def]
    return Action(id=uuid.uuid4().hex, kind=kind, issues=[i.key for i in issues], **kw)


async def run(env, kind: ActionKind, issues: list[Issue], **kw) -> Action:  # type: ignore[no-untyped-def]
    action = act(kind, issues, **kw)
    await env.engine.submit(action, issues)
    async with asyncio.timeout(20):
        await env.engine.drain()
    return action


async def undo(env) -> None:  # type: ignore[no-untyped-def]
    assert await env.engine.undo() is not None
    async with asyncio.timeout(20):
        await env.engine.drain()


def puts(env) -> int:  # type: ignore[no-untyped-def]
    return len([r for r in env.sim.requests if r.method == "PUT"])


def test_bodies_are_the_ones_sentrys_ui_sends() -> None:
    assert IssueUpdate(status="resolved").to_json() == {
        "status": "resolved",
        "statusDetails": {},
        "substatus": None,
    }
    assert IssueUpdate(status="resolved", in_release="api@1.2").to_json() == {
        "status": "resolved",
        "statusDetails": {"inRelease": "api@1.2"},
        "substatus": None,
    }
    assert IssueUpdate(status="unresolved").to_json() == {
        "status": "unresolved",
        "statusDetails": {},
        "substatus": "ongoing",
    }
    assert IssueUpdate(status="unresolved", substatus="bogus").to_json()["substatus"] == "ongoing"
    spec = IgnoreSpec(until_escalating=True)
    assert IssueUpdate(status="ignored", ignore=spec).to_json() == {
        "status": "ignored",
        "statusDetails": {},
        "substatus": "archived_until_escalating",
    }
    spec = IgnoreSpec(user_count=10, user_window_min=60)
    assert IssueUpdate(status="ignored", ignore=spec).to_json() == {
        "status": "ignored",
        "statusDetails": {"ignoreUserCount": 10, "ignoreUserWindow": 60},
        "substatus": "archived_until_condition_met",
    }
    assert IssueUpdate(priority="high").to_json() == {"priority": "high"}
    assert IssueUpdate(inbox=False).to_json() == {"inbox": False}


async def test_next_release_for_two_projects_is_one_request_per_project(sentry_env) -> None:
    env = sentry_env
    issues = await env.issues(60)
    pair = [next(i for i in issues if i.project == p) for p in ("api", "web")]
    before = puts(env)
    await run(env, ActionKind.RESOLVE_NEXT_RELEASE, pair)
    assert puts(env) - before == 2  # Sentry refuses one request across projects
    assert all(env.sim_issue(i).status == "resolved" for i in pair)
    assert all(env.feed.issues[i.key].status_details.get("inNextRelease") for i in pair)
    assert not [t for t in env.feed.toasts if t[1] == "error"]


async def test_a_resolved_issue_resolved_again_in_a_release_and_undone(sentry_env) -> None:
    env = sentry_env
    (issue,) = await env.issues(1)
    version = env.sim.state.project_releases(issue.project)[1].version
    await run(env, ActionKind.RESOLVE, [issue])
    now = env.feed.issues[issue.key]
    await run(env, ActionKind.RESOLVE_IN_RELEASE, [now], release=version)
    fetched = await env.client.get_issue(issue.id)
    assert fetched.status is Status.RESOLVED
    assert fetched.status_details.get("inRelease") == version  # not kept as "resolved now"
    assert env.feed.issues[issue.key].status_details.get("inRelease") == version
    await undo(env)  # back to resolved *now*: unresolved first, then resolved
    fetched = await env.client.get_issue(issue.id)
    assert fetched.status is Status.RESOLVED and "inRelease" not in fetched.status_details


async def test_priority_and_review_undo_put_back_each_issue(sentry_env) -> None:
    env = sentry_env
    a, b = await env.issues(2)
    was = {i.id: env.sim_issue(i).priority for i in (a, b)}
    await run(env, ActionKind.SET_PRIORITY, [a, b], priority="low")
    assert {env.sim_issue(i).priority for i in (a, b)} == {"low"}
    await undo(env)
    assert {i.id: env.sim_issue(i).priority for i in (a, b)} == was

    a = env.feed.issues[a.key].model_copy(update={"for_review": True})
    await run(env, ActionKind.REVIEW, [a], for_review=False)
    assert env.sim_issue(a).inbox is None and not env.feed.issues[a.key].for_review
    await undo(env)
    assert env.sim_issue(a).inbox is not None and env.feed.issues[a.key].for_review


def test_inverse_of_priority_skips_issues_that_had_none() -> None:
    had, none = make_issue(1, priority="medium"), make_issue(2, priority=None)
    (back,) = inverse_actions(
        act(ActionKind.SET_PRIORITY, [had, none], priority="high"), [had, none], actor="me"
    )
    assert back.kind is ActionKind.SET_PRIORITY and back.priority == "medium"
    assert back.issues == [had.key]


def test_read_back_and_what_sentry_stored_differently() -> None:
    shown = make_issue(1, linked_ticket="https://github.com/o/r/issues/1")
    action = act(ActionKind.ARCHIVE, [shown], ignore=IgnoreSpec(until_escalating=True))
    forever = shown.model_copy(update={"status": Status.IGNORED, "substatus": "archived_forever"})
    assert stored_differs(action, forever) == "archived forever, not archived until escalating"
    back = read_back(shown, forever)
    assert back.substatus == "archived_forever" and back.linked_ticket == shown.linked_ticket
    same = forever.model_copy(update={"substatus": "archived_until_escalating"})
    assert stored_differs(action, same) is None
    prio = act(ActionKind.SET_PRIORITY, [shown], priority="high")
    assert stored_differs(prio, shown.model_copy(update={"priority": "low"})) is not None


def test_archive_mode_from_what_sentry_stored() -> None:
    until = (datetime.now(UTC) + timedelta(minutes=42)).isoformat()
    base = make_issue(1, status=Status.IGNORED)
    cases = [
        ({"substatus": "archived_until_escalating"}, IgnoreSpec(until_escalating=True)),
        ({"substatus": "archived_forever"}, IgnoreSpec()),
        (
            {"substatus": "archived_until_condition_met", "status_details": {"ignoreCount": 7}},
            IgnoreSpec(count=7),
        ),
        (
            {"substatus": "archived_until_condition_met", "status_details": {"ignoreUntil": until}},
            IgnoreSpec(duration_min=42),
        ),
    ]
    for update, spec in cases:
        issue = base.model_copy(update=update)
        got = spec_from_issue(issue)
        assert got is not None
        if spec.duration_min:
            assert got.duration_min in (41, 42, 43)
        else:
            assert got == spec
        assert not condition_unknown(issue)
    blind = base.model_copy(update={"substatus": "archived_until_condition_met"})
    assert spec_from_issue(blind) is None and condition_unknown(blind)


def test_a_400_names_sentrys_reason() -> None:
    err = error_for_status(
        400,
        url="/api/0/organizations/o/issues/1/",
        detail="statusDetails: inRelease: Unable to find a release with the given version.",
    )
    text = describe_error(err)
    assert text.startswith("Sentry refused it (400): ")
    assert "Unable to find a release with the given version." in text
    assert "no longer exists" in describe_error(error_for_status(404, url="/x", detail="gone"))


async def test_an_old_outbox_row_of_kind_ignore_replays_as_archive(sentry_env) -> None:
    env = sentry_env
    (issue,) = await env.issues(1)
    await env.engine.close()
    action = act(ActionKind.ARCHIVE, [issue], ignore=IgnoreSpec(count=5))
    row = json.loads(action.model_dump_json())
    row["kind"] = "ignore"  # as written before archive was renamed
    await env.store.write(
        "INSERT INTO outbox(id, action, state, attempts, undo, created, updated) "
        "VALUES(?, ?, 'pending', 0, ?, 0, 0)",
        (action.id, json.dumps(row), json.dumps({"previous": [issue.model_dump(mode="json")]})),
    )
    engine = await env.new_engine()
    assert await engine.start() == 1
    async with asyncio.timeout(20):
        await engine.drain()
    assert env.sim_issue(issue).status == "ignored"
    assert env.sim_issue(issue).substatus == "archived_until_condition_met"
    assert env.feed.issues[issue.key].source is Source.SENTRY
