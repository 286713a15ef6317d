"""A Sentry issue as a GitHub issue: title `[SERVICE] ShortID: title` and a Markdown body.

Event data is untrusted and may still hold personal data a source did not scrub (Sentry's
default scrubbing skips exception messages), so every text field passes `scrub` and goes
into the body as code (fenced) or escaped inline text, never as live Markdown/HTML.

`scrub` is the relay's own message-text rule (`relay.normalize.MESSAGE_ACTIONS`: credit
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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sentry_relay.processing import pii_strip_event, validate_pii_config

from sxtriage.models import Event, Issue
from sxtriage.relay.normalize import MESSAGE_ACTIONS

MAX_FRAMES = 8
MAX_CRUMBS = 10
MAX_TITLE = 240

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
