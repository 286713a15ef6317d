"""One line under the table: LIVE/PAUSED, "N new", counts (or that the cache is still
being read), sources' health, scope, sort, filter."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from sxtriage.ui.text import safe
from sxtriage.ui.theme import palette_of


class StatusLine(Static):
    DEFAULT_CSS = "StatusLine { height: 1; background: $panel; padding: 0 1; }"

    def show(
        self,
        *,
        paused: bool,
        new: int,
        shown: int,
        total: int,
        marked: int,
        scope: str | None,
        sort: str,
        query: str,
        view: str = "",
        health: str = "",
        loading: bool = False,
    ) -> None:
        """`health`: the sources' health ("sentry ✓ · relay ✓"), shown once, here.
        `loading`: cached issues are still being read, so `total` is what was read so far
        (not "500 of 500" as if that were all)."""
        colours = palette_of(self.app)
        line = Text()
        if paused:
            line.append(" PAUSED ", style=f"bold reverse {colours.warning}")
            if new:
                line.append(f" {new} new", style=f"bold {colours.warning}")
        else:
            line.append(" LIVE ", style=f"bold reverse {colours.success}")
        if loading:
            line.append(f"  loading cache… {total:,} read", style=f"bold {colours.warning}")
            if shown != total:
                line.append(f", {shown:,} shown")
        else:
            line.append(f"  {shown:,} of {total:,}")
        if marked:
            line.append(f"  ● {marked} marked", style="bold")
        if health:
            stale = "stale" in health or health == "no sources"
            line.append(f"  {health}", style=f"bold {colours.warning}" if stale else "dim")
        if view:
            line.append("  view:", style="dim")
            line.append(safe(view, limit=40), style="bold")
        line.append(f"  scope:{scope or 'all'}", style="dim")
        line.append(f"  sort:{sort}", style="dim")
        if query:
            line.append("  filter: ", style="dim")
            line.append(safe(query, limit=200))
        self.update(line, layout=False)  # height 1: no re-layout per update
