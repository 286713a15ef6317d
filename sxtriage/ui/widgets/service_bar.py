"""Per-service header: open count, worst level, events/min sparkline, latest release."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Horizontal
from textual.widgets import Static

from sxtriage.feed import ServiceStats
from sxtriage.insights.releases import ReleaseInfo
from sxtriage.ui.text import LEVEL_GLYPH, safe, sparkline
from sxtriage.ui.theme import palette_of


def _first_fit(variants: list[Text], width: int) -> Text:
    """The first variant that fits `width` whole, else the last one cut with an ellipsis."""
    for text in variants:
        if text.cell_len <= width:
            return text
    last = variants[-1].copy()
    last.truncate(width, overflow="ellipsis")
    return last


class ServiceCard(Static):
    """One service: number, name, worst level and open issues; its events/min sparkline
    and rate; its latest release (and the issues new in it).  Only this service's own
    numbers — the sources' health is said once, in the status line."""

    DEFAULT_CSS = """
    ServiceCard { width: 1fr; height: 3; padding: 0 1; border-right: vkey $panel-lighten-2;
                  background: $panel; text-wrap: nowrap; text-overflow: ellipsis; }
    ServiceCard.-scoped { background: $primary 30%; }
    """

    def __init__(self, number: int, service: str) -> None:
        super().__init__(id=f"svc-{service}")
        self.number = number
        self.service = service
        self._shown: tuple[ServiceStats, list[int], ReleaseInfo | None] | None = None

    def on_resize(self) -> None:
        """The sparkline and the cuts follow the card's width: redraw at the new size
        (the first `show` runs at mount, before the layout gives the card its width)."""
        if self._shown is not None:
            self.show(*self._shown)

    def _top(self, stats: ServiceStats, width: int) -> Text:
        glyph = Text()
        if stats.worst is not None:
            glyph.append(" ")
            glyph.append(LEVEL_GLYPH[stats.worst], style=palette_of(self.app).level(stats.worst))
        name = safe(self.service, limit=32)

        def line(number: bool, label: str, words: str) -> Text:
            text = Text()
            if number:
                text.append(f"{self.number} ", style="dim")
            text.append(label, style="bold")
            text.append_text(glyph)
            text.append(f" {stats.open}{words}")
            return text

        short = name[: max(1, width - len(f" {stats.open}"))]
        return _first_fit(
            [
                line(True, name, " open"),
                line(True, name, ""),
                line(False, name, ""),
                Text.assemble((name, "bold"), f" {stats.open}"),
                Text.assemble((short, "bold"), f" {stats.open}"),
            ],
            width,
        )

    def show(
        self, stats: ServiceStats, rate: list[int], release: ReleaseInfo | None = None
    ) -> None:
        """`release`: the service's latest release (version, new_issues, baseline)."""
        self._shown = (stats, rate, release)
        colours = palette_of(self.app)
        width = max(4, self.size.width or 14)
        top = self._top(stats, width)
        per_min = f" {rate[-1] if rate else 0}/m"
        middle = Text(sparkline(rate, max(1, width - len(per_min))), style=colours.success)
        middle.append(per_min, style="dim")
        middle.truncate(width)
        bottom = Text(no_wrap=True)
        if release is not None:
            bottom.append(safe(release.version, limit=40), style="bold")
            new = release.new_issues
            if new and not release.baseline:
                bottom.append(f" +{new} new", style=f"bold {colours.warning}")
        else:
            bottom.append("release —" if width >= 9 else "—", style="dim")
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

    async def set_services(self, services: list[str]) -> None:
        """Other services (the org's projects arrived): one card each, anew."""
        if services != self.services:
            self.services = services
            await self.recompose()

    def show(
        self,
        stats: dict[str, ServiceStats],
        rates: dict[str, list[int]],
        scope: str | None,
        releases: dict[str, ReleaseInfo | None] | None = None,
    ) -> None:
        releases = releases or {}
        for card in self.query(ServiceCard):
            if card.service not in stats:  # a card of the services before `set_services`
                continue
            card.set_class(card.service == scope, "-scoped")
            card.show(stats[card.service], rates[card.service], releases.get(card.service))
