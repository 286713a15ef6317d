"""One GitHub issue for a whole incident, through the real app and the simulators.

Three Sentry issues of web, api and search share a trace in the Sentry simulator.  Opening
the web issue loads that trace (the related panel lists api and search), `M` marks the
incident, `t` previews ONE ticket that lists all three, ctrl+s creates it in the GitHub
simulator, and the link is stored, shown (⧉) and noted in Sentry for every issue.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from textual.widgets import Input, TextArea

from sxtriage.models import IssueKey, Source
from sxtriage.triage.ticket import scrub
from sxtriage.ui.modals.ticket import TicketModal
from sxtriage.ui.screens.feed.screen import FeedScreen
from sxtriage.ui.screens.issue.screen import IssueScreen

SIZE = (170, 45)
SERVICES = ("web", "api", "search")


def share_trace(state: Any) -> dict[str, IssueKey]:
    """One new event for an unresolved web, api and search issue, all in one new trace
    (web first, then api, then search); returns service → issue key."""
    trace_id = uuid.uuid4().hex
    now = time.time()
    keys: dict[str, IssueKey] = {}
    for n, service in enumerate(SERVICES):
        issue = next(
            i
            for i in sorted(state.issues.values(), key=lambda i: i.id)
            if i.project.slug == service and i.status == "unresolved"
        )
        event = state.add_event(issue, now - 2.0 + n * 0.1)
        old = state.traces.get(event.trace_id, [])
        if event in old:
            old.remove(event)
        event.trace_id = trace_id
        state.traces.setdefault(trace_id, []).append(event)
        keys[service] = (Source.SENTRY, str(issue.id))
    return keys


async def mark_incident(s: Any, pilot: Any, web: IssueKey) -> set[IssueKey]:
    """Open the web issue (its trace names the related issues), then `M`."""
    await s.ready(pilot)
    await s.cursor_on(pilot, web)
    await pilot.press("enter")
    await s.until(pilot, lambda: isinstance(s.app.screen, IssueScreen), "the issue screen")
    await s.until(pilot, lambda: len(s.session.correlator.related(web)) == 2, "the related issues")
    await pilot.press("M")
    await s.until(pilot, lambda: isinstance(s.app.screen, FeedScreen), "the feed")
    group = {web, *(r.key for r in s.session.correlator.related(web))}
    await s.until(pilot, lambda: s.issue_list.marks == group, "the marks")
    return group


async def open_preview(s: Any, pilot: Any) -> TicketModal:
    await pilot.press("t")
    await s.until(pilot, lambda: isinstance(s.app.screen, TicketModal), "the preview")
    modal = s.app.screen
    assert isinstance(modal, TicketModal)
    return modal


async def test_incident_ticket_lists_all_issues_and_links_each(triage_stack) -> None:
    s = triage_stack
    keys = share_trace(s.sim.state)
    async with s.app.run_test(size=SIZE) as pilot:
        group = await mark_incident(s, pilot, keys["web"])
        assert group == set(keys.values())
        feed = s.session.feed
        issues = {k: feed.get(k) for k in group}
        lead = issues[keys["web"]]  # the trace starts in web: its issue leads

        modal = await open_preview(s, pilot)
        title = modal.query_one("#title", Input).value
        others = len(group) - 1
        lead_title = " ".join(scrub(lead.title).split())
        assert title == f"[INCIDENT] web → api → search: {lead_title} (+{others} related)"
        repo = f"scenextras/{lead.service}"
        assert modal.query_one("#repo", Input).value == repo
        assert "incident of 3 issues" in str(modal.query_one("#heading").render())
        assert modal.duplicate is None
        body = modal.query_one("#body", TextArea).text
        lines = body.splitlines()
        assert (
            lines[0] == "Incident across `web` → `api` → `search`: 3 related issues sharing traces."
        )
        rows = [line for line in lines if line.startswith("| `")]
        assert len(rows) == 3
        for row, service in zip(rows, SERVICES, strict=True):  # in trace order
            issue = issues[keys[service]]
            assert f"`{issue.short_id}`" in row
            assert f"`{issue.service}`" in row and f"<{issue.permalink}>" in row
            assert f"| {issue.count} | {issue.user_count} |" in row
            assert issue.first_seen.strftime("%Y-%m-%d %H:%M UTC") in row
            heading = f"### `{issue.service}` · `{issue.short_id}`: top in-app frames"
            assert heading in body

        await pilot.press("ctrl+s")
        await s.until(pilot, lambda: all("⧉" in s.row(k) for k in group), "three ⧉ rows")
        (created,) = await s.github_issues(repo)
        assert created["title"] == title
        assert all(i.short_id in created["body"] for i in issues.values())
        for other in {f"scenextras/{svc}" for svc in SERVICES} - {repo}:
            assert await s.github_issues(other) == []
        url = created["html_url"]
        notes = s.sim.state.notes
        await s.until(
            pilot, lambda: all(notes.get(int(k[1])) for k in group), "a note on each issue"
        )
        for key in group:
            assert [n["data"]["text"] for n in notes[int(key[1])]] == [f"GitHub issue: {url}"]
        rows = await s.store.query("SELECT issue_id, url FROM tickets")
        assert {(r["issue_id"], r["url"]) for r in rows} == {(k[1], url) for k in group}

        # O on any of them opens the one ticket
        other = next(k for k in group if k != lead.key)
        await s.cursor_on(pilot, other)
        await pilot.press("O")
        await pilot.pause()
        assert s.opened == [url]

        # t again finds it by short id: linking again posts nothing twice
        modal = await open_preview(s, pilot)
        assert modal.duplicate is not None and modal.duplicate.url == url
        await pilot.click("#link")
        await s.until(pilot, lambda: any("already linked" in m for m in s.messages()), "msg")
        assert len(await s.github_issues(repo)) == 1
        assert all(len(notes[int(k[1])]) == 1 for k in group)
        assert s.issue_list.marks == group  # the selection is kept


async def test_incident_links_an_open_ticket_of_one_issue_to_all(triage_stack) -> None:
    s = triage_stack
    keys = share_trace(s.sim.state)
    api = s.sim_issue(keys["api"])
    async with httpx.AsyncClient(headers={"Authorization": "Bearer x"}) as http:
        resp = await http.post(
            f"{s.sim.github_url}/repos/scenextras/api/issues",
            json={"title": f"{api.short_id} keeps failing", "body": "filed by a teammate"},
        )
    url = resp.json()["html_url"]
    async with s.app.run_test(size=SIZE) as pilot:
        group = await mark_incident(s, pilot, keys["web"])
        modal = await open_preview(s, pilot)
        assert modal.duplicate is not None and modal.duplicate.url == url
        assert f"mentions {api.short_id}" in str(modal.query_one("#dup").render())
        assert str(modal.query_one("#link").label) == f"Link #{modal.duplicate.number} to all 3"
        await pilot.click("#link")
        await s.until(pilot, lambda: all("⧉" in s.row(k) for k in group), "three ⧉ rows")
        notes = s.sim.state.notes
        await s.until(pilot, lambda: all(notes.get(int(k[1])) for k in group), "the notes")
        for key in group:
            assert [n["data"]["text"] for n in notes[int(key[1])]] == [f"GitHub issue: {url}"]
        assert len(await s.github_issues("scenextras/api")) == 1  # linked, not created
        assert await s.github_issues("scenextras/web") == []


async def test_incident_ticket_refused_by_github_links_nothing(triage_stack) -> None:
    s = triage_stack
    keys = share_trace(s.sim.state)
    async with s.app.run_test(size=SIZE) as pilot:
        group = await mark_incident(s, pilot, keys["web"])
        modal = await open_preview(s, pilot)
        modal.query_one("#repo", Input).value = "scenextras/nowhere"  # edited to a typo
        await pilot.press("ctrl+s")
        await s.until(pilot, lambda: s.messages("error"), "the error toast")
        assert s.messages("error")[-1].startswith("GitHub issue not created: GitHub repository")
        await pilot.pause(0.2)
        assert all("⧉" not in s.row(k) for k in group)
        assert not any(s.sim.state.notes.get(int(k[1])) for k in group)
        assert await s.store.query("SELECT url FROM tickets") == []
        assert s.issue_list.marks == group  # still marked: fix the repo and press t again
