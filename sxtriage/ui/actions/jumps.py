"""`:` / ctrl+p jumps: the palette offers "Open …" for a short id, a Sentry URL, an event
id or a trace id (`sxtriage/jump.py` parses and resolves), and the app goes there.

Resolving runs in a worker: the feed first, then Sentry (`shortids`, `eventids`, the
issue).  An issue fetched from the server is put into the feed so every screen can show
it; a trace opens the trace view; anything not found is one toast naming why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sxtriage.jump import Jump, Target, parse_target, resolve
from sxtriage.models import IssueDelta
from sxtriage.ui.text import safe

if TYPE_CHECKING:
    from sxtriage.ui.host import AppHost


def jump_title(text: str) -> tuple[Target, str] | None:
    """The palette entry for what was typed, or None when it names nothing to open."""
    target = parse_target(text)
    if target is None:
        return None
    value = safe(target.value, limit=64)
    match target.kind:
        case "short_id":
            title = f"Open {value}"
        case "issue_id":
            title = f"Open issue {value}" + (" at its event" if target.event_id else "")
        case "event_id":
            title = f"Open event {value}"
        case "trace_id":
            title = f"Open trace {value}"
        case _:
            title = f"Open event or trace {value}"
    return target, title


class JumpsMixin:
    """On the app: `jump(target)` resolves in a worker and opens what it found."""

    def jump(self: AppHost, target: Target) -> None:
        async def go() -> None:
            session = self.session
            found = await resolve(target, list(session.feed.issues.values()), session.sentry)
            self.open_jump(found)

        self.run_worker(go(), name="Looking it up", group="jump", exclusive=True)

    def open_jump(self: AppHost, found: Jump) -> None:
        from sxtriage.ui.screens.issue.screen import IssueScreen
        from sxtriage.ui.screens.trace import TraceScreen

        if found.error:
            self.notify(found.error, severity="warning", markup=False)
            return
        if found.trace_id:
            self.push_screen(TraceScreen(self, found.trace_id))
            return
        if found.key is None:
            return
        if found.issue is not None and self.session.feed.get(found.key) is None:
            self.session.feed.apply(IssueDelta(source=found.key[0], upserts=[found.issue]))
        feed = self.feed_screen()
        if feed is not None:
            feed.issue_list.select_key(found.key)
        screen = IssueScreen(self, found.key, event_id=found.event_id, issue=found.issue)
        if isinstance(self.screen, IssueScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
