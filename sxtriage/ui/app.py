"""The Textual app: screens, keymap, themes; triage actions come from TriageKeysMixin.

The app shows a running `Session` (core/session.py): it subscribes to the session's
events and turns notices into toasts.  A failed worker is reported by `LoudWorkers`
(ui/workers.py): the log file and a toast, never swallowed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding

from sxtriage.core.events import Notice, ServicesChanged, SessionEvent
from sxtriage.core.session import Session
from sxtriage.models import Issue, IssueKey, utcnow
from sxtriage.ui.actions.jumps import JumpsMixin
from sxtriage.ui.actions.triage import TriageKeysMixin
from sxtriage.ui.actions.user_commands import UserCommandsMixin
from sxtriage.ui.actions.workflow import unavailable_keys
from sxtriage.ui.bindings import bindings, check_keymap
from sxtriage.ui.screens.feed.screen import FeedScreen
from sxtriage.ui.theme import DEFAULT_THEME, load_themes
from sxtriage.ui.widgets.service_bar import ServiceBar
from sxtriage.ui.workers import LoudWorkers

if TYPE_CHECKING:
    from textual.command import Provider

    from sxtriage.ui.screens.issue.screen import IssueScreen

QUIT_ARMED_SECONDS = 4


def _sx_commands() -> type[Provider]:
    """The palette's provider, imported when the palette first opens (it brings the
    issue screen with it, which the first frame does not show)."""
    from sxtriage.ui.commands import SxCommands

    return SxCommands


_ISSUE_SCREEN = "sxtriage.ui.screens.issue.screen"


def _issue_screen() -> type[IssueScreen]:
    from sxtriage.ui.screens.issue.screen import IssueScreen

    return IssueScreen


def _as_issue_screen(screen: object) -> IssueScreen | None:
    """`screen` when it is an issue screen; there is none before its module is imported
    (the first issue opened imports it), so asking does not import it."""
    module = sys.modules.get(_ISSUE_SCREEN)
    return screen if module is not None and isinstance(screen, module.IssueScreen) else None


class SxTriageApp(TriageKeysMixin, JumpsMixin, UserCommandsMixin, LoudWorkers, App[int]):
    TITLE = "sxtriage"
    BINDINGS: list[Binding] = bindings("app")  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {_sx_commands}
    CSS = "Screen { background: $background; }"

    def __init__(
        self,
        session: Session,
        *,
        clock: Callable[[], datetime] = utcnow,
        start_session: bool = True,
        theme_dirs: list[Path] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.now = clock
        self.start_session = start_session
        self.keymap_overrides, self.keymap_errors = check_keymap(dict(session.settings.keymap))
        self.keymap_errors += self.bind_user_commands()  # [[commands]]; a taken key refused
        themes, self.theme_errors = load_themes(theme_dirs)
        self.user_themes = {t.name for t in themes}
        for theme in themes:
            self.register_theme(theme)
        # The theme before the first frame: set on mount, it would restyle the whole
        # screen once more (Textual re-parses the CSS for a new theme).
        self._theme_wanted = self._wanted_theme()
        self.theme, theme_note = self._theme_named(self._theme_wanted)
        if theme_note:
            self.theme_errors.append(theme_note)
        self._quit_armed = False
        self._unsubscribe: Callable[[], None] | None = None

    # --- lifecycle ------------------------------------------
    async def on_mount(self) -> None:
        self.set_keymap(self.keymap_overrides)
        if (wanted := self._wanted_theme()) != self._theme_wanted:  # chosen since __init__
            self.theme = self._known_theme(wanted)
        for line in [*self.keymap_errors, *self.theme_errors, *self.session.alert_errors]:
            self.notify(line, severity="warning", timeout=8, markup=False)
        self._unsubscribe = self.session.subscribe(self._session_event)
        self.call_later(self._show_feed)

    async def _show_feed(self) -> None:
        """The feed, once the app's start-up is done: Textual holds every frame until then,
        so a screen pushed during mount is drawn twice (once for nothing)."""
        await self.push_screen(FeedScreen(self))
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        """Once the feed is on screen: the rest of the issue cache, then the sources (the
        session's start waits for the cache), so neither delays the first frame."""
        if self.session.cache_loading:
            self.run_worker(
                self.session.load_cache_rest(), name="Loading the cached issues", group="session"
            )
        if self.start_session:
            self.run_worker(self.session.start(), name="Starting the session", group="session")

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        await self.session.stop()

    def _session_event(self, event: SessionEvent) -> None:
        if isinstance(event, Notice):
            self.notify(event.message, severity=event.severity, markup=False)
        elif isinstance(event, ServicesChanged):
            self.run_worker(self._show_services(event.services), name="Showing the services")

    async def _show_services(self, services: list[str]) -> None:
        """The org's projects arrived: the feed's service bar shows them."""
        feed = self.feed_screen()
        if feed is None:
            return
        await feed.query_one(ServiceBar).set_services(services)
        feed.refresh_chrome()

    def _wanted_theme(self) -> str | None:
        return self.session.prefs.get("theme") or self.session.settings.theme

    def _theme_named(self, name: str | None) -> tuple[str, str | None]:
        """The theme to show for `name`, and why not that one when it is unknown."""
        if name and name in self.available_themes:
            return name, None
        fallback = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        return fallback, f"Unknown theme {name!r}; using {fallback}" if name else None

    def _known_theme(self, name: str | None) -> str:
        theme, note = self._theme_named(name)
        if note:
            self.notify(note, severity="warning", markup=False)
        return theme

    def choose_theme(self, name: str) -> None:
        self.theme = self._known_theme(name)
        self.run_worker(self.session.prefs.set("theme", self.theme), name="Saving the theme")

    def run_command(self, factory: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        async def go() -> None:
            result = await factory()
            if result:
                self.notify(str(result), markup=False)

        self.run_worker(go(), name="The command", group="commands")

    # --- what the triage actions act on ------------------------------------------
    def feed_screen(self) -> FeedScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, FeedScreen):
                return screen
        return None

    def current_issue(self) -> Issue | None:
        screen = _as_issue_screen(self.screen)
        if screen is not None:
            return screen.issue
        feed = self.feed_screen()
        if feed is None or feed.issue_list.cursor_key is None:
            return None
        return self.session.feed.get(feed.issue_list.cursor_key)

    def selected_issues(self) -> list[Issue]:
        screen = _as_issue_screen(self.screen)
        if screen is not None:
            return [screen.issue] if screen.issue is not None else []
        feed = self.feed_screen()
        return feed.selected_issues() if feed is not None else []

    # --- navigation ------------------------------------------
    def open_issue(self, key: IssueKey, *, replace: bool = False) -> None:
        if self.session.feed.get(key) is None:
            self.notify("That issue is no longer in the feed.", severity="warning")
            return
        feed = self.feed_screen()
        if feed is not None:
            feed.issue_list.select_key(key)
        issue_screen = _issue_screen()
        if replace and _as_issue_screen(self.screen) is not None:
            self.switch_screen(issue_screen(self, key))
        else:
            self.push_screen(issue_screen(self, key))

    def action_mark_related(self) -> None:
        """Mark the issue and the issues of other services sharing its traces (one
        incident) in the feed, so the bulk actions (assign, resolve…) apply to all."""
        issue = self.current_issue()
        feed_screen = self.feed_screen()
        if issue is None or feed_screen is None:
            self.notify("No issue selected: move the cursor onto an issue first.")
            return
        feed = self.session.feed
        group = [k for k in self.session.correlator.group_of(issue.key) if feed.get(k)]
        if len(group) < 2:
            self.notify(
                f"{issue.short_id} shares no trace with another service's issue.", markup=False
            )
            return
        while self.screen is not feed_screen and len(self.screen_stack) > 2:
            self.pop_screen()
        # Show exactly the incident (whatever the filter hid), then mark all of it.
        if feed.query.text:
            feed.set_filter("")
        if feed.scope is not None:
            feed.set_scope(None)
        feed_screen.show_alert_issues(group, f"incident {issue.short_id}")
        lst = feed_screen.issue_list
        lst.marks.update(feed.order)  # the incident, as shown (linked issues too)
        lst.refresh()
        names = ", ".join(i.short_id for k in group if (i := feed.get(k)) is not None)
        self.notify(
            f"Marked {len(group)} related issues ({names}); A assigns them all to you.",
            markup=False,
        )
        feed_screen.refresh_status()

    def action_help(self) -> None:
        from sxtriage.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(
                HelpScreen(self.keymap_overrides, unavailable_keys(self.session), self.user_specs)
            )

    def action_request_quit(self) -> None:
        triage = self.session.triage
        pending = len(triage.pending) if triage is not None else 0
        if not pending or self._quit_armed:
            self.exit(0)
            return
        self._quit_armed = True
        self.notify(
            f"{pending} action(s) still being sent (kept in the outbox and resent on the next "
            "start). Press q again to quit.",
            severity="warning",
            timeout=QUIT_ARMED_SECONDS,
        )

        def disarm() -> None:
            self._quit_armed = False

        self.set_timer(QUIT_ARMED_SECONDS, disarm)

    async def action_back(self) -> None:
        if len(self.screen_stack) > 2:
            self.pop_screen()
