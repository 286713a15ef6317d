"""Per-service header: open count, events/min sparkline, worst level, source health."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import Horizontal
from textual.widgets import Static

from sxtriage.feed import ServiceStats
from sxtriage.models import Level
from sxtriage.ui.text import LEVEL_GLYPH, safe, sparkline

_LEVEL_STYLE = {
    Level.FATAL: "bold reverse red",
    Level.ERROR: "bold red",
    Level.WARNING: "bold yellow",
    Level.INFO: "cyan",
    Level.DEBUG: "dim",
}


class ServiceCard(Static):
    DEFAULT_CSS = """
    ServiceCard { width: 1fr; height: 3; padding: 0 1; border-right: vkey $panel-lighten-2;
                  background: $panel; }
    ServiceCard.-scoped { background: $primary 30%; }
    """

    def __init__(self, number: int, service: str) -> None:
        super().__init__(id=f"svc-{service}")
        self.number = number
        self.service = service
        self._shown: tuple[ServiceStats, list[int], str, Any | None] | None = None

    def on_resize(self) -> None:
        """The sparkline and the cuts follow the card's width: redraw at the new size
        (the first `show` runs at mount, before the layout gives the card its width)."""
        if self._shown is not None:
            self.show(*self._shown)

    def show(
        self, stats: ServiceStats, rate: list[int], health: str, release: Any | None = None
    ) -> None:
        """`release`: the service's latest ReleaseInfo (version, new_issues, baseline)."""
        self._shown = (stats, rate, health, release)
        width = max(4, self.size.width - 2 if self.size.width else 16)
        top = Text()
        top.append(f"{self.number} ", style="dim")
        top.append(self.service, style="bold")
        top.append(" ")
        if stats.worst is not None:
            top.append(LEVEL_GLYPH[stats.worst], style=_LEVEL_STYLE[stats.worst])
        top.append(f" {stats.open} open")
        per_min = rate[-1] if rate else 0
        middle = Text(sparkline(rate, max(1, width - 8)), style="green")
        middle.append(f" {per_min}/m", style="dim")
        bottom = Text()
        if release is not None:
            bottom.append(safe(release.version, limit=40), style="bold")
            new = int(getattr(release, "new_issues", 0) or 0)
            if new and not getattr(release, "baseline", False):
                bottom.append(f" +{new} new", style="bold yellow")
            bottom.append(" · ", style="dim")
        bottom.append(health, style="dim")
        top.truncate(width)
        middle.truncate(width)
        bottom.truncate(width, overflow="ellipsis")
        # fixed size (height 3, width 1fr): no re-layout of the screen per update
        self.update(Text("\n").join([top, middle, bottom]), layout=False)


class ServiceBar(Horizontal):
    DEFAULT_CSS = "ServiceBar { height: 3; }"

    def __init__(self, services: list[str]) -> None:
        super().__init__(id="service-bar")
        self.services = services

    def compose(self):  # type: ignore[no-untyped-def]
        for n, svc in enumerate(self.services, start=1):
            yield ServiceCard(n, svc)

    def show(
        self,
        stats: dict[str, ServiceStats],
        rates: dict[str, list[int]],
        health: str,
        scope: str | None,
        releases: dict[str, Any] | None = None,
    ) -> None:
        releases = releases or {}
        for card in self.query(ServiceCard):
            card.set_class(card.service == scope, "-scoped")
            card.show(stats[card.service], rates[card.service], health, releases.get(card.service))
