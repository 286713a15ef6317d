"""GitHub ticket preview: editable repo/title/body/labels; "link existing" for a duplicate.

`start_ticket_flow(app, issue)` drives it: latest event → draft → duplicate search →
this modal → create (or link) → `engine.link_ticket` (stored, shown, noted in Sentry).
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

from sxtriage.models import Issue
from sxtriage.triage.github import GitHubClient, GitHubError, GitHubIssue
from sxtriage.triage.ticket import TicketDraft, draft_for


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

    def __init__(self, draft: TicketDraft, duplicate: GitHubIssue | None = None) -> None:
        super().__init__()
        self.draft = draft
        self.duplicate = duplicate

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New GitHub issue (ctrl+s creates, esc cancels)")
            if self.duplicate is not None:
                d = self.duplicate
                yield Label(Text(f"Already open: {d.repo}#{d.number} {d.title}"), id="dup")
            yield Input(self.draft.repo or "", placeholder="owner/repo", id="repo")
            yield Input(self.draft.title, placeholder="title", id="title")
            yield Input(
                ", ".join(self.draft.labels), placeholder="labels, comma separated", id="labels"
            )
            yield TextArea(self.draft.body, id="body")
            with Horizontal():
                if self.duplicate is not None:
                    yield Button(f"Link #{self.duplicate.number}", variant="primary", id="link")
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


async def start_ticket_flow(app: Any, issue: Issue, notify: Callable[..., None]) -> None:
    backend = app.backend
    github = github_for(backend)
    if github is None:
        notify(
            "No GitHub token: set GITHUB_TOKEN or run `sxtriage login --github-token TOKEN`.",
            severity="error",
            markup=False,
        )
        return
    service = backend.settings.services.get(issue.service)
    repo = service.github_repo if service else None
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
        if result.mode == "link" and result.existing is not None:
            url = result.existing.url
        else:
            d = result.draft
            try:
                created = await github.create_issue(d.repo or "", d.title, d.body, d.labels)
            except GitHubError as exc:
                notify(f"GitHub issue not created: {exc}", severity="error", markup=False)
                return
            url = created.url
        current = backend.feed.get(issue.key)
        known = {issue.linked_ticket, backend.triage.linked_tickets.get(issue.key)}
        if url in known or (current is not None and current.linked_ticket == url):
            notify(f"{issue.short_id} is already linked to {url}", markup=False)
            return  # linking again would post the same note to Sentry twice
        await backend.triage.link_ticket(issue, url)
        notify(f"{issue.short_id} linked to {url} (press O to open)", markup=False)

    app.push_screen(TicketModal(draft, duplicate), chosen)
