"""GitHub ticket preview: editable repo/title/body/labels; "link existing" for a duplicate.

The modal only returns what the user chose (`TicketResult`); the triage engine does the
I/O.  `start_ticket_flow(app, issue)` drives it: latest event → draft → the engine's
duplicate search → this modal → `hand_over` → `engine.create_ticket` (an outbox action:
created on GitHub, stored, shown, noted in Sentry, undone with z) or `engine.link_tickets`.
`start_incident_flow(app, issues)` does the same for several marked issues (one incident):
one ticket listing all of them, linked to every one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, TextArea

from sxtriage.models import Event, Issue, IssueKey, TicketSpec
from sxtriage.triage.github import GitHubError, GitHubIssue
from sxtriage.triage.ticket import (
    TicketDraft,
    draft_for,
    draft_incident,
    incident_issues,
    incident_services,
    trace_order,
)
from sxtriage.triage.tickets import NO_TOKEN

log = logging.getLogger(__name__)


@dataclass
class TicketResult:
    mode: str
    """"create" or "link"."""
    draft: TicketDraft
    existing: GitHubIssue | None = None


class TicketModal(ModalScreen[TicketResult | None]):
    DEFAULT_CSS = """
    TicketModal { align: center middle; }
    TicketModal > Vertical {
        width: 100; max-width: 98%; height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    TicketModal TextArea { height: 1fr; }
    TicketModal #dup { color: $warning; }
    TicketModal Horizontal { height: auto; align-horizontal: right; }
    TicketModal Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="ticket.cancel"),
        Binding("ctrl+s", "create", "Create", id="ticket.create"),
    ]

    def __init__(
        self,
        draft: TicketDraft,
        duplicate: GitHubIssue | None = None,
        *,
        heading: str = "New GitHub issue",
        link_label: str | None = None,
        duplicate_of: str | None = None,
    ) -> None:
        super().__init__()
        self.draft = draft
        self.duplicate = duplicate
        self.heading = heading
        self.link_label = link_label
        self.duplicate_of = duplicate_of
        """The short id whose search found the duplicate (incidents search each one)."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"{self.heading} (ctrl+s creates, esc cancels)"), id="heading")
            if self.duplicate is not None:
                d = self.duplicate
                found = f" (mentions {self.duplicate_of})" if self.duplicate_of else ""
                yield Label(Text(f"Already open: {d.repo}#{d.number} {d.title}{found}"), id="dup")
            yield Input(self.draft.repo or "", placeholder="owner/repo", id="repo")
            yield Input(self.draft.title, placeholder="title", id="title")
            yield Input(
                ", ".join(self.draft.labels), placeholder="labels, comma separated", id="labels"
            )
            yield TextArea(self.draft.body, id="body")
            with Horizontal():
                if self.duplicate is not None:
                    label = self.link_label or f"Link #{self.duplicate.number}"
                    yield Button(Text(label), variant="primary", id="link")
                yield Button("Create", variant="success", id="create")
                yield Button("Cancel", id="cancel")

    def current(self) -> TicketDraft:
        labels = [x.strip() for x in self.query_one("#labels", Input).value.split(",")]
        return TicketDraft(
            repo=self.query_one("#repo", Input).value.strip() or None,
            title=self.query_one("#title", Input).value.strip(),
            body=self.query_one("#body", TextArea).text,
            labels=[x for x in labels if x],
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "create":
            self.action_create()
        elif event.button.id == "link":
            self.dismiss(TicketResult("link", self.current(), self.duplicate))
        else:
            self.dismiss(None)

    def action_create(self) -> None:
        draft = self.current()
        if not draft.repo or "/" not in draft.repo:
            self.notify("Repository must look like owner/name.", severity="error")
            return
        if not draft.title:
            self.notify("The title cannot be empty.", severity="error")
            return
        self.dismiss(TicketResult("create", draft))

    def action_cancel(self) -> None:
        self.dismiss(None)


def _engine_or_say(session: Any, notify: Callable[..., None]) -> Any | None:
    """The triage engine, when it can make tickets; else says why and returns None."""
    engine = session.triage
    problem = engine.github_problem() if engine is not None else NO_TOKEN
    if problem is not None:
        notify(problem, severity="error", markup=False)
        return None
    return engine


def _repo_of(session: Any, service: str) -> str | None:
    svc = session.settings.services.get(service)
    return svc.github_repo if svc else None


async def _latest(session: Any, issue: Issue) -> Event | None:
    try:
        source = session.detail_for(issue)
        return await source.latest_event(issue) if source is not None else None
    except Exception as exc:  # the ticket is still useful without the stack trace
        log.info("no latest event of %s for its ticket: %r", issue.short_id, exc)
        return None


async def hand_over(
    session: Any, issues: list[Issue], result: TicketResult | None, notify: Callable[..., None]
) -> None:
    """The preview's answer to the engine: link the open ticket, or create a new one."""
    if result is None:
        return
    engine = session.triage
    current = [session.feed.get(i.key) or i for i in issues]
    what = current[0].short_id if len(current) == 1 else f"{len(current)} issues"
    if result.mode == "link" and result.existing is not None:
        url = result.existing.url
        linked = await engine.link_tickets(current, url)
        if not linked:
            who = f"{what} is" if len(current) == 1 else f"All {what} are"
            notify(f"{who} already linked to {url}", markup=False)
        elif len(current) == 1:
            notify(f"{what} linked to {url} (press O to open)", markup=False)
        else:
            notify(
                f"Linked {len(linked)} issue(s) to {url} (press O on any of them to open it)",
                markup=False,
            )
        return
    d = result.draft
    spec = TicketSpec(repo=d.repo or "", title=d.title, body=d.body, labels=list(d.labels))
    try:
        await engine.create_ticket(current, spec)
    except ValueError as exc:
        notify(f"GitHub issue not created: {exc}", severity="error", markup=False)


