"""A GitHub ticket from the keyboard is an outbox action like resolve: `t`, ctrl+s shows
the row pending (⟳) at once, then linked (⧉) when GitHub has it; `z` closes the ticket on
GitHub and removes the link; a refused ticket is rolled back and waits for ctrl+r."""

from __future__ import annotations

from textual.widgets import Input

from sxtriage.ui.modals.ticket import TicketModal

SIZE = (160, 45)


async def test_ticket_is_pending_then_linked_and_z_closes_it(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        repo = f"scenextras/{s.session.feed.get(key).service}"
        await s.cursor_on(pilot, key)
        s.sim.faults.add("latency=1500@/comments/")  # the Sentry note takes a while
        await pilot.press("t")
        await s.until(pilot, lambda: isinstance(s.app.screen, TicketModal), "the preview")
        await pilot.press("ctrl+s")
        await s.until(pilot, lambda: "⟳" in s.row(key), "the pending marker")
        (row,) = await s.store.query("SELECT state, action FROM outbox")
        assert '"create_ticket"' in row["action"]  # in the outbox before it is sent
        await s.until(pilot, lambda: "⧉" in s.row(key), "the ticket, still pending")
        (created,) = await s.github_issues(repo)
        url = created["html_url"]
        assert any(m.startswith(f"Created {url}") for m in s.messages())
        await s.until(pilot, lambda: "⟳" not in s.row(key), "the note in Sentry")
        s.sim.faults.clear()

        await pilot.press("z")
        await s.until(pilot, lambda: "⧉" not in s.row(key), "the link to go")
        await s.until(pilot, lambda: "⟳" not in s.row(key), "the undo to be sent")
        (closed,) = await s.github_issues(repo)
        assert closed["state"] == "closed" and closed["number"] == created["number"]
        assert await s.store.query("SELECT url FROM tickets") == []
        await pilot.press("O")
        await pilot.pause()
        assert s.opened == [] and "has no linked ticket" in s.messages()[-1]


async def test_refused_ticket_waits_for_retry(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        await s.cursor_on(pilot, key)
        await pilot.press("t")
        await s.until(pilot, lambda: isinstance(s.app.screen, TicketModal), "the preview")
        s.app.screen.query_one("#labels", Input).value = "bug, made-up"
        await pilot.press("ctrl+s")
        await s.until(pilot, lambda: s.messages("error"), "the error toast")
        error = s.messages("error")[-1]
        assert error.startswith("GitHub issue not created: GitHub refused the issue (422)")
        assert "made-up" in error
        engine = s.session.triage
        assert len(engine.failed) == 1 and "⟳" not in s.row(key) and "⧉" not in s.row(key)
        await pilot.press("ctrl+r")  # GitHub refuses it again: still failed, still no ticket
        await s.until(pilot, lambda: len(s.messages("error")) == 2, "the second refusal")
        assert len(engine.failed) == 1
        assert await s.github_issues(f"scenextras/{s.session.feed.get(key).service}") == []
