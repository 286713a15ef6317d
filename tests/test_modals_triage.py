"""Triage modals driven with Pilot in a tiny host App."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Input, Label, OptionList, TextArea

from sxtriage.models import IgnoreSpec
from sxtriage.triage.actions import AssignCandidate
from sxtriage.triage.github import GitHubIssue
from sxtriage.triage.ticket import TicketDraft
from sxtriage.ui.modals.archive import CHOICES, ArchiveModal
from sxtriage.ui.modals.assign import AssignModal, rank
from sxtriage.ui.modals.confirm import ConfirmModal
from sxtriage.ui.modals.priority import PriorityModal
from sxtriage.ui.modals.release import NoReleaseModal, ReleaseModal
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


async def test_archive_menu_puts_until_escalating_first_then_sentrys_options() -> None:
    app = Host(ArchiveModal(count=2))
    async with app.run_test() as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.option_count == len(CHOICES) == 14
        assert options.highlighted == 0
        assert "Until escalating" in str(options.get_option_at_index(0).prompt)
        assert "Archive 2 issues" in str(app.screen.query_one("#archive-title").render())
        await pilot.press("enter")  # Sentry's default
        await pilot.pause()
    assert app.results == [IgnoreSpec(until_escalating=True)]

    for presses, expected in (
        (("down",), IgnoreSpec()),  # forever
        (("down", "down", "down"), IgnoreSpec(duration_min=120)),
        (("end", "up", "up"), IgnoreSpec(user_count=10)),
    ):
        app = Host(ArchiveModal())
        async with app.run_test() as pilot:
            await pilot.pause()
            await pilot.press(*presses, "enter")
            await pilot.pause()
        assert app.results == [expected], presses

    app = Host(ArchiveModal())
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_archive_custom_condition_and_a_bad_one() -> None:
    app = Host(ArchiveModal())
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("end", "enter")  # "Custom condition…" opens the input
        await pilot.pause()
        box = app.screen.query_one("#archive-custom", Input)
        assert box.has_focus
        await pilot.press(*"7 parsecs", "enter")
        await pilot.pause()
        error = str(app.screen.query_one("#archive-error").render())
        assert "is not an archive condition" in error and "250 events" in error
        assert app.results == []  # still open: the user can fix it
        box.value = ""
        await pilot.press(*"100 events/hour", "enter")
        await pilot.pause()
    assert app.results == [IgnoreSpec(count=100, window_min=60)]


async def test_archive_options_the_server_lacks_are_shown_but_cannot_be_chosen() -> None:
    reason = "Archive until escalating: GlitchTip has no escalation forecasts"
    app = Host(ArchiveModal(until_escalating=reason))
    async with app.run_test() as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.get_option_at_index(0).disabled
        assert "unavailable" in str(options.get_option_at_index(0).prompt)
        assert reason in str(app.screen.query_one("#archive-note").render())
        assert options.highlighted == 1  # the first choice it can send: forever
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [IgnoreSpec()]


async def test_priority_menu_keys_and_current() -> None:
    app = Host(PriorityModal(count=3, current="low"))
    async with app.run_test() as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.highlighted == 2 and "current" in str(options.get_option_at_index(2).prompt)
        await pilot.press("h")
        await pilot.pause()
    assert app.results == ["high"]
    app = Host(PriorityModal())
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.results == ["medium"]


async def test_release_picker_filters_as_you_type_newest_first() -> None:
    from datetime import UTC, datetime, timedelta

    from sxtriage.models import Release

    now = datetime(2026, 3, 14, tzinfo=UTC)
    releases = [
        Release(version=f"api@2.{n}.0", date_created=now - timedelta(days=n)) for n in range(5)
    ]
    app = Host(ReleaseModal(releases, project="api", count=1, now=now))
    async with app.run_test() as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.option_count == 5
        first = str(options.get_option_at_index(0).prompt)
        assert "api@2.0.0" in first and "newest" in first
        await pilot.press(*"2.3")
        await pilot.pause()
        assert options.option_count == 1
        await pilot.press("enter")
        await pilot.pause()
    assert [r.version for r in app.results] == ["api@2.3.0"]
    app = Host(ReleaseModal(releases, project="api", now=now))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
    assert [r.version for r in app.results] == ["api@2.2.0"]


async def test_no_release_warning_offers_the_alternatives() -> None:
    app = Host(NoReleaseModal(["API-1", "API-2"], total=3))
    async with app.run_test() as pilot:
        await pilot.pause()
        why = str(app.screen.query_one("#norelease-why").render())
        assert "API-1, API-2" in why and "never" in why and "1 of the marked" in why
        await pilot.press("down", "down", "enter")  # archive until escalating
        await pilot.pause()
    assert app.results == ["archive"]


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