async def start_ticket_flow(app: Any, issue: Issue, notify: Callable[..., None]) -> None:
    session = app.session
    engine = _engine_or_say(session, notify)
    if engine is None:
        return
    repo = _repo_of(session, issue.service)
    event = await _latest(session, issue)
    draft = await asyncio.to_thread(draft_for, issue, event, repo)  # scrubbing is CPU work
    duplicate = None
    if repo:
        try:
            duplicate = await engine.find_ticket(repo, issue.short_id)
        except GitHubError as exc:
            notify(f"GitHub: {exc}", severity="error", markup=False)
            return

    async def chosen(result: TicketResult | None) -> None:
        await hand_over(session, [issue], result, notify)

    app.push_screen(TicketModal(draft, duplicate), chosen)


# --- several marked issues: one incident ---------------------------------------------------


def _trace_id(event: Event) -> str | None:
    trace = event.contexts.get("trace") if isinstance(event.contexts, dict) else None
    value = event.trace_id or (trace.get("trace_id") if isinstance(trace, dict) else None)
    if not isinstance(value, str):
        return None
    return value.strip().lower() or None


async def _incident_order(
    session: Any, issues: list[Issue], events: dict[IssueKey, Event | None]
) -> list[str] | None:
    """The services in trace order, from the first fetched trace that covers them all."""
    services = {i.service for i in issues}
    tried: set[str] = set()
    for issue in issues:
        event = events.get(issue.key)
        trace_id = _trace_id(event) if event is not None else None
        if trace_id is None or trace_id in tried or len(tried) >= 3:
            continue
        tried.add(trace_id)
        try:
            source = session.detail_for(issue)
            trace = await source.trace(trace_id) if source is not None else None
        except Exception as exc:  # another trace may still say the order
            log.info("trace %s for an incident ticket: %r", trace_id, exc)
            continue
        order = trace_order(trace, services)
        if order is not None:
            return order
    return None


def _search_pairs(session: Any, issues: list[Issue], repo: str | None) -> list[tuple[str, str]]:
    """(repo, short id) to search for an open ticket: in the incident's repo and in each
    issue's own repo, the lead's first."""
    pairs: list[tuple[str, str]] = []
    for issue in issues:
        for where in (repo, _repo_of(session, issue.service)):
            if where:
                pairs.append((where, issue.short_id))
    return pairs


async def start_incident_flow(app: Any, issues: list[Issue], notify: Callable[..., None]) -> None:
    """One GitHub issue for several marked issues: preview, dedupe, create or link.

    The lead issue (it names the ticket and its repository) is the worst issue of the
    service the shared trace reaches first, or the worst issue when no trace is known.
    """
    session = app.session
    engine = _engine_or_say(session, notify)
    if engine is None:
        return
    per_service: dict[str, Issue] = {}
    for issue in incident_issues(issues):  # worst first: each service's worst issue
        per_service.setdefault(issue.service, issue)
    latest = await asyncio.gather(*(_latest(session, i) for i in per_service.values()))
    events = {i.key: e for i, e in zip(per_service.values(), latest, strict=True)}
    order = await _incident_order(session, list(per_service.values()), events)
    ordered = incident_issues(issues, incident_services(issues, order) if order else None)
    repo = _repo_of(session, ordered[0].service)
    draft = await asyncio.to_thread(draft_incident, ordered, events, repo, order)
    try:
        existing = await engine.find_any_ticket(_search_pairs(session, ordered, repo))
    except GitHubError as exc:
        notify(f"GitHub: {exc}", severity="error", markup=False)
        return
    duplicate, found_by = existing if existing is not None else (None, None)

    async def chosen(result: TicketResult | None) -> None:
        await hand_over(session, ordered, result, notify)

    modal = TicketModal(
        draft,
        duplicate,
        heading=f"New GitHub issue for an incident of {len(ordered)} issues",
        link_label=f"Link #{duplicate.number} to all {len(ordered)}" if duplicate else None,
        duplicate_of=found_by,
    )
    app.push_screen(modal, chosen)
