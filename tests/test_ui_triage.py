"""Triage keys in the real app against the real Sentry simulator: status, ignore, assign.

Every test presses the key in a running SxTriageApp wired to a SimServer and checks both
what the row shows (status, assignee, the ⟳ pending marker) and what the simulator holds.
"""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from sxtriage.models import Status
from sxtriage.ui.modals.archive import ArchiveModal
from sxtriage.ui.modals.assign import AssignModal
from tests.palette import search_palette

SIZE = (160, 45)
OPEN_WORDS = (" new ", " ongoing ", " open ", " escalating ", " regressed ")


def is_open(row: str) -> bool:
    """The STATE column shows an unresolved issue (its substatus, or "open")."""
    return any(word in row for word in OPEN_WORDS)


async def test_resolve_is_optimistic_pending_then_sent_and_undone(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        await s.cursor_on(pilot, key)
        assert is_open(s.row(key)) and "⟳" not in s.row(key)
        s.sim.faults.add(f"latency=700@/issues/{key[1]}/")  # the PUT is slow: see it pending
        await pilot.press("r")
        await s.until(pilot, lambda: "⟳" in s.row(key), "the pending marker")
        assert "resolved" in s.row(key)  # the screen changed before the server did
        assert s.sim_issue(key).status == "unresolved"
        await s.until(pilot, lambda: s.sim_issue(key).status == "resolved", "the PUT")
        await s.until(pilot, lambda: "⟳" not in s.row(key), "the marker to clear")
        assert "resolved" in s.row(key)
        assert s.session.feed.get(key).status is Status.RESOLVED
        s.sim.faults.clear()

        await pilot.press("z")
        await s.until(pilot, lambda: s.sim_issue(key).status == "unresolved", "undo")
        await s.until(pilot, lambda: is_open(s.row(key)), "the row to reopen")
        assert any("Undo: Resolve" in m for m in s.messages())
        audit = await s.store.query("SELECT kind FROM audit WHERE kind != 'alert' ORDER BY seq")
        assert [r["kind"] for r in audit] == ["resolve", "unresolve"]


async def test_resolve_next_release_then_unresolve(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        await s.cursor_on(pilot, key)
        await pilot.press("R")  # its latest event carries a release: no warning
        await s.until(pilot, lambda: "resolved" in s.row(key), "R on screen")
        await s.until(pilot, lambda: s.sim_issue(key).status == "resolved", "R to reach Sentry")
        assert s.sim_issue(key).status_details == {"inNextRelease": True}
        assert s.session.feed.get(key).status_details.get("inNextRelease") is True
        await pilot.press("u")
        await s.until(pilot, lambda: is_open(s.row(key)), "u on screen")
        await s.until(pilot, lambda: s.sim_issue(key).status == "unresolved", "u")
        assert s.sim_issue(key).substatus == "ongoing"
        await s.until(pilot, lambda: "⟳" not in s.row(key), "the marker to clear")


async def test_archive_menu_and_undo_restores_the_original_condition(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        sim = s.sim_issue(key)
        await s.cursor_on(pilot, key)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(s.app.screen, ArchiveModal)
        assert s.app.screen.query_one(OptionList).option_count == 14
        await pilot.press("down", "down", "enter")  # "For 30 minutes"
        await s.until(pilot, lambda: "arch·cond" in s.row(key), "the archive on screen")
        await s.until(pilot, lambda: sim.status == "ignored", "the archive")
        assert sim.status_details == {"ignoreDuration": 30}
        await s.until(pilot, lambda: not s.session.triage.pending, "the archive to settle")

        await pilot.press("i", "down", "enter")  # now archive it forever
        await s.until(pilot, lambda: sim.substatus == "archived_forever", "archive forever")
        assert sim.status_details == {}
        await s.until(pilot, lambda: not s.session.triage.pending, "forever to settle")

        await pilot.press("z")  # back to "for 30 minutes", not "forever"
        await s.until(pilot, lambda: sim.status_details != {}, "the undo")
        assert sim.status == "ignored" and sim.substatus == "archived_until_condition_met"
        assert sim.status_details == {"ignoreDuration": 30}
        assert "arch·cond" in s.row(key)
        await s.until(pilot, lambda: not s.session.triage.pending, "the undo to settle")

        await pilot.press("z")  # and the first ignore: open again
        await s.until(pilot, lambda: sim.status == "unresolved", "the second undo")
        await s.until(pilot, lambda: is_open(s.row(key)), "the row to reopen")


async def test_assign_modal_fuzzy_assign_to_me_and_undo(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        sim = s.sim_issue(key)
        await s.cursor_on(pilot, key)
        await pilot.press("a")
        await s.until(pilot, lambda: isinstance(s.app.screen, AssignModal), "the assign modal")
        modal = s.app.screen
        assert modal.candidates[0].kind == "me"
        assert modal.candidates[0].label == "oncall@scenextras.dev"
        await pilot.press(*"rvi")  # fuzzy: a subsequence of "ravi"
        await pilot.pause()
        assert modal.shown[0].label == "ravi@scenextras.dev"
        await pilot.press("enter")
        await s.until(pilot, lambda: "ravi@scenextras" in s.row(key), "the assignee on screen")
        await s.until(pilot, lambda: sim.assigned == "user:3", "the assignment")

        await pilot.press("A")
        await s.until(pilot, lambda: sim.assigned == "user:1", "assign to me")
        assert "oncall@scenextr" in s.row(key)
        await s.until(pilot, lambda: not s.session.triage.pending, "A to settle")

        await pilot.press("a")  # the recent assignee comes right after "me"
        await s.until(pilot, lambda: isinstance(s.app.screen, AssignModal), "the modal again")
        first, second = s.app.screen.candidates[:2]
        assert (first.kind, second.kind, second.label) == ("me", "recent", "ravi@scenextras.dev")
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("z")
        await s.until(pilot, lambda: sim.assigned == "user:3", "undo to the previous assignee")
        await s.until(pilot, lambda: "ravi@scenextras" in s.row(key), "the row")


async def test_bulk_resolve_confirms_once_keeps_marks_and_uses_one_request(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        lst = s.issue_list
        keys = lst.order[:3]
        await s.cursor_on(pilot, keys[0])
        await pilot.press("space", "space", "space")
        assert lst.marks == set(keys)
        assert all(s.row(k).startswith("●") for k in keys)

        await pilot.press("R")  # cancel: nothing is sent
        await pilot.pause()
        assert type(s.app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")
        await pilot.pause()
        assert all(is_open(s.row(k)) for k in keys)

        puts = len([r for r in s.sim.requests if r.method == "PUT"])
        await pilot.press("r")
        await pilot.pause()
        assert "Resolve 3 issues?" in str(s.app.screen.query_one("#title").render())
        await pilot.press("y")
        await s.until(
            pilot, lambda: all(s.sim_issue(k).status == "resolved" for k in keys), "bulk resolve"
        )
        assert len([r for r in s.sim.requests if r.method == "PUT"]) - puts == 1  # bulk endpoint
        assert lst.marks == set(keys)  # the selection is kept after the action
        await s.until(pilot, lambda: not s.session.triage.pending, "the bulk to settle")
        assert all("resolved" in s.row(k) and s.row(k).startswith("●") for k in keys)
        assert all(s.sim_issue(k).status == "unresolved" for k in lst.order[3:6])

        await pilot.press("z")
        await s.until(
            pilot, lambda: all(s.sim_issue(k).status == "unresolved" for k in keys), "bulk undo"
        )
        await s.until(pilot, lambda: all(is_open(s.row(k)) for k in keys), "rows reopened")


@pytest.mark.parametrize(
    ("code", "words", "retry_by"),
    [("403", "no permission (403)", "palette"), ("503", "server error (503)", "action")],
)
async def test_fault_rolls_back_on_screen_then_retry_failed(
    triage_stack, code: str, words: str, retry_by: str
) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        await s.cursor_on(pilot, key)
        s.sim.faults.add(f"latency=1000@/issues/{key[1]}/")  # long enough to see it
        s.sim.faults.add(f"{code}@/issues/{key[1]}/")
        await pilot.press("r")
        await s.until(  # optimistic …
            pilot, lambda: "resolved" in s.row(key) and "⟳" in s.row(key), "the pending row"
        )
        await s.until(pilot, lambda: s.messages("error"), "the failure toast")
        (toast,) = s.messages("error")
        assert words in toast and key_short(s, key) in toast and "Rolled back" in toast
        assert "Retry failed action" in toast
        await s.until(pilot, lambda: is_open(s.row(key)), "the rollback on screen")
        assert "⟳" not in s.row(key)
        assert s.sim_issue(key).status == "unresolved"
        assert s.session.feed.get(key).status is Status.UNRESOLVED
        rows = await s.store.query("SELECT state, last_error FROM outbox")
        assert [r["state"] for r in rows] == ["failed"] and words in rows[0]["last_error"]

        s.sim.faults.clear()
        if retry_by == "palette":  # reachable from the keyboard: `:` then its title
            await pilot.press("ctrl+p")
            await pilot.pause()
            await search_palette(pilot, "Retry failed")
            await pilot.press("enter")
        else:  # the mixin action the key registry binds
            await s.app.run_action("retry_failed")
        await s.until(pilot, lambda: s.sim_issue(key).status == "resolved", "the retry")
        await s.until(pilot, lambda: "resolved" in s.row(key) and "⟳" not in s.row(key), "row")
        assert any("Retrying 1 failed action" in m for m in s.messages())
        rows = await s.store.query("SELECT state FROM outbox")
        assert [r["state"] for r in rows] == ["done"]
        await s.app.run_action("retry_failed")
        await pilot.pause()
        assert s.messages()[-1] == "No failed action to retry."


def key_short(s, key) -> str:  # type: ignore[no-untyped-def]
    return s.session.feed.get(key).short_id
