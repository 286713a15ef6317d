"""Triage modals driven with Pilot in a tiny host App."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Input, Label, OptionList, TextArea

from sxtriage.models import IgnoreSpec
from sxtriage.triage.actions import AssignCandidate
from sxtriage.triage.github import GitHubIssue
from sxtriage.triage.ticket import TicketDraft
from sxtriage.ui.modals.assign import AssignModal, rank
from sxtriage.ui.modals.confirm import ConfirmModal
from sxtriage.ui.modals.ignore import IgnoreModal
from sxtriage.ui.modals.ticket import TicketModal


class Host(App[None]):
    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.modal = screen
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.modal, self.results.append)


async def test_confirm_yes_no_and_plain_text() -> None:
    for key, expected in (("y", True), ("n", False), ("escape", False), ("enter", True)):
        app = Host(ConfirmModal("Resolve 3 issues?", "API-1 [bold]x[/bold]"))
        async with app.run_test() as pilot:
            await pilot.pause()
            assert "[bold]" in str(app.screen.query_one("#details").render())
            await pilot.press(key)
            await pilot.pause()
        assert app.results == [expected]


async def test_ignore_menu_choices() -> None:
    app = Host(IgnoreModal(count=2))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.screen.query_one(OptionList).option_count == 10
        await pilot.press("down", "enter")  # second option: 2 hours
        await pilot.pause()
    assert app.results == [IgnoreSpec(duration_min=120)]

    app = Host(IgnoreModal())
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("end", "enter")  # forever
        await pilot.pause()
    assert app.results == [IgnoreSpec()]

    app = Host(IgnoreModal())
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


PEOPLE = [
    AssignCandidate("user:1", "oncall@scenextras.dev", "me", "me"),
    AssignCandidate("user:7", "maria@scenextras.dev", "recent", "recent"),
    AssignCandidate("team:1", "#backend", "suggested", "api team"),
    AssignCandidate("user:2", "jane@scenextras.dev", "member", "Jane Doe"),
    AssignCandidate("team:5", "#payments", "team", "Payments"),
    AssignCandidate(None, "nobody", "nobody", "unassign"),
]


def test_fuzzy_rank_order() -> None:
    assert rank(PEOPLE, "")[0].kind == "me"
    assert [c.actor for c in rank(PEOPLE, "")] == [c.actor for c in PEOPLE]
    assert rank(PEOPLE, "pay")[0].actor == "team:5"
    assert rank(PEOPLE, "jd")[0].actor == "user:2"  # subsequence of "Jane Doe"
    assert rank(PEOPLE, "zzz") == []


async def test_assign_modal_filters_and_picks() -> None:
    app = Host(AssignModal(PEOPLE))
    async with app.run_test() as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.option_count == len(PEOPLE)
        await pilot.press(*"jane")
        await pilot.pause()
        assert options.option_count == 1
        await pilot.press("enter")
        await pilot.pause()
    assert [r.actor for r in app.results] == ["user:2"]


async def test_assign_modal_default_is_me_and_arrows_move() -> None:
    app = Host(AssignModal(PEOPLE))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
    assert [r.actor for r in app.results] == ["team:1"]


async def test_ticket_modal_edit_and_create() -> None:
    draft = TicketDraft("scenextras/api", "[API] API-1F: boom", "body", ["bug"])
    app = Host(TicketModal(draft))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        title = app.screen.query_one("#title", Input)
        title.value = "[API] API-1F: edited"
        app.screen.query_one("#labels", Input).value = "bug, p1"
        app.screen.query_one("#body", TextArea).text = "new body"
        await pilot.press("ctrl+s")
        await pilot.pause()
    result = app.results[0]
    assert result.mode == "create"
    assert result.draft.title == "[API] API-1F: edited"
    assert result.draft.labels == ["bug", "p1"] and result.draft.body == "new body"


async def test_ticket_modal_offers_link_for_duplicate() -> None:
    dup = GitHubIssue(
        "scenextras/api", 12, "[API] API-1F: boom", "https://github.com/x/y/issues/12"
    )
    app = Host(TicketModal(TicketDraft("scenextras/api", "t", "b"), dup))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        labels = [str(w.render()) for w in app.screen.query(Label)]
        assert any("Already open: scenextras/api#12" in text for text in labels)
        await pilot.click("#link")
        await pilot.pause()
    assert app.results[0].mode == "link" and app.results[0].existing == dup


async def test_ticket_modal_rejects_bad_repo() -> None:
    app = Host(TicketModal(TicketDraft(None, "t", "b")))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []  # still open, error shown
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
