"""What the screens, the palette and the action mixins ask of the app (`SxTriageApp`
provides it).  Typed as Protocols so none of them imports the app that imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Literal, Protocol

from textual.screen import Screen
from textual.worker import Worker

from sxtriage.core.session import Session
from sxtriage.jump import Target
from sxtriage.models import Issue, IssueKey
from sxtriage.ui.bindings import KeySpec

Severity = Literal["information", "warning", "error"]


class Host(Protocol):
    session: Session
    now: Callable[[], datetime]
    """The clock of every relative time on screen (fixed in tests)."""
    keymap_overrides: dict[str, str]
    user_themes: set[str]
    user_specs: list[KeySpec]
    """The user's own commands ([[commands]]) as registry key specs."""

    def open_issue(self, key: IssueKey, *, replace: bool = False) -> None: ...

    def choose_theme(self, name: str) -> None: ...

    def jump(self, target: Target) -> None: ...

    def run_command(self, factory: Callable[[], Coroutine[Any, Any, Any]]) -> None: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Severity = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...

    def bell(self) -> None: ...


class AppHost(Host, Protocol):
    """The app as its action mixins (`ui/actions/`) use it: the Host, Textual's screen
    stack and workers, and the cursor's issue."""

    @property
    def screen(self) -> Screen[Any]: ...

    def push_screen(self, screen: Screen[Any], *args: Any, **kwargs: Any) -> Any: ...

    def switch_screen(self, screen: Screen[Any]) -> Any: ...

    def run_worker(self, work: Any, *args: Any, **kwargs: Any) -> Worker[Any]: ...

    def suspend(self) -> AbstractContextManager[None]: ...

    def refresh(self, *args: Any, **kwargs: Any) -> Any: ...

    def feed_screen(self) -> Any: ...

    def current_issue(self) -> Issue | None: ...

    def open_jump(self, found: Any) -> None: ...

    @property
    def _bindings(self) -> Any: ...
