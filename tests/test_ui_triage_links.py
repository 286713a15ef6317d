"""GitHub tickets, open/copy and local (relay) issues through the real app.

`t` creates a ticket through the GitHub simulator (or links an open one with the same
short id), `O`/`o` open only http(s) links through the injected opener, `y` copies with
OSC 52 (or says to copy by hand), and actions on relay issues reach the relay's store.
"""

from __future__ import annotations

import asyncio

import httpx
from textual.widgets import Input, TextArea

from sxtriage.models import IssueDelta, Source, Status
from sxtriage.triage.ticket import scrub
from sxtriage.ui.modals.assign import AssignModal
from sxtriage.ui.modals.ticket import TicketModal

SIZE = (160, 45)


async def test_ticket_create_link_note_and_open(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        issue = s.session.feed.get(key)
        repo = f"scenextras/{issue.service}"
        await s.cursor_on(pilot, key)
        await pilot.press("O")
        await pilot.pause()
        assert s.messages()[-1].startswith(f"{issue.short_id} has no linked ticket")

        await pilot.press("t")
        await s.until(pilot, lambda: isinstance(s.app.screen, TicketModal), "the preview")
        modal = s.app.screen
        title = modal.query_one("#title", Input).value
        assert title.startswith(f"[{issue.service.upper()}] {issue.short_id}: ")
        assert modal.query_one("#repo", Input).value == repo
        body = modal.query_one("#body", TextArea).text
        assert issue.permalink in body and "### Top in-app frames" in body
        assert modal.duplicate is None
        modal.query_one("#labels", Input).value = "bug, p1"  # editable before sending
        await pilot.press("ctrl+s")
        await s.until(pilot, lambda: "⧉" in s.row(key), "the ticket marker")
        (created,) = await s.github_issues(repo)
        assert created["title"] == title and [x["name"] for x in created["labels"]] == [
            "bug",
            "p1",
        ]
        url = created["html_url"]
        notes = s.sim.state.notes
        await s.until(pilot, lambda: notes.get(int(key[1])), "the note in Sentry")
        assert [n["data"]["text"] for n in notes[int(key[1])]] == [f"GitHub issue: {url}"]
        rows = await s.store.query("SELECT url FROM tickets WHERE issue_id=?", (key[1],))
        assert [r["url"] for r in rows] == [url]

        await pilot.press("O")
        await pilot.pause()
        assert s.opened == [url]

        # a second `t` finds the open ticket: linking it again changes nothing
        await pilot.press("t")
        await s.until(pilot, lambda: isinstance(s.app.screen, TicketModal), "the preview again")
        assert s.app.screen.duplicate is not None and s.app.screen.duplicate.url == url
        await pilot.click("#link")
        await pilot.pause()
        assert len(await s.github_issues(repo)) == 1
        assert any("already linked" in m for m in s.messages())
        assert len(notes[int(key[1])]) == 1


async def test_ticket_opened_elsewhere_is_linked_not_duplicated(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        issue = s.session.feed.get(key)
        repo = f"scenextras/{issue.service}"
        # a teammate already filed it (straight through the GitHub API)
        async with httpx.AsyncClient(headers={"Authorization": "Bearer x"}) as http:
            resp = await http.post(
                f"{s.sim.github_url}/repos/{repo}/issues",
                json={"title": f"{issue.short_id} is flaky", "body": "seen on call"},
            )
        url = resp.json()["html_url"]
        await s.cursor_on(pilot, key)
        await pilot.press("t")
        await s.until(pilot, lambda: isinstance(s.app.screen, TicketModal), "the preview")
        assert s.app.screen.duplicate is not None
        await pilot.click("#link")
        await s.until(pilot, lambda: "⧉" in s.row(key), "the ticket marker")
        assert len(await s.github_issues(repo)) == 1  # linked, not created
        await s.until(pilot, lambda: s.sim.state.notes.get(int(key[1])), "the note")
        assert s.sim.state.notes[int(key[1])][0]["data"]["text"] == f"GitHub issue: {url}"
        await pilot.press("O")
        await pilot.pause()
        assert s.opened == [url]


async def test_open_and_copy_only_web_links(triage_stack) -> None:
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        key, hostile = s.sentry_keys(2)
        issue = s.session.feed.get(key)
        await s.cursor_on(pilot, key)
        await pilot.press("o")
        await pilot.pause()
        assert s.opened == [issue.permalink] and issue.permalink.startswith("https://")

        await pilot.press("y")
        await pilot.pause()
        assert s.app.clipboard == issue.permalink  # written as OSC 52 to the terminal
        assert s.messages()[-1].startswith(f"Copied {issue.permalink}")

        def broken(text: str) -> None:
            raise OSError("no terminal")

        s.app.copy_to_clipboard = broken  # type: ignore[method-assign]
        await pilot.press("y")
        await pilot.pause()
        assert s.messages()[-1] == (f"Clipboard unavailable; copy it by hand: {issue.permalink}")

        # over SSH nothing is launched: the link is shown instead
        s.app.link_env = {"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"}
        await pilot.press("o")
        await pilot.pause()
        assert s.opened == [issue.permalink]
        assert "No browser here" in s.messages()[-1]

        # a source that sends other schemes: nothing is opened
        s.app.link_env = {"DISPLAY": ":0"}
        bad = s.session.feed.get(hostile).model_copy(
            update={"permalink": "javascript:alert(1)", "linked_ticket": "file:///etc/passwd"}
        )
        s.session.feed.apply(IssueDelta(source=Source.SENTRY, upserts=[bad]))
        await s.cursor_on(pilot, hostile)
        await pilot.press("o", "O")
        await pilot.pause()
        assert s.opened == [issue.permalink]
        assert [m for m in s.messages("warning") if "only http(s) links" in m][-2:] == [
            "Not opening 'javascript:alert(1)': only http(s) links are opened",
            "Not opening 'file:///etc/passwd': only http(s) links are opened",
        ]


async def _relay_state(s, issue_id: str, field: str, want: object, within: float = 10.0):  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        issue = (await s.relay_issues()).get(issue_id, {})
        if issue.get(field) == want:
            return issue
        assert loop.time() < deadline, f"relay issue {issue_id}: {field}={issue.get(field)!r}"
        await asyncio.sleep(0.05)


async def test_actions_on_local_issues_reach_the_relay(triage_stack) -> None:
    s = triage_stack
    raw = "checkout failed for jane@example.com with card 4111 1111 1111 1111"
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        await s.send_relay_event(raw)
        feed = s.session.feed
        await s.until(
            pilot, lambda: any(k[0] is Source.RELAY for k in feed.issues), "the local issue"
        )
        key = next(k for k in feed.issues if k[0] is Source.RELAY)
        await s.cursor_on(pilot, key)
        assert " open " in s.row(key)

        await pilot.press("r")
        await s.until(pilot, lambda: "resolved" in s.row(key), "the optimistic row")
        await _relay_state(s, key[1], "status", "resolved")
        await s.until(pilot, lambda: "⟳" not in s.row(key), "the marker to clear")
        assert feed.get(key).status is Status.RESOLVED

        await pilot.press("a")
        await s.until(pilot, lambda: isinstance(s.app.screen, AssignModal), "the assign modal")
        await pilot.press(*"jane", "enter")
        await _relay_state(s, key[1], "assignee", "jane@scenextras.dev")
        await s.until(pilot, lambda: "jane@scenextras" in s.row(key), "the assignee on screen")

        await pilot.press("z")
        await _relay_state(s, key[1], "assignee", None)
        await s.until(pilot, lambda: "jane@" not in s.row(key), "the undo on screen")
        audit = await s.store.query(
            "SELECT kind, target FROM audit WHERE kind != 'alert' ORDER BY seq"
        )
        assert [r["kind"] for r in audit] == ["resolve", "assign", "assign"]
        assert all(r["target"] == f"relay:{key[1]}" for r in audit)

        # the ticket scrubber and the relay scrub message text the same way
        async with httpx.AsyncClient() as http:
            events = (await http.get(f"{s.relay_server.url}/local/issues/{key[1]}/events/")).json()
        stored = events[0]["exceptions"][-1]["value"]
        assert "4111" not in stored and "jane@example.com" not in stored
        assert scrub(raw) == stored
