"""What the screens and the palette ask of the app (`SxTriageApp` provides it).

Typed as a Protocol so the screens need not import the app that imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, Literal, Protocol

from sxtriage.core.session import Session
from sxtriage.jump import Target
from sxtriage.models import IssueKey
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
