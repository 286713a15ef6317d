"""GitHub tickets as triage actions: create one, link one, find an open one.

Mixed into the TriageEngine, which provides `github`, `linked_tickets` and `submit`.
The ticket preview only returns what the user chose; everything that talks to GitHub is
here or in ticket_send.py, and every change goes through the outbox like resolve does:
durable before the screen changes, sent by the worker, rolled back and retryable on
failure, undone with z (a created ticket is closed, a link removed).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sxtriage.models import Action, ActionKind, Issue, IssueKey, TicketSpec
from sxtriage.triage.github import GitHubIssue
from sxtriage.triage.outbox import OutboxEntry

MAX_DEDUPE_SEARCHES = 20
"""Short ids searched for an open ticket (GitHub's search API allows 30 a minute)."""
NO_TOKEN = "No GitHub token: set GITHUB_TOKEN or run `sxtriage login --github-token TOKEN`."


def ticket_spec(repo: str | None, title: str, body: str, labels: list[str]) -> TicketSpec:
    """The ticket to create, checked: a one-line ValueError names what is wrong."""
    repo = (repo or "").strip()
    owner, _, name = repo.partition("/")
    if not owner or not name or "/" in name or any(c.isspace() for c in repo):
        raise ValueError(f"repository {repo!r} must look like owner/name")
    title = " ".join(title.split())
    if not title:
        raise ValueError("the title cannot be empty")
    clean = [x.strip() for x in labels if x.strip()]
    return TicketSpec(repo=repo, title=title, body=body, labels=clean)


class TicketsMixin:
    github: Any | None
    linked_tickets: dict[IssueKey, str]
    submit: Callable[[Action, list[Issue]], Awaitable[None]]
    toast: Callable[[str, str], Any]
    _show: Callable[[OutboxEntry], None]

    # --- asking GitHub (reads, for the preview) ----------------------------------------
    def github_problem(self) -> str | None:
        """Why no ticket can be made (no client, no token), or None."""
        if self.github is None or not getattr(self.github, "has_token", True):
            return NO_TOKEN
        return None

    async def find_ticket(self, repo: str, short_id: str) -> GitHubIssue | None:
        """An open GitHub issue in `repo` that mentions `short_id` (raises GitHubError)."""
        if self.github is None:
            raise RuntimeError(NO_TOKEN)
        found: GitHubIssue | None = await self.github.find_open_issue(repo, short_id)
        return found

    async def find_any_ticket(self, pairs: list[tuple[str, str]]) -> tuple[GitHubIssue, str] | None:
        """The first open ticket found for (repo, short id) pairs, in their order, with
        the short id that found it; at most MAX_DEDUPE_SEARCHES searches, 4 at a time."""
        pairs = list(dict.fromkeys(pairs))[:MAX_DEDUPE_SEARCHES]
        limit = asyncio.Semaphore(4)

        async def search(repo: str, short_id: str) -> GitHubIssue | None:
            async with limit:
                return await self.find_ticket(repo, short_id)

        found = await asyncio.gather(*(search(r, s) for r, s in pairs))
        for (_, short_id), hit in zip(pairs, found, strict=True):
            if hit is not None:
                return hit, short_id
        return None

    # --- changing tickets (outbox actions) ---------------------------------------------
    def is_linked(self, issue: Issue, url: str) -> bool:
        return url in (issue.linked_ticket, self.linked_tickets.get(issue.key))

    async def link_ticket(self, issue: Issue, url: str) -> bool:
        """Link an existing ticket; False when the issue is linked to it already."""
        return bool(await self.link_tickets([issue], url))

    async def link_tickets(self, issues: list[Issue], url: str) -> list[Issue]:
        """One ticket for several issues (an incident), as one action: shown on and
        stored for every issue, one note per Sentry issue; relay issues store the link.
        Issues linked to it already are left out (their note is there); returns the
        issues the action links."""
        todo = [i for i in issues if not self.is_linked(i, url)]
        if todo:
            action = Action(
                id=uuid.uuid4().hex,
                kind=ActionKind.LINK_TICKET,
                issues=[i.key for i in todo],
                text=url,
            )
            await self.submit(action, todo)
        return todo

    async def create_ticket(self, issues: list[Issue], spec: TicketSpec) -> Action:
        """Create a GitHub issue and link it to `issues`, as one outbox action."""
        problem = self.github_problem()
        if problem is not None:
            raise ValueError(problem)
        if not issues:
            raise ValueError("a ticket needs at least one issue")
        spec = ticket_spec(spec.repo, spec.title, spec.body, list(spec.labels))
        action = Action(
            id=uuid.uuid4().hex,
            kind=ActionKind.CREATE_TICKET,
            issues=[i.key for i in issues],
            ticket=spec,
        )
        await self.submit(action, issues)
        return action

    def _ticket_created(self, entry: OutboxEntry) -> None:
        """GitHub answered a CREATE_TICKET: the ticket shows at once (still pending)."""
        self._show(entry)
        if entry.ticket is not None:
            what = entry.previous[0].short_id if len(entry.previous) == 1 else "the incident"
            self.toast(
                f"Created {entry.ticket.url} for {what} (O opens it, z undoes)", "information"
            )
