"""The stale-data banner: shown while a source is down; last data stays on screen."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from sxtriage.models import SourceHealth
from sxtriage.ui.text import relative, safe


def health_line(health: SourceHealth, now: datetime) -> str:
    since = relative(health.last_success, now) if health.last_success else "start"
    error = safe(health.error or "unreachable", limit=160)
    return f"{health.name}: {error} — showing last data (stale since {since})"


class Banner(Static):
    DEFAULT_CSS = """
    Banner { height: auto; max-height: 3; background: $error 70%; color: $text;
             padding: 0 1; display: none; }
    Banner.-show { display: block; }
    """

    def show(self, down: list[SourceHealth], now: datetime) -> None:
        self.set_class(bool(down), "-show")
        if down:
            self.update(Text("⚠ " + "; ".join(health_line(h, now) for h in down)))
