"""A Sentry issue as a GitHub issue: title `[SERVICE] ShortID: title` and a Markdown body.

Event data is untrusted and may still hold personal data a source did not scrub, so every
text field passes `scrub` (e-mails, card numbers, US SSNs, IPs) and goes into the body as
code (fenced) or escaped inline text, never as live Markdown/HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sxtriage.models import Event, Issue

MAX_FRAMES = 8
MAX_CRUMBS = 10
MAX_TITLE = 240

_SCRUBBERS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}\b"), "[email]"),
    (re.compile(r"\b(?:\d[ -]?){13,19}\b"), "[creditcard]"),
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "[usssn]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip]"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def scrub(text: str | None) -> str:
    out = _CONTROL.sub("", text or "")
    for pattern, replacement in _SCRUBBERS:
        out = pattern.sub(replacement, out)
    return out


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
