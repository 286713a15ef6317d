"""The Textual app: screens, keymap, themes; triage actions come from TriageKeysMixin."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from textual.app import App
from textual.binding import Binding

from sxtriage.models import Issue, IssueKey, utcnow
from sxtriage.ui.backend import Backend
from sxtriage.ui.bindings import bindings, check_keymap
from sxtriage.ui.commands import SxCommands
from sxtriage.ui.screens.feed import FeedScreen
from sxtriage.ui.screens.help import HelpScreen
from sxtriage.ui.screens.issue import IssueScreen
from sxtriage.ui.theme import DEFAULT_THEME, load_themes

try:  # the triage part
    from sxtriage.ui.triage_keys import TriageKeysMixin
except ImportError:  # pragma: no cover - depends on the build

    class TriageKeysMixin:  # type: ignore[no-redef]
        """Placeholder until the triage actions are installed."""


class SxTriageApp(TriageKeysMixin, App[int]):
    TITLE = "sxtriage"
    BINDINGS: list[Binding] = bindings("app")  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {SxCommands}
    CSS = "Screen { background: $background; }"

    def __init__(
        self,
        backend: Backend,
        *,
        clock: Callable[[], datetime] = utcnow,
        start_backend: bool = True,
        theme_dirs: list[Any] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.now = clock
        self.start_backend = start_backend
        self.keymap_overrides, self.keymap_errors = check_keymap(dict(backend.settings.keymap))
        themes, self.theme_errors = load_themes(theme_dirs)
        self.user_themes = {t.name for t in themes}
        for theme in themes:
            self.register_theme(theme)
        self._quit_armed = False
        backend.toast = self._toast

    # --- lifecycle ------------------------------------------
    async def on_mount(self) -> None:
        self.set_keymap(self.keymap_overrides)
        wanted = self.backend.get_pref("theme") or self.backend.settings.theme
        self.theme = self._known_theme(wanted)
        for line in [*self.keymap_errors, *self.theme_errors, *self.backend.alert_errors]:
            self.notify(line, severity="warning", timeout=8, markup=False)
        await self.push_screen(FeedScreen(self))
        if self.start_backend:
            self.run_worker(self.backend.start(), group="backend", exit_on_error=False)

    async def on_unmount(self) -> None:
        await self.backend.stop()

    def _known_theme(self, name: str | None) -> str:
        if name and name in self.available_themes:
            return name
        if name:
            self.notify(f"Unknown theme {name!r}; using {DEFAULT_THEME}", severity="warning")
        return DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"

    def choose_theme(self, name: str) -> None:
        self.theme = self._known_theme(name)
        self.run_worker(self.backend.set_pref("theme", self.theme), group="prefs")

    def _toast(self, message: str, severity: str = "information") -> None:
        level = severity if severity in ("information", "warning", "error") else "information"
        self.notify(message, severity=level, markup=False)  # type: ignore[arg-type]

    def run_command(self, factory: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        async def go() -> None:
            try:
                result = await factory()
            except Exception as exc:
                self.notify(f"Command failed: {exc}", severity="error", markup=False)
                return
            if result:
                self.notify(str(result), markup=False)

        self.run_worker(go(), group="commands", exit_on_error=False)

    # --- what the triage actions act on ------------------------------------------
    def feed_screen(self) -> FeedScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, FeedScreen):
                return screen
        return None

    def current_issue(self) -> Issue | None:
        screen = self.screen
        if isinstance(screen, IssueScreen):
            return screen.issue
        feed = self.feed_screen()
        if feed is None or feed.issue_list.cursor_key is None:
            return None
        return self.backend.feed.get(feed.issue_list.cursor_key)

    def selected_issues(self) -> list[Issue]:
        screen = self.screen
        if isinstance(screen, IssueScreen):
            return [screen.issue] if screen.issue is not None else []
        feed = self.feed_screen()
        return feed.selected_issues() if feed is not None else []

    # --- navigation ------------------------------------------
    def open_issue(self, key: IssueKey, *, replace: bool = False) -> None:
        if self.backend.feed.get(key) is None:
            self.notify("That issue is no longer in the feed.", severity="warning")
            return
        feed = self.feed_screen()
        if feed is not None:
            feed.issue_list.select_key(key)
        if replace and isinstance(self.screen, IssueScreen):
            self.switch_screen(IssueScreen(self, key))
        else:
            self.push_screen(IssueScreen(self, key))

    def action_mark_related(self) -> None:
        """Mark the issue and the issues of other services sharing its traces (one
        incident) in the feed, so the bulk actions (assign, resolve…) apply to all."""
        issue = self.current_issue()
        feed = self.feed_screen()
        if issue is None or feed is None:
            self.notify("No issue selected: move the cursor onto an issue first.")
            return
        group = [k for k in self.backend.group_of(issue.key) if self.backend.feed.get(k)]
        if len(group) < 2:
            self.notify(
                f"{issue.short_id} shares no trace with another service's issue.", markup=False
            )
            return
        while self.screen is not feed and len(self.screen_stack) > 2:
            self.pop_screen()
        # Show exactly the incident (whatever the filter hid), then mark all of it.
        if self.backend.feed.query.text:
            self.backend.feed.set_filter("")
        if self.backend.feed.scope is not None:
            self.backend.feed.set_scope(None)
        feed.show_alert_issues(group, f"incident {issue.short_id}")
        lst = feed.issue_list
        lst.marks.update(self.backend.feed.order)  # the incident, as shown (linked issues too)
        lst.refresh()
        names = ", ".join(self.backend.feed.get(k).short_id for k in group)  # type: ignore[union-attr]
        self.notify(
            f"Marked {len(group)} related issues ({names}); A assigns them all to you.",
            markup=False,
        )
        feed.refresh_status()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            from sxtriage.ui.workflow_keys import unavailable_keys

            self.push_screen(HelpScreen(self.keymap_overrides, unavailable_keys(self.backend)))

    def action_request_quit(self) -> None:
        triage = self.backend.triage
        pending = len(getattr(triage, "pending", {}) or {}) if triage is not None else 0
        if not pending or self._quit_armed:
            self.exit(0)
            return
        self._quit_armed = True
        self.notify(
            f"{pending} action(s) still being sent (kept in the outbox and resent on the next "
            "start). Press q again to quit.",
            severity="warning",
            timeout=4,
        )

        def disarm() -> None:
            self._quit_armed = False

        self.set_timer(4, disarm)

    async def action_back(self) -> None:
        if len(self.screen_stack) > 2:
            self.pop_screen()

    async def wait_idle(self) -> None:
        """Tests: let queued callbacks run."""
        await asyncio.sleep(0)
