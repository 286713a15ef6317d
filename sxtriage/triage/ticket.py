"""A Sentry issue as a GitHub issue: title `[SERVICE] ShortID: title` and a Markdown body;
several related issues (one incident) as one GitHub issue that lists all of them.

Event data is untrusted and may still hold personal data a source did not scrub (Sentry's
default scrubbing skips exception messages), so every text field passes `scrub` and goes
into the body as code (fenced) or escaped inline text, never as live Markdown/HTML.

`scrub` is the relay's own message-text rule (`relay.pii_config.MESSAGE_ACTIONS`: credit
cards, e-mails, US SSNs, IPs) run by Sentry's library (`sentry_relay.pii_strip_event`) on
the plain string, so a ticket and the relay's store scrub text the same way.  The relay's
other rules (Sentry's `@common:filter` on keys such as "password" or "token") are keyed to
event structure; on free text they would blank whole lines such as
"AuthError: JWT signature has expired", so they are not applied here.  The drafting is
CPU work: callers on the event loop run `draft_for` in a thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sentry_relay.processing import pii_strip_event, validate_pii_config

from sxtriage.models import Event, Issue, IssueKey, Trace
from sxtriage.relay.pii_config import MESSAGE_ACTIONS

MAX_FRAMES = 8
MAX_CRUMBS = 10
MAX_TITLE = 240
MAX_INCIDENT_FRAMES = 5
"""In-app frames per service in an incident ticket."""
MAX_BODY = 60_000
"""GitHub refuses bodies over 65,536 characters."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@lru_cache(maxsize=1)
def _text_config() -> dict[str, Any]:
    config = {"applications": {"$string": list(MESSAGE_ACTIONS)}}
    validate_pii_config(json.dumps(config))
    return config


def scrub_many(texts: list[str]) -> list[str]:
    """The relay's message-text scrubbing on plain strings, in one call."""
    clean = [_CONTROL.sub("", t) for t in texts]
    if not any(clean):
        return clean
    wrapped = {"extra": {str(n): t for n, t in enumerate(clean)}}
    out = pii_strip_event(_text_config(), wrapped).get("extra") or {}
    return [str(out.get(str(n), "")) for n in range(len(clean))]


def scrub(text: str | None) -> str:
    return scrub_many([text or ""])[0]


def inline(text: str | None, limit: int = 300) -> str:
    """One line of untrusted text as inline code (backticks inside are neutralised)."""
    one = " ".join(scrub(text).split())[:limit]
    return f"`{one.replace('`', 'ˋ')}`" if one else "—"


def fenced(lines: list[str]) -> str:
    body = "\n".join(scrub(line).replace("```", "ˋˋˋ") for line in lines)
    return f"```\n{body}\n```"


@dataclass
class TicketDraft:
    repo: str | None
    title: str
    body: str
    labels: list[str] = field(default_factory=lambda: ["bug", "sentry"])


def ticket_marker(action_id: str) -> str:
    """The word that ties a GitHub issue to the outbox action that created it: searched
    for before creating again, so a send cut off by a crash makes no second ticket."""
    return f"sxtriage-{action_id}"


def with_marker(body: str, action_id: str) -> str:
    """The body as sent to GitHub: the preview's text, then the action's marker."""
    return f"{body.rstrip()}\n\n<sub>sxtriage ref {ticket_marker(action_id)}</sub>"


def ticket_title(issue: Issue) -> str:
    title = " ".join(scrub(issue.title).split())
    return f"[{issue.service.upper()}] {issue.short_id}: {title}"[:MAX_TITLE]


def _when(issue: Issue) -> tuple[str, str]:
    fmt = "%Y-%m-%d %H:%M UTC"
    return issue.first_seen.strftime(fmt), issue.last_seen.strftime(fmt)


def ticket_body(issue: Issue, event: Event | None = None) -> str:
    first, last = _when(issue)
    rows = [
        ("Sentry issue", issue.short_id),
        ("Service", issue.service),
        ("Level", issue.level.value),
        ("Culprit", issue.culprit),
        ("Events", str(issue.count)),
        ("Users", str(issue.user_count)),
        ("First seen", first),
        ("Last seen", last),
        ("Release", (event.release if event else None) or issue.release or ""),
        ("Environment", (event.environment if event else None) or issue.environment or ""),
    ]
    out = [f"Sentry issue **{issue.short_id}** in `{issue.service}`", ""]
    out.append("| | |\n|---|---|")
    for name, value in rows:
        if value:
            out.append(f"| {name} | {inline(value)} |")
    if event is not None:
        frames = _in_app_frames(event)
        if frames:
            out += ["", "### Top in-app frames", "", fenced(frames)]
        if event.exceptions:
            exc = event.exceptions[-1]
            out += ["", "### Exception", "", fenced([f"{exc.type or 'Error'}: {exc.value or ''}"])]
        crumbs = [
            f"{c.timestamp.strftime('%H:%M:%S') if c.timestamp else '--:--:--'} "
            f"[{c.category or c.type or 'default'}] {c.message or ''}"
            for c in event.breadcrumbs[-MAX_CRUMBS:]
        ]
        if crumbs:
            out += ["", f"### Last {len(crumbs)} breadcrumbs", "", fenced(crumbs)]
    if issue.permalink and issue.permalink.startswith(("https://", "http://")):
        out += ["", f"Sentry: <{scrub(issue.permalink).replace('>', '%3E')}>"]
    out += ["", "_Created with sxtriage._"]
    return "\n".join(out)


