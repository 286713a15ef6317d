"""The command palette provider: registry actions, themes, sorts, scopes, extra commands.

Every entry shows its key from the registry (with the user's keymap applied), so the
palette, the footer and `?` help never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from sxtriage.feed import SortKey
from sxtriage.ui.actions.jumps import jump_title
from sxtriage.ui.bindings import REGISTRY, effective_keys, key_label
from sxtriage.ui.host import Host
from sxtriage.ui.screens.feed.screen import FeedScreen
from sxtriage.ui.screens.issue.screen import IssueScreen
from sxtriage.ui.text import safe

Command = tuple[str, Callable[[], Any], str]


class SxCommands(Provider):
    def _commands(self) -> list[Command]:
        app = self.app
        host = cast(Host, app)
        session = host.session
        screen = self.screen
        scope = screen.SCOPE if isinstance(screen, FeedScreen | IssueScreen) else None
        keymap = host.keymap_overrides
        out: list[Command] = []
        for spec in (*REGISTRY, *host.user_specs):
            if not spec.palette:
                continue
            if spec.scope in ("feed", "issue") and spec.scope != scope:
                continue
            if spec.scope == "list":
                continue
            target = app if spec.scope == "app" else screen
            keys = key_label(effective_keys(spec, keymap))
            out.append(
                (spec.description, partial(app.run_action, spec.action, target), f"key: {keys}")
            )
        for name in sorted(app.available_themes):
            if name.startswith("sxtriage") or name in host.user_themes:
                out.append((f"Theme: {name}", partial(host.choose_theme, name), "switch theme"))
        if isinstance(screen, FeedScreen):
            for sort in SortKey:
                label = sort.value.replace("_", " ")
                out.append((f"Sort by {label}", partial(screen.set_sort, sort), "feed order"))
            for n, svc in enumerate(["all", *session.settings.services]):
                out.append((f"Scope: {svc}", partial(screen.action_scope, n), f"key: {n}"))
            for n, view in enumerate(session.sections.views):
                where = "Sentry saved view" if view.origin == "sentry" else "feed section"
                name = escape(safe(view.name, limit=60))  # org data: plain text, not markup
                out.append((f"View: {name}", partial(screen.show_view, n), where))
        for title, factory in session.commands.items():
            out.append((title, partial(host.run_command, factory), "demo"))
        return out

    async def discover(self) -> Hits:
        for title, run, help_text in self._commands():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        jump = jump_title(query)
        if jump is not None:  # a short id, a Sentry URL, an event or trace id: go there
            target, title = jump
            host = cast(Host, self.app)
            yield Hit(1.0, title, partial(host.jump, target), text=title, help="jump")
        matcher = self.matcher(query)
        for title, run, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)
