"""Resolve-in-release modals: the release picker (the org's releases of one project,
newest first, filtered as you type — Sentry's "Another existing release…",
static/app/components/customResolutionModal.tsx) and the warning shown when the issue's
events carry no release, so "the next release" can never come.  Both return a choice;
they send nothing."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from sxtriage.models import Release
from sxtriage.ui.modals.picker import FilterPicker
from sxtriage.ui.text import relative, safe


class ReleaseModal(FilterPicker[Release]):
    DEFAULT_CSS = """
    ReleaseModal { align: center middle; }
    ReleaseModal > Vertical {
        width: 70; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ReleaseModal #release-title { text-style: bold; }
    ReleaseModal Input { border: none; height: 1; }
    ReleaseModal OptionList { height: auto; max-height: 14; }
    ReleaseModal #release-empty { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="release.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="release.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="release.up"),
    ]

    def __init__(
        self, releases: list[Release], *, project: str | None, count: int = 1, now: datetime
    ) -> None:
        super().__init__()
        self.releases = list(releases)
        self._project = project
        self._count = count
        self._now = now
        self.shown: list[Release] = list(self.releases)

    def compose(self) -> ComposeResult:
        what = "this issue" if self._count == 1 else f"{self._count} issues"
        where = f" ({safe(self._project, limit=40)})" if self._project else ""
        with Vertical():
            yield Label(Text(f"Resolve {what} in a release{where}"), id="release-title")
            yield Input(placeholder="type to filter versions", id="release-filter")
            yield OptionList(id="release-list")
            yield Static(id="release-empty")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(Input).focus()

    def _label(self, release: Release, newest: bool) -> Text:
        line = Text(safe(release.version, limit=60))
        when = release.date_created
        if when is not None:
            line.append(f"  {relative(when, self._now)} ago", style="dim")
        if newest:
            line.append("  newest", style="bold")
        return line

    def _fill(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        newest = self.releases[0].version if self.releases else None
        for n, release in enumerate(self.shown):
            options.add_option(Option(self._label(release, release.version == newest), id=str(n)))
        if self.shown:
            options.highlighted = 0
        empty = "" if self.shown else "No release matches; esc to cancel."
        self.query_one("#release-empty", Static).update(Text(empty))

    @on(Input.Changed, "#release-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        needle = event.value.strip().lower()
        self.shown = [r for r in self.releases if needle in r.version.lower()]
        self._fill()


NOW, IN_RELEASE, ARCHIVE = "now", "release", "archive"


class NoReleaseModal(ModalScreen[str | None]):
    """Returns "now", "release" (pick one), "archive" (until escalating) or None."""

    DEFAULT_CSS = """
    NoReleaseModal { align: center middle; }
    NoReleaseModal > Vertical {
        width: 72; max-width: 95%; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    NoReleaseModal #norelease-title { text-style: bold; color: $warning; }
    NoReleaseModal #norelease-why { height: auto; margin-bottom: 1; }
    NoReleaseModal OptionList { height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="norelease.cancel")]

    def __init__(self, short_ids: list[str], total: int) -> None:
        super().__init__()
        self._ids = short_ids
        self._total = total

    def compose(self) -> ComposeResult:
        shown = ", ".join(safe(s, limit=40) for s in self._ids[:4])
        if len(self._ids) > 4:
            shown += f" and {len(self._ids) - 4} more"
        verb = "carry" if len(self._ids) > 1 else "carries"
        why = (
            f'The events of {shown} {verb} no release, so "the next release" can never '
            "happen: Sentry would keep waiting for a release it will never see."
        )
        if self._total > len(self._ids):
            rest = self._total - len(self._ids)
            why += f" ({rest} of the marked issues {'has' if rest == 1 else 'have'} one.)"
        with Vertical():
            yield Label(Text("No release to resolve in"), id="norelease-title")
            yield Static(Text(why), id="norelease-why")
            yield OptionList(
                Option(Text("Resolve now"), id=NOW),
                Option(Text("Resolve in a chosen release…"), id=IN_RELEASE),
                Option(Text("Archive until escalating"), id=ARCHIVE),
                Option(Text("Cancel"), id="cancel"),
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        choice = event.option.id
        self.dismiss(None if choice == "cancel" else choice)

    def action_cancel(self) -> None:
        self.dismiss(None)