def _in_app_frames(event: Event) -> list[str]:
    lines: list[str] = []
    for exc in reversed(event.exceptions):
        frames = [f for f in exc.frames if f.in_app] or exc.frames
        for f in reversed(frames):  # crashing frame first
            where = f.filename or f.abs_path or f.module or "?"
            line = f"{where}:{f.lineno or '?'} in {f.function or '?'}"
            if f.context_line:
                line += f"\n    {f.context_line.strip()}"
            lines.append(line)
            if len(lines) >= MAX_FRAMES:
                return lines
    return lines


def draft_for(
    issue: Issue, event: Event | None, repo: str | None, labels: list[str] | None = None
) -> TicketDraft:
    return TicketDraft(
        repo=repo,
        title=ticket_title(issue),
        body=ticket_body(issue, event),
        labels=list(labels) if labels is not None else ["bug", "sentry"],
    )


# --- several related issues: one incident ------------------------------------------------


def _worst(issue: Issue) -> tuple[int, int, int, str]:
    return (-issue.level.rank, -issue.count, -issue.user_count, issue.short_id)


def incident_issues(issues: Iterable[Issue], order: list[str] | None = None) -> list[Issue]:
    """The incident's issues, lead first: in trace order of their services when it is
    known (the first service's worst issue leads), else worst first (highest level, then
    most events, then most users)."""
    if order:
        rank = {service: n for n, service in enumerate(order)}
        last = len(rank)
        return sorted(issues, key=lambda i: (rank.get(i.service, last), *_worst(i)))
    return sorted(issues, key=_worst)


def trace_order(trace: Trace | None, services: Iterable[str]) -> list[str] | None:
    """The services in the order the trace reached them (earliest span first), or None
    when the trace does not cover every one of them."""
    wanted = set(services)
    if trace is None or not wanted:
        return None
    first: dict[str, float] = {}
    for span in trace.spans:
        service = span.service or span.project
        if service in wanted:
            start = span.start.timestamp()
            if service not in first or start < first[service]:
                first[service] = start
    if set(first) != wanted:
        return None
    return sorted(first, key=lambda s: (first[s], s))


def incident_services(issues: Iterable[Issue], order: list[str] | None = None) -> list[str]:
    """The incident's services: in trace order when it is known, else sorted."""
    names = {i.service for i in issues}
    if order and set(order) == names:
        return list(order)
    return sorted(names)


def incident_title(issues: list[Issue], services: list[str]) -> str:
    """`[INCIDENT] web → api → search: <title of issues[0], the lead> (+N related)`."""
    lead = issues[0]
    head = f"[INCIDENT] {' → '.join(' '.join(scrub(s).split()) for s in services)}: "
    tail = f" (+{len(issues) - 1} related)"
    title = " ".join(scrub(lead.title).split())
    room = max(MAX_TITLE - len(head) - len(tail), 20)
    if len(title) > room:
        title = title[: room - 1] + "…"
    return f"{head}{title}{tail}"


def _cell(text: str) -> str:
    """Scrubbed text as inline code in a table cell (pipes would split the cell)."""
    one = " ".join(text.split())[:200].replace("`", "ˋ").replace("|", "¦")
    return f"`{one}`" if one else "—"


def _link(url: str | None) -> str:
    if url and url.startswith(("https://", "http://")):
        return f"<{url.replace('>', '%3E').replace('|', '%7C').replace(' ', '%20')}>"
    return "local (relay)"


def incident_body(
    issues: list[Issue], events: Mapping[IssueKey, Event | None], services: list[str]
) -> str:
    """Every issue (service, short id, title, counts, first/last seen, Sentry link) and,
    per service, the top in-app frames of its latest event; all text scrubbed."""
    fmt = "%Y-%m-%d %H:%M UTC"
    raw: list[str] = []
    for issue in issues:
        raw += [issue.service, issue.short_id, issue.title, issue.permalink or ""]
    clean = scrub_many(raw)
    out = [
        f"Incident across {' → '.join(_cell(s) for s in scrub_many(list(services)))}: "
        f"{len(issues)} related issues sharing traces.",
        "",
        "| Service | Issue | Title | Events | Users | First seen | Last seen | Sentry |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, issue in enumerate(issues):
        service, short_id, title, permalink = clean[4 * n : 4 * n + 4]
        out.append(
            f"| {_cell(service)} | {_cell(short_id)} | {_cell(title)} | {issue.count} "
            f"| {issue.user_count} | {issue.first_seen.strftime(fmt)} "
            f"| {issue.last_seen.strftime(fmt)} | {_link(permalink)} |"
        )
    for service in services:
        for issue in (i for i in issues if i.service == service):
            event = events.get(issue.key)
            frames = _in_app_frames(event)[:MAX_INCIDENT_FRAMES] if event is not None else []
            if frames:
                out += [
                    "",
                    f"### {inline(service)} · {inline(issue.short_id)}: top in-app frames",
                    "",
                    fenced(frames),
                ]
                break
    out += ["", "_Created with sxtriage._"]
    body = "\n".join(out)
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 40].rsplit("\n", 1)[0] + "\n\n… (truncated)"
    return body


def draft_incident(
    issues: list[Issue],
    events: Mapping[IssueKey, Event | None],
    repo: str | None,
    order: list[str] | None = None,
    labels: list[str] | None = None,
) -> TicketDraft:
    """One ticket for related issues: the lead (see `incident_issues`) names it."""
    if not issues:
        raise ValueError("an incident needs at least one issue")
    services = incident_services(issues, order)
    issues = incident_issues(issues, services if order else None)
    return TicketDraft(
        repo=repo,
        title=incident_title(issues, services),
        body=incident_body(issues, events, services),
        labels=list(labels) if labels is not None else ["bug", "sentry"],
    )
