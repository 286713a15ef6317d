"""Issue detail as plain `Text` lines: overview, stack trace, breadcrumbs, trace, events.

Pure functions (no widgets, no I/O).  Every string from an event goes through `safe()`
and into `Text(...)` — never markup.  Each line may carry a target (what `enter` does).
Colours come from the theme: pass the app's `Palette` (`theme.palette_of(app)`); without
one, the default theme's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text

from sxtriage.models import Breadcrumb, Event, ExceptionValue, Frame, Issue, Span, Trace
from sxtriage.ui.text import LEVEL_GLYPH, compact, relative, safe
from sxtriage.ui.theme import Palette, default_palette
from sxtriage.ui.widgets.issue_list.badges import priority_word, review_text, status_text

Line = tuple[Text, Any]
MAX_CONTEXT_FRAMES = 60
SLOW_MS = 1000.0
SEP = " · "
"""Between two differently styled pieces of one line: a visible glyph, never bare spaces,
so the pieces never read as one word ("MOBILE-3mobile") where spacing is lost (a copied
SVG, a screen reader)."""


def _kv(label: str, value: object, width: int = 14) -> Text:
    line = Text(f"{label:<{width}}", style="dim")
    line.append(safe(value, limit=500) if value not in (None, "") else "—")
    return line


def overview(issue: Issue, event: Event | None, now: datetime) -> Text:
    lines: list[Text] = []
    title = Text(safe(issue.title, limit=4000), style="bold")
    lines.append(title)
    if issue.culprit:
        lines.append(Text(safe(issue.culprit, limit=1000), style="dim"))
    lines.append(Text())
    lines.append(_kv("Status", status_text(issue)))
    lines.append(_kv("Priority", priority_word(issue.priority)))
    review = review_text(issue)
    if review or issue.is_bookmarked:
        flags = [f for f in (review, "bookmarked" if issue.is_bookmarked else None) if f]
        lines.append(_kv("Workflow", ", ".join(flags)))
    lines.append(_kv("Level", issue.level.value))
    lines.append(_kv("Service", issue.service))
    lines.append(_kv("Events", f"{issue.count:,}   users {issue.user_count:,}"))
    lines.append(
        _kv(
            "Seen",
            f"first {relative(issue.first_seen, now)} ago, "
            f"last {relative(issue.last_seen, now)} ago",
        )
    )
    lines.append(
        _kv("Releases", f"first {issue.first_release or '—'}  last {issue.release or '—'}")
    )
    lines.append(_kv("Environment", issue.environment))
    lines.append(_kv("Assignee", issue.assignee))
    lines.append(_kv("Ticket", issue.linked_ticket))
    if event is None:
        lines.append(Text())
        lines.append(Text("No event loaded yet.", style="dim italic"))
        return Text("\n").join(lines)
    lines.append(Text())
    if event.message and event.message != issue.title:
        lines.append(Text("Message", style="bold underline"))
        lines.append(Text(safe(event.message, limit=10_000, oneline=False)))
        lines.append(Text())
    lines.append(_kv("Event", event.event_id))
    lines.append(_kv("Release", event.release))
    lines.append(_kv("Environment", event.environment))
    lines.append(_kv("Transaction", event.transaction))
    lines.append(_kv("Trace", event.trace_id))
    for section, data in (("User", event.user), ("Request", event.request)):
        if data:
            lines.append(Text())
            lines.append(Text(section, style="bold underline"))
            lines.extend(_kv(str(k), v) for k, v in list(data.items())[:30])
    if event.tags:
        lines.append(Text())
        lines.append(Text("Tags", style="bold underline"))
        lines.extend(_kv(safe(k, limit=40), v, 22) for k, v in list(event.tags.items())[:100])
    if event.contexts:
        lines.append(Text())
        lines.append(Text("Contexts", style="bold underline"))
        for name, ctx in list(event.contexts.items())[:30]:
            if isinstance(ctx, dict):
                summary = ", ".join(f"{k}={v}" for k, v in list(ctx.items())[:8] if k != "type")
            else:
                summary = str(ctx)
            lines.append(_kv(safe(name, limit=40), summary, 22))
    return Text("\n").join(lines)


# --- stack trace -----------------------------------------------------------------------------
def _frame_head(frame: Frame, p: Palette) -> Text:
    where = frame.filename or frame.abs_path or frame.module or "?"
    line = Text("  ")
    line.append("● " if frame.in_app else "  ", style=f"bold {p.success}")
    line.append(safe(frame.function or "?", limit=200), style="bold" if frame.in_app else "dim")
    line.append(SEP, style="dim")
    loc = f"{safe(where, limit=300)}"
    if frame.lineno is not None:
        loc += f":{frame.lineno}"
    line.append(loc, style="" if frame.in_app else "dim")
    return line


def _context_line(n: int, src: str, *, crash: bool, width: int) -> Text:
    """One source line: a marker column (▶ on the crashing line, a dim ┊ elsewhere) and
    the line number right-aligned to the frame's widest number, so every row of a frame
    lines up — also where leading spaces are lost."""
    mark = "▶" if crash else "┊"
    return Text(
        f"    {mark} {n:>{width}} │ {safe(src, limit=300)}", style="bold" if crash else "dim"
    )


def _frame_context(frame: Frame) -> list[Line]:
    lineno = frame.lineno or 0
    pre = frame.pre_context[-5:]
    post = frame.post_context[:5]
    rows = [(lineno - len(pre) + i, src, False) for i, src in enumerate(pre)]
    if frame.context_line is not None:
        rows.append((lineno, frame.context_line, True))
    rows.extend((lineno + i + 1, src, False) for i, src in enumerate(post))
    width = max((len(str(n)) for n, _, _ in rows), default=1)
    return [(_context_line(n, src, crash=crash, width=width), None) for n, src, crash in rows]


def _exception_lines(exc: ExceptionValue, p: Palette, *, full: bool, first: bool) -> list[Line]:
    out: list[Line] = []
    head = Text()
    if not first:
        head.append("caused by  ", style="dim italic")
    head.append(safe(exc.type or "Error", limit=200), style=f"bold {p.error}")
    if exc.value:
        head.append(": ")
        head.append(safe(exc.value, limit=2000))
    out.append((head, None))
    if exc.mechanism and exc.mechanism.get("handled") is False:
        out.append((Text("  unhandled", style=f"bold {p.warning}"), None))
    frames = list(reversed(exc.frames))  # the crashing frame first
    hidden = 0
    with_context = 0
    for index, frame in enumerate(frames):
        if not full and not frame.in_app and index != 0:
            hidden += 1
            continue
        if hidden:
            out.append((Text(f"    … {hidden} system frames (f shows all)", style="dim"), None))
            hidden = 0
        out.append((_frame_head(frame, p), None))
        if (frame.in_app or index == 0) and with_context < MAX_CONTEXT_FRAMES:
            with_context += 1
            out.extend(_frame_context(frame))
    if hidden:
        out.append((Text(f"    … {hidden} system frames (f shows all)", style="dim"), None))
    out.append((Text(), None))
    return out


def stack_lines(event: Event | None, *, full: bool, palette: Palette | None = None) -> list[Line]:
    p = palette or default_palette()
    if event is None or not event.exceptions:
        return [(Text("No stack trace in this event.", style="dim italic"), None)]
    mode = "all frames" if full else "in-app frames"
    out: list[Line] = [(Text(f"{len(event.exceptions)} exception(s) · {mode}", style="dim"), None)]
    for n, exc in enumerate(reversed(event.exceptions)):
        out.extend(_exception_lines(exc, p, full=full, first=n == 0))
    return out


# --- breadcrumbs ------------------------------------------------------------------------------
def categories(event: Event | None) -> list[str]:
    if event is None:
        return []
    return sorted({safe(b.category or b.type or "default", limit=40) for b in event.breadcrumbs})


def breadcrumb_lines(
    event: Event | None, category: str | None = None, *, palette: Palette | None = None
) -> list[Line]:
    p = palette or default_palette()
    if event is None or not event.breadcrumbs:
        return [(Text("No breadcrumbs in this event.", style="dim italic"), None)]
    crumbs = event.breadcrumbs
    last_before = _last_before_error(crumbs, event.timestamp)
    head = f"{len(crumbs)} breadcrumbs" + (f" · category {category} (c: next)" if category else "")
    out: list[Line] = [(Text(head, style="dim"), None)]
    previous: datetime | None = None
    for index, crumb in enumerate(crumbs):
        cat = safe(crumb.category or crumb.type or "default", limit=40)
        if category is not None and cat != category:
            continue
        line = Text("▶ " if index == last_before else "  ", style=f"bold {p.error}")
        stamp = crumb.timestamp.strftime("%H:%M:%S.%f")[:-3] if crumb.timestamp else "--:--:--"
        line.append(stamp, style="dim")
        if crumb.timestamp and previous:
            delta = (crumb.timestamp - previous).total_seconds()
            line.append(f" {delta:+7.2f}s ", style="dim")
        else:
            line.append(" " * 10)
        previous = crumb.timestamp or previous
        line.append(LEVEL_GLYPH.get(crumb.level, "?"), style=p.level(crumb.level))
        line.append(f" {cat:<14.14} ", style=p.accent)
        message = crumb.message or ", ".join(f"{k}={v}" for k, v in list(crumb.data.items())[:6])
        line.append(safe(message, limit=500))
        if index == last_before:
            line.append("  ← last before the error", style=f"bold {p.error}")
        out.append((line, None))
    return out


def _last_before_error(crumbs: list[Breadcrumb], when: datetime) -> int | None:
    best = None
    for index, crumb in enumerate(crumbs):
        if crumb.timestamp is None or crumb.timestamp <= when:
            best = index
    return best


# --- trace ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpanTarget:
    span: Span


def trace_lines(
    trace: Trace | None, *, bar_width: int = 32, palette: Palette | None = None
) -> list[Line]:
    p = palette or default_palette()
    if trace is None or not trace.spans:
        return [(Text("No trace for this event.", style="dim italic"), None)]
    spans = sorted(trace.spans, key=lambda s: s.start)
    t0 = spans[0].start
    total = max((max(s.end for s in spans) - t0).total_seconds() * 1000.0, 1.0)
    depth = _depths(spans)
    services = " → ".join(dict.fromkeys(s.service or "?" for s in spans))
    out: list[Line] = [
        (
            Text(
                f"trace {safe(trace.trace_id, limit=64)} · {total:.0f} ms · {services}", style="dim"
            ),
            None,
        )
    ]
    for span in spans[:5000]:
        offset = (span.start - t0).total_seconds() * 1000.0
        start_cell = int(offset / total * bar_width)
        cells = max(1, int(span.duration_ms / total * bar_width))
        errored = bool(span.issue_ids) or (span.status not in (None, "ok"))
        slow = span.duration_ms >= SLOW_MS
        style = f"bold {p.error}" if errored else (f"bold {p.warning}" if slow else p.success)
        line = Text(" " * start_cell)
        line.append("█" * min(cells, bar_width - start_cell), style=style)
        line.append(" " * max(0, bar_width - start_cell - cells))
        line.append(f" {span.duration_ms:>7.0f}ms ", style=f"bold {p.warning}" if slow else "dim")
        line.append("  " * min(depth.get(span.span_id, 0), 12))
        line.append(safe(span.service or "?", limit=20), style=f"bold {p.accent}")
        line.append(SEP, style="dim")
        if span.op:
            line.append(f"{safe(span.op, limit=40)}:", style="dim")
            line.append(" ")
        line.append(safe(span.description or "", limit=300))
        if errored:
            line.append(SEP, style="dim")
            line.append(
                "✖ " + (f"{len(span.issue_ids)} issue(s) ⏎" if span.issue_ids else "error"),
                style=f"bold {p.error}",
            )
        out.append((line, SpanTarget(span) if span.issue_ids else None))
    return out


def _depths(spans: list[Span]) -> dict[str, int]:
    parent = {s.span_id: s.parent_span_id for s in spans}
    out: dict[str, int] = {}
    for sid in parent:
        d, cur, seen = 0, parent.get(sid), {sid}
        while cur is not None and cur in parent and cur not in seen and d < 50:
            seen.add(cur)
            d += 1
            cur = parent.get(cur)
        out[sid] = d
    return out


# --- events -------------------------------------------------------------------------------------
def event_lines(
    events: list[Event],
    current: str | None,
    now: datetime,
    unseen: set[str] | None = None,
    *,
    palette: Palette | None = None,
) -> list[Line]:
    """Newest first; `unseen`: events that arrived live and were not viewed (● new)."""
    p = palette or default_palette()
    if not events:
        return [(Text("No events loaded.", style="dim italic"), None)]
    unseen = unseen or set()
    head = Text(f"{len(events)} recent events · ⏎ open · [ ] step", style="dim")
    if unseen:
        head.append(SEP, style="dim")
        head.append(f"● {len(unseen)} new", style=f"bold {p.success}")
    out: list[Line] = [(head, None)]
    for event in events:
        mark = "▶ " if event.event_id == current else ("● " if event.event_id in unseen else "  ")
        line = Text(mark, style=f"bold {p.success}" if event.event_id in unseen else "bold")
        line.append(f"{relative(event.timestamp, now):>4} ago  ", style="dim")
        line.append(safe(event.event_id[:12], limit=12) + "  ", style=p.accent)
        line.append(f"{safe(event.release or '—', limit=30):<16} ", style="dim")
        line.append(safe(event.title or event.message or "", limit=300))
        if event.user:
            line.append(
                f"  {safe(event.user.get('id') or event.user.get('email'), limit=40)}", style="dim"
            )
        out.append((line, event.event_id))
    return out


def workflow_label(issue: Issue, *, palette: Palette | None = None) -> Text:
    """The issue header's state: "unresolved · escalating  high priority  ◆ for review"."""
    p = palette or default_palette()
    out = Text()
    state = status_text(issue)
    unusual = any(w in state for w in ("escalat", "regress", "unknown"))
    style = f"bold {p.warning}" if unusual else ""
    out.append(safe(state, limit=80), style=style or "bold")
    out.append(SEP, style="dim")
    out.append(priority_word(issue.priority), style="dim" if not issue.priority else "")
    review = review_text(issue)
    if review:
        out.append(SEP, style="dim")
        out.append(f"◆ {safe(review, limit=40)}", style=f"bold {p.warning}")
    if issue.is_bookmarked:
        out.append(SEP, style="dim")
        out.append("★ bookmarked", style="bold")
    return out


def counts_label(issue: Issue) -> str:
    return f"{compact(issue.count)} events · {compact(issue.user_count)} users"
