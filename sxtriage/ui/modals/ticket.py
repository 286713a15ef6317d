"""GitHub ticket preview: editable repo/title/body/labels; "link existing" for a duplicate.

`start_ticket_flow(app, issue)` drives it: latest event → draft → duplicate search →
this modal → create (or link) → `engine.link_ticket` (stored, shown, noted in Sentry).
`start_incident_flow(app, issues)` does the same for several marked issues (one incident):
one ticket listing all of them, linked to every one (`engine.link_tickets`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, TextArea

from sxtriage.models import Event, Issue, IssueKey
from sxtriage.triage.github import GitHubClient, GitHubError, GitHubIssue
from sxtriage.triage.ticket import (
    TicketDraft,
    draft_for,
    draft_incident,
    incident_issues,
    incident_services,
    trace_order,
)


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


def github_for(backend: Any) -> GitHubClient | None:
    engine = getattr(backend, "triage", None)
    if engine is not None and engine.github is not None:
        return engine.github
    settings = backend.settings
    token = settings.github_token.get_secret_value() if settings.github_token else None
    if not token:
        return None
    client = GitHubClient(settings.github_api_url, token)
    if engine is not None:
        engine.github = client
    return client


def _github_or_say(backend: Any, notify: Callable[..., None]) -> GitHubClient | None:
    github = github_for(backend)
    if github is None:
        notify(
            "No GitHub token: set GITHUB_TOKEN or run `sxtriage login --github-token TOKEN`.",
            severity="error",
            markup=False,
        )
    return github


async def start_ticket_flow(app: Any, issue: Issue, notify: Callable[..., None]) -> None:
    backend = app.backend
    github = _github_or_say(backend, notify)
    if github is None:
        return
    repo = _repo_of(backend, issue.service)
    event = None
    try:
        event = await backend.detail_for(issue).latest_event(issue)
    except Exception:
        event = None  # the ticket is still useful without the stack trace
    draft = await asyncio.to_thread(draft_for, issue, event, repo)  # scrubbing is CPU work
    duplicate = None
    if repo:
        try:
            duplicate = await github.find_open_issue(repo, issue.short_id)
        except GitHubError as exc:
            notify(f"GitHub: {exc}", severity="error", markup=False)
            return

    async def chosen(result: TicketResult | None) -> None:
        if result is None:
            return
        url = await _ticket_url(github, result, notify)
        if url is None:
            return
        current = backend.feed.get(issue.key)
        known = {issue.linked_ticket, backend.triage.linked_tickets.get(issue.key)}
        if url in known or (current is not None and current.linked_ticket == url):
            notify(f"{issue.short_id} is already linked to {url}", markup=False)
            return  # linking again would post the same note to Sentry twice
        await backend.triage.link_ticket(issue, url)
        notify(f"{issue.short_id} linked to {url} (press O to open)", markup=False)

    app.push_screen(TicketModal(draft, duplicate), chosen)


# --- several marked issues: one incident ---------------------------------------------------

MAX_DEDUPE_SEARCHES = 20
"""Short ids searched for an open ticket (GitHub's search API allows 30 a minute)."""


def _repo_of(backend: Any, service: str) -> str | None:
    svc = backend.settings.services.get(service)
    return svc.github_repo if svc else None


async def _latest(backend: Any, issue: Issue) -> Event | None:
    try:
        source = backend.detail_for(issue)
        return await source.latest_event(issue) if source is not None else None
    except Exception:
        return None  # the ticket is still useful without the stack trace


def _trace_id(event: Event) -> str | None:
    trace = event.contexts.get("trace") if isinstance(event.contexts, dict) else None
    value = event.trace_id or (trace.get("trace_id") if isinstance(trace, dict) else None)
    if not isinstance(value, str):
        return None
    return value.strip().lower() or None


async def _incident_order(
    backend: Any, issues: list[Issue], events: dict[IssueKey, Event | None]
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
            source = backend.detail_for(issue)
            trace = await source.trace(trace_id) if source is not None else None
        except Exception:
            continue
        order = trace_order(trace, services)
        if order is not None:
            return order
    return None


async def _find_existing(
    github: GitHubClient, backend: Any, issues: list[Issue], repo: str | None
) -> tuple[GitHubIssue, str] | None:
    """An open ticket that mentions any of the issues' short ids (in the incident's repo
    and in each issue's own repo), the lead's first; with the short id that found it."""
    pairs: list[tuple[str, str]] = []
    for issue in issues:
        for where in (repo, _repo_of(backend, issue.service)):
            if where and (where, issue.short_id) not in pairs:
                pairs.append((where, issue.short_id))
    pairs = pairs[:MAX_DEDUPE_SEARCHES]
    limit = asyncio.Semaphore(4)

    async def search(where: str, short_id: str) -> GitHubIssue | None:
        async with limit:
            return await github.find_open_issue(where, short_id)

    found = await asyncio.gather(*(search(w, s) for w, s in pairs))
    for (_, short_id), hit in zip(pairs, found, strict=True):
        if hit is not None:
            return hit, short_id
    return None


async def link_all(
    backend: Any, issues: list[Issue], url: str, notify: Callable[..., None]
) -> list[Issue]:
    """Link `url` to every issue not linked to it yet; returns the ones linked now."""
    engine = backend.triage
    todo = []
    for issue in issues:
        current = backend.feed.get(issue.key) or issue
        if url not in (current.linked_ticket, engine.linked_tickets.get(issue.key)):
            todo.append(current)
    if not todo:
        notify(f"All {len(issues)} issues are already linked to {url}", markup=False)
        return []
    await engine.link_tickets(todo, url)
    notify(
        f"Linked {len(todo)} issue(s) to {url} (press O on any of them to open it)",
        markup=False,
    )
    return todo


async def start_incident_flow(app: Any, issues: list[Issue], notify: Callable[..., None]) -> None:
    """One GitHub issue for several marked issues: preview, dedupe, create or link.

    The lead issue (it names the ticket and its repository) is the worst issue of the
    service the shared trace reaches first, or the worst issue when no trace is known.
    """
    backend = app.backend
    github = _github_or_say(backend, notify)
    if github is None:
        return
    per_service: dict[str, Issue] = {}
    for issue in incident_issues(issues):  # worst first: each service's worst issue
        per_service.setdefault(issue.service, issue)
    latest = await asyncio.gather(*(_latest(backend, i) for i in per_service.values()))
    events = {i.key: e for i, e in zip(per_service.values(), latest, strict=True)}
    order = await _incident_order(backend, list(per_service.values()), events)
    ordered = incident_issues(issues, incident_services(issues, order) if order else None)
    repo = _repo_of(backend, ordered[0].service)
    draft = await asyncio.to_thread(draft_incident, ordered, events, repo, order)
    try:
        existing = await _find_existing(github, backend, ordered, repo)
    except GitHubError as exc:
        notify(f"GitHub: {exc}", severity="error", markup=False)
        return
    duplicate, found_by = existing if existing is not None else (None, None)

    async def chosen(result: TicketResult | None) -> None:
        if result is None:
            return
        url = await _ticket_url(github, result, notify)
        if url is None:
            return
        await link_all(backend, ordered, url, notify)

    modal = TicketModal(
        draft,
        duplicate,
        heading=f"New GitHub issue for an incident of {len(ordered)} issues",
        link_label=f"Link #{duplicate.number} to all {len(ordered)}" if duplicate else None,
        duplicate_of=found_by,
    )
    app.push_screen(modal, chosen)


async def _ticket_url(github: Any, result: TicketResult, notify: Any) -> str | None:
    """The chosen ticket's URL: the existing one to link, or a newly created one."""
    if result.mode == "link" and result.existing is not None:
        return result.existing.url
    d = result.draft
    try:
        created = await github.create_issue(d.repo or "", d.title, d.body, d.labels)
    except GitHubError as exc:
        notify(f"GitHub issue not created: {exc}", severity="error", markup=False)
        return None
    return created.url
