"""Sentry's issue workflow in the real app against the strict simulator: priority, archive
options, resolve in a release, the no-release warning, mark reviewed, bookmarks, issue
views as feed sections, and a 400 rolled back with Sentry's reason.

What reached the simulator is checked twice: the exact PUT body (an httpx request hook on
the app's own client) and what the simulator stored, read back through its API.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from textual.widgets import Input, OptionList

from sxtriage.core.views import ViewSections
from sxtriage.feed import SortKey
from sxtriage.models import IssueKey, Source, Status
from sxtriage.ui.modals.archive import CHOICES, ArchiveModal
from sxtriage.ui.modals.priority import PriorityModal
from sxtriage.ui.modals.release import NoReleaseModal, ReleaseModal
from tests.palette import search_palette

SIZE = (160, 45)
API = "/api/0/organizations/scenextras"


def record_puts(s: Any) -> list[tuple[str, Any]]:
    """(path, JSON body) of every PUT the app's Sentry client sends from now on."""
    sent: list[tuple[str, Any]] = []

    async def hook(request: httpx.Request) -> None:
        if request.method == "PUT":
            sent.append((request.url.path, json.loads(request.content or b"null")))

    s.session.sentry.t.http.event_hooks["request"].append(hook)
    return sent


async def stored(s: Any, key: IssueKey, *, inbox: bool = False) -> dict[str, Any]:
    """The issue as the simulator stored it, from its own issue-details endpoint."""
    params = [("expand", "inbox")] if inbox else []
    async with httpx.AsyncClient(headers={"Authorization": "Bearer test-token"}) as http:
        resp = await http.get(f"{s.sim.url}{API}/issues/{key[1]}/", params=params)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def settle(s: Any, pilot: Any, what: str) -> None:
    await s.until(pilot, lambda: not s.session.triage.pending, what)


# --- priority ----------------------------------------------------------------------------


async def test_priority_key_one_then_bulk_filter_sort_and_undo(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        puts = record_puts(s)
        feed = s.session.feed
        one, *three = s.sentry_keys(4)
        await s.cursor_on(pilot, one)
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(s.app.screen, PriorityModal)
        await pilot.press("l")
        await s.until(pilot, lambda: s.sim_issue(one).priority == "low", "P to reach Sentry")
        assert puts[-1] == (f"{API}/issues/{one[1]}/", {"priority": "low"})
        assert (await stored(s, one))["priority"] == "low"
        await settle(s, pilot, "P to settle")
        assert " low " in s.row(one) and feed.get(one).priority == "low"

        before = {k: s.sim_issue(k).priority for k in three}
        for key in three:
            s.issue_list.marks.add(key)
        await pilot.press("P", "m")
        await pilot.pause()
        assert "to medium?" in str(s.app.screen.query_one("#title").render())
        await pilot.press("y")
        await s.until(
            pilot, lambda: all(s.sim_issue(k).priority == "medium" for k in three), "bulk P"
        )
        assert puts[-1][0] == f"{API}/issues/" and puts[-1][1] == {"priority": "medium"}
        await settle(s, pilot, "bulk P to settle")
        assert all(" med " in s.row(k) for k in three)

        feed.set_filter("issue.priority:medium")
        assert set(three) <= set(feed.order)
        assert all(feed.get(k).priority == "medium" for k in feed.order)
        feed.set_filter("issue.priority:[low,medium]")
        assert {one, *three} <= set(feed.order) and len(feed.order) < feed.total
        feed.set_filter("!issue.priority:high")
        assert one in feed.order and all(feed.get(k).priority != "high" for k in feed.order)
        feed.set_filter("")

        s.app.feed_screen().set_sort(SortKey.PRIORITY)
        ranks = {"high": 3, "medium": 2, "low": 1}
        order = [ranks.get(feed.get(k).priority or "", 0) for k in feed.order]
        assert order == sorted(order, reverse=True) and order[-1] <= 1

        await pilot.press("z")  # undo the bulk: each back to its own priority
        await s.until(
            pilot, lambda: all(s.sim_issue(k).priority == before[k] for k in three), "undo"
        )


# --- archive --------------------------------------------------------------------------------

ARCHIVES = [
    ("escalating", None, "archived_until_escalating", {}),
    ("forever", None, "archived_forever", {}),
    ("2h", None, "archived_until_condition_met", {"ignoreDuration": 120}),
    ("e100", None, "archived_until_condition_met", {"ignoreCount": 100}),
    ("u10", None, "archived_until_condition_met", {"ignoreUserCount": 10}),
    (
        "custom",
        "50 users/day",
        "archived_until_condition_met",
        {"ignoreUserCount": 50, "ignoreUserWindow": 1440},
    ),
]


@pytest.mark.parametrize(("option", "typed", "substatus", "details"), ARCHIVES)
async def test_each_archive_option_sends_sentrys_body_and_shows_what_was_stored(
    triage_stack, option: str, typed: str | None, substatus: str, details: dict[str, int]
) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        puts = record_puts(s)
        (key,) = s.sentry_keys(1)
        previous = s.sim_issue(key).substatus
        await s.cursor_on(pilot, key)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(s.app.screen, ArchiveModal)
        index = [k for k, _label, _spec in CHOICES].index(option)
        await pilot.press(*["down"] * index, "enter")
        if typed is not None:
            await pilot.pause()
            await pilot.press(*typed, "enter")
        await s.until(pilot, lambda: s.sim_issue(key).status == "ignored", "the archive")
        body = {"status": "ignored", "statusDetails": details, "substatus": substatus}
        assert puts == [(f"{API}/issues/{key[1]}/", body)]  # as Sentry's archive.tsx sends
        got = await stored(s, key)
        assert got["status"] == "ignored" and got["substatus"] == substatus
        for name, value in details.items():
            if name != "ignoreDuration":  # Sentry answers a duration as ignoreUntil
                assert got["statusDetails"][name] == value
        await settle(s, pilot, "the archive to settle")
        shown = s.session.feed.get(key)  # as Sentry stored it (read back), not as guessed
        assert shown.status is Status.IGNORED and shown.substatus == got["substatus"]
        assert shown.status_details == got["statusDetails"]
        assert "arch" in s.row(key)

        await pilot.press("z")
        await s.until(pilot, lambda: s.sim_issue(key).status == "unresolved", "undo")
        assert puts[-1][1]["status"] == "unresolved"
        assert puts[-1][1]["substatus"] == (previous or "ongoing")


async def test_rearchiving_unarchives_first_and_shows_sentrys_stored_mode(triage_stack) -> None:
    """Sentry keeps the substatus of an issue whose status does not change: archiving an
    archived issue another way is done as Sentry's UI makes you (unarchive, archive)."""
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        puts = record_puts(s)
        (key,) = s.sentry_keys(1)
        await s.cursor_on(pilot, key)
        await pilot.press("i", "down", "down", "enter")  # for 30 minutes
        await s.until(pilot, lambda: s.sim_issue(key).status == "ignored", "30 minutes")
        await settle(s, pilot, "30 minutes to settle")
        await pilot.press("i", "enter")  # until escalating
        await s.until(
            pilot,
            lambda: s.sim_issue(key).substatus == "archived_until_escalating",
            "until escalating",
        )
        assert [b.get("status") for _p, b in puts[-2:]] == ["unresolved", "ignored"]
        await settle(s, pilot, "escalating to settle")
        assert (await stored(s, key))["substatus"] == "archived_until_escalating"
        assert s.session.feed.get(key).substatus == "archived_until_escalating"
        assert "arch·esc" in s.row(key)
        assert not [m for m in s.messages("warning") if "stored it" in m]


# --- resolve in a release ---------------------------------------------------------------------


async def test_resolve_in_a_chosen_release_from_the_projects_releases(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        puts = record_puts(s)
        (key,) = s.sentry_keys(1)
        issue = s.session.feed.get(key)
        versions = [r.version for r in s.sim.state.project_releases(issue.project)]
        await s.cursor_on(pilot, key)
        await pilot.press("L")
        await s.until(pilot, lambda: isinstance(s.app.screen, ReleaseModal), "the picker")
        modal = s.app.screen
        assert [r.version for r in modal.releases] == versions  # the project's, newest first
        assert "newest" in str(modal.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("down", "enter")  # the one before the newest
        await s.until(pilot, lambda: s.sim_issue(key).status == "resolved", "the resolve")
        body = {"status": "resolved", "statusDetails": {"inRelease": versions[1]}}
        assert puts[-1] == (f"{API}/issues/{key[1]}/", body | {"substatus": None})
        got = await stored(s, key)
        assert got["status"] == "resolved"
        assert got["statusDetails"]["inRelease"] == versions[1]
        await settle(s, pilot, "the resolve to settle")
        assert s.session.feed.get(key).status_details["inRelease"] == versions[1]
        await pilot.press("enter")
        await pilot.pause()
        head = str(s.app.screen.query_one("#issue-head").render())
        assert f"resolved in {versions[1]}" in head
        await pilot.press("escape")

        two = [k for k in s.issue_list.order if k[0] is Source.SENTRY]
        by_project: dict[str, IssueKey] = {}
        for k in two:
            by_project.setdefault(s.session.feed.get(k).project, k)
        s.issue_list.marks.update(list(by_project.values())[:2])
        await pilot.press("L")
        await pilot.pause()
        assert not isinstance(s.app.screen, ReleaseModal)
        assert any("one project at a time" in m for m in s.messages("warning"))


async def test_next_release_warns_when_the_events_carry_no_release(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        event = {
            "event_id": uuid.uuid4().hex,
            "platform": "python",
            "level": "error",
            "exception": {"values": [{"type": "NoReleaseError", "value": "built locally"}]},
        }
        async with httpx.AsyncClient() as http:
            url = f"{s.relay_server.url}/api/1/store/?sentry_key=k"
            assert (await http.post(url, json=event)).status_code == 200
        feed = s.session.feed
        await s.until(pilot, lambda: any(k[0] is Source.RELAY for k in feed.issues), "local")
        key = next(k for k in feed.issues if k[0] is Source.RELAY)
        await s.cursor_on(pilot, key)
        await pilot.press("R")
        await s.until(pilot, lambda: isinstance(s.app.screen, NoReleaseModal), "the warning")
        why = str(s.app.screen.query_one("#norelease-why").render())
        assert feed.get(key).short_id in why and "can never" in why
        assert feed.get(key).status is Status.UNRESOLVED  # nothing sent yet
        await pilot.press("enter")  # "Resolve now"
        await s.until(pilot, lambda: feed.get(key).status is Status.RESOLVED, "resolve now")
        await s.until(pilot, lambda: "⟳" not in s.row(key), "the marker")
        assert (await s.relay_issues())[key[1]]["status"] == "resolved"
        assert feed.get(key).status_details == {}  # resolved now, not "in next release"


# --- review, bookmarks -----------------------------------------------------------------------


async def test_mark_reviewed_and_undo_back_to_for_review(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        puts = record_puts(s)
        feed = s.session.feed
        waiting = [k for k in s.sentry_keys(10) if feed.get(k).for_review]
        reviewed = [k for k in s.sentry_keys(10) if not feed.get(k).for_review]
        assert waiting and reviewed
        key = waiting[0]
        assert "◆" in s.row(key)
        await s.cursor_on(pilot, key)
        await pilot.press("v")
        await s.until(pilot, lambda: s.sim_issue(key).inbox is None, "mark reviewed")
        assert puts[-1] == (f"{API}/issues/{key[1]}/", {"inbox": False})
        assert (await stored(s, key, inbox=True))["inbox"] is None
        await settle(s, pilot, "review to settle")
        assert "◆" not in s.row(key) and not feed.get(key).for_review

        await pilot.press("z")
        await s.until(pilot, lambda: s.sim_issue(key).inbox is not None, "back for review")
        assert puts[-1][1] == {"inbox": True}
        assert (await stored(s, key, inbox=True))["inbox"] is not None
        await s.until(pilot, lambda: "◆" in s.row(key), "the badge again")

        count = len(puts)
        await s.cursor_on(pilot, reviewed[0])
        await pilot.press("v")
        await pilot.pause()
        assert any("not waiting for review" in m for m in s.messages())
        assert len(puts) == count  # nothing sent


async def test_bookmark_toggle_and_filter(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        puts = record_puts(s)
        feed = s.session.feed
        key = next(k for k in s.sentry_keys(10) if not feed.get(k).is_bookmarked)
        await s.cursor_on(pilot, key)
        await pilot.press("b")
        await s.until(pilot, lambda: s.sim_issue(key).bookmarked, "the bookmark")
        assert puts[-1] == (f"{API}/issues/{key[1]}/", {"isBookmarked": True})
        assert (await stored(s, key))["isBookmarked"] is True
        await settle(s, pilot, "bookmark to settle")
        for query in ("is:bookmarked", "bookmarks:me"):
            feed.set_filter(query)
            assert key in feed.order and all(feed.get(k).is_bookmarked for k in feed.order)
        await pilot.press("b")
        await s.until(pilot, lambda: not s.sim_issue(key).bookmarked, "unbookmark")
        assert puts[-1][1] == {"isBookmarked": False}
        await settle(s, pilot, "unbookmark to settle")
        feed.set_filter("is:bookmarked")
        assert key not in feed.order or feed.leaving(key)


# --- issue views as feed sections -----------------------------------------------------------


async def test_views_from_config_and_sentry_are_feed_sections(triage_stack) -> None:
    from sxtriage.config import ViewConfig

    s = triage_stack
    s.session.sections = ViewSections.from_config(
        [
            ViewConfig(name="Escalating", query="is:escalating"),
            ViewConfig(name="API by events", query="is:unresolved", sort="freq", services=["api"]),
            ViewConfig(name="Broken", query="is:nonsense"),
        ]
    )
    s.session.sections.views[3] = s.session.sections.views[3].model_copy(
        update={"name": "[b]Broken[/b]"}  # a name is data, never markup
    )
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        feed = s.session.feed
        sections = s.session.sections
        await s.until(pilot, lambda: len(sections.views) == 6, "Sentry's saved views")
        names = [v.name for v in sections.views]
        assert names[:4] == ["All", "Escalating", "API by events", "[b]Broken[/b]"]
        from textual.content import Content

        from sxtriage.ui.commands import SxCommands

        titles = [
            Content.from_markup(t).plain for t, _r, _h in SxCommands(s.app.screen)._commands()
        ]
        assert "View: [b]Broken[/b]" in titles and "View: Mobile crashes" in titles
        assert set(names[4:]) == {"Mobile crashes", "Unassigned high priority"}
        status = s.app.feed_screen().query_one("#status")

        feed.set_filter("level:error")  # what "All" had: restored when coming back
        await pilot.press("V")
        await pilot.pause()
        assert feed.query.text == "is:escalating" and "view:Escalating" in str(status.render())
        await pilot.press("V")
        await pilot.pause()
        assert feed.scope == "api" and feed.sort is SortKey.EVENTS
        assert all(feed.get(k).service == "api" for k in feed.order)
        await pilot.press("V")  # "Broken": says why, stays where it was
        await pilot.pause()
        assert sections.view.name == "API by events"
        assert any("Broken" in m and "is:nonsense" in m for m in s.messages("warning"))

        s.app.feed_screen().show_view(names.index("Mobile crashes"))
        await pilot.pause()
        assert feed.scope == "mobile" and feed.query.text == "is:unresolved level:fatal"
        assert "view:Mobile crashes" in str(status.render())
        s.app.feed_screen().show_view(0)
        await pilot.pause()
        assert feed.query.text == "level:error" and feed.scope is None
        assert feed.sort is SortKey.LAST_SEEN and "view:" not in str(status.render())

        await pilot.press("colon")
        await pilot.pause()
        await search_palette(pilot, "View: Unassigned high")
        await pilot.press("enter")
        await s.until(pilot, lambda: sections.view.name == "Unassigned high priority", "palette")
        assert feed.query.text == "is:unresolved is:unassigned issue.priority:high"
        assert feed.sort is SortKey.EVENTS


# --- a 400 from Sentry -------------------------------------------------------------------


async def test_a_400_rolls_back_with_sentrys_reason_in_the_toast(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        project = s.session.feed.get(key).project
        # the project's releases are gone: Sentry cannot resolve "in the next release"
        s.sim.state.releases = [r for r in s.sim.state.releases if r.project != project]
        await s.cursor_on(pilot, key)
        await pilot.press("R")  # its events carry a release: no warning, the PUT is sent
        await s.until(pilot, lambda: s.messages("error"), "the failure toast")
        (toast,) = s.messages("error")
        assert "No release data present in the system to form a basis for 'Next Release'" in toast
        assert "Sentry refused it (400)" in toast and "Rolled back" in toast
        await s.until(pilot, lambda: "resolved" not in s.row(key), "the rollback on screen")
        assert s.session.feed.get(key).status is Status.UNRESOLVED
        assert s.sim_issue(key).status == "unresolved"
        assert (await stored(s, key))["status"] == "unresolved"


async def test_archive_custom_condition_typo_stays_in_the_modal(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        puts = record_puts(s)
        (key,) = s.sentry_keys(1)
        await s.cursor_on(pilot, key)
        await pilot.press("i", "end", "enter", *"lots", "enter")
        await pilot.pause()
        assert isinstance(s.app.screen, ArchiveModal)
        assert "not an archive condition" in str(s.app.screen.query_one("#archive-error").render())
        assert s.app.screen.query_one("#archive-custom", Input).value == "lots"
        await pilot.press("escape")
        await pilot.pause()
        assert puts == [] and s.sim_issue(key).status == "unresolved"


# --- badges and filters on plain feed data (no server) ----------------------------------------


def _workflow_issues() -> list[Any]:
    from tests.fixtures_ui import make_issue

    cases = [
        dict(substatus="new", for_review=True, inbox_reason="new", priority="high"),
        dict(substatus="ongoing", priority="medium"),
        dict(substatus="escalating", for_review=True, inbox_reason="escalating", priority="high"),
        dict(substatus="regressed", for_review=True, inbox_reason="regression", priority="low"),
        dict(status=Status.IGNORED, substatus="archived_until_escalating", priority="low"),
        dict(
            status=Status.IGNORED,
            substatus="archived_until_condition_met",
            status_details={"ignoreCount": 100, "ignoreWindow": 60},
        ),
        dict(substatus="frobnicated", priority="critical"),  # values this version never saw
        dict(substatus=None, priority=None, is_bookmarked=True),
    ]
    return [make_issue(n, service="api", **case) for n, case in enumerate(cases)]


async def test_substatus_priority_badges_filters_and_unknown_values(ui_app) -> None:
    issues = _workflow_issues()
    app = ui_app(issues)
    keys = [i.key for i in issues]
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        lst = app.feed_screen().issue_list

        def row(key: IssueKey) -> str:
            return lst.render_line(lst.position(key) + 1 - int(lst.scroll_y)).text

        header = lst.render_line(0).text
        assert "PRI" in header and "STATE" in header
        expect = ["new", "ongoing", "escalating", "regressed", "arch·esc", "arch·cond", "?"]
        for key, word in zip(keys, expect, strict=False):
            assert f" {word} " in row(key), (word, row(key))
        assert " open " in row(keys[7])
        assert [" high " in row(keys[0]), " med " in row(keys[1]), " low " in row(keys[3])] == [
            True,
            True,
            True,
        ]
        assert " ? " in row(keys[6])  # priority "critical": unknown, shown as ?
        assert "◆" in row(keys[0]) and "◆" in row(keys[2]) and "◆" not in row(keys[1])

        feed = app.session.feed
        for query, wanted in (
            ("is:new", {0}),
            ("is:ongoing", {1}),
            ("is:escalating", {2}),
            ("is:regressed", {3}),
            ("is:archived", {4, 5}),
            ("is:archived_until_escalating", {4}),
            ("is:for_review", {0, 2, 3}),
            ("is:bookmarked", {7}),
            ("issue.priority:high", {0, 2}),
            ("issue.priority:[high,medium]", {0, 1, 2}),
            ("is:unresolved !is:for_review", {1, 6, 7}),
        ):
            feed.set_filter(query)
            assert {keys.index(k) for k in feed.order} == wanted, query
        feed.set_filter("")

        app.open_issue(keys[5])
        await pilot.pause()
        head = str(app.screen.query_one("#issue-head").render())
        assert "archived until 100 more events per hour" in head
        await pilot.press("escape")
        app.open_issue(keys[6])
        await pilot.pause()
        head = str(app.screen.query_one("#issue-head").render())
        assert "unknown substatus 'frobnicated'" in head and "unknown priority" in head
        await pilot.press("escape")
        app.open_issue(keys[2])
        await pilot.pause()
        head = str(app.screen.query_one("#issue-head").render())
        assert "escalating" in head and "for review (escalating)" in head


@pytest.mark.parametrize("size", [(80, 24), (40, 12)])
async def test_badges_fit_narrow_terminals(ui_app, size: tuple[int, int]) -> None:
    issues = _workflow_issues()
    app = ui_app(issues)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lst = app.feed_screen().issue_list
        lines = [lst.render_line(y).text for y in range(min(lst.size.height, 9))]
        # every row fills the list's width beside its scrollbar, never more
        width = lst.scrollable_content_region.width
        assert width >= size[0] - 2
        assert all(len(line) == width for line in lines), [len(x) for x in lines]
        body = "\n".join(lines)
        assert "◆NEW " in body and "◆ESC " in body and "◆REG " in body and "ARC " in body
        assert "…" not in "".join(line[:24] for line in lines)  # badges are never cut
        assert ("PRI" in lines[0]) is (size[0] >= 80)
        assert all(re.search(r"\d+[smhdw]\s*$", line) for line in lines[1:])  # LAST kept


def test_server_only_terms_match_locally_and_are_named() -> None:
    from sxtriage.search import SearchError, compile_query
    from tests.fixtures_ui import make_issue

    query = compile_query("age:-24h issue.category:error is:unresolved")
    assert query.server_only == ["age:-24h", "issue.category:error"]
    assert query.matches(make_issue(1))
    with pytest.raises(SearchError, match=re.escape("use issue.priority:high, medium or low")):
        compile_query("issue.priority:urgent")
    with pytest.raises(SearchError, match="unknown is:soon"):
        compile_query("is:soon")


async def test_a_feature_the_server_lacks_is_said_and_never_sent(triage_stack) -> None:
    import dataclasses

    from sxtriage.sentry.capabilities import Capabilities, Feature
    from sxtriage.ui.screens.help import HelpScreen

    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        client = s.session.sentry
        await client.detect()
        missing = {
            Feature.PRIORITY: "this server has no issue priority",
            Feature.ARCHIVE_UNTIL_ESCALATING: "this server has no escalation forecasts",
        }
        client.wire = dataclasses.replace(client.wire, capabilities=Capabilities(missing=missing))
        puts = record_puts(s)
        (key,) = s.sentry_keys(1)
        await s.cursor_on(pilot, key)
        await pilot.press("P")
        await pilot.pause()
        assert not isinstance(s.app.screen, PriorityModal)
        assert "Priority is unavailable: this server has no issue priority" in s.messages()[-1]

        await pilot.press("i")
        await pilot.pause()
        options = s.app.screen.query_one(OptionList)
        assert options.get_option_at_index(0).disabled and options.highlighted == 1
        assert "no escalation forecasts" in str(s.app.screen.query_one("#archive-note").render())
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert isinstance(s.app.screen, HelpScreen)
        assert s.app.screen.unavailable["set_priority"] == missing[Feature.PRIORITY]
        await pilot.press("escape")
        assert puts == []
