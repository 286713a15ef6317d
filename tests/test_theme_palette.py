"""Colours come only from the theme: the level colours are defined once (`LEVEL_LOOK`) and
drawn in the theme's colours by the issue list, the service bar and the issue screen's
tabs alike; no style in ui/ names a colour of its own."""

from __future__ import annotations

import re
from pathlib import Path

from rich.style import Style
from textual.color import Color

import sxtriage.ui
from sxtriage.models import Level
from sxtriage.ui.screens.issue import tabs
from sxtriage.ui.theme import LEVEL_LOOK, default_palette, palette_of
from tests.fixtures_ui import make_event, make_issue

_COLOUR_NAME = re.compile(
    r"""style\s*=\s*f?["'][^"']*\b(red|green|yellow|blue|cyan|magenta|white|black)\b"""
)


async def test_level_colours_follow_the_theme_everywhere(ui_app) -> None:  # type: ignore[no-untyped-def]
    fatal = make_issue(4)  # the sample data's fifth issue is fatal
    assert fatal.level is Level.FATAL
    app = ui_app([fatal])
    async with app.run_test(size=(120, 30)) as pilot:
        for theme in ("sxtriage-dark", "sxtriage-light", "sxtriage-high-contrast"):
            app.theme = theme
            await pilot.pause()
            palette = palette_of(app)
            assert palette.error == Color.parse(app.theme_variables["error"]).hex
            lst = app.feed_screen().issue_list  # type: ignore[union-attr]
            want = Style.parse(f"bold reverse {palette.error}")
            assert lst._row_styles().levels[Level.FATAL] == want
            crumbs = tabs.breadcrumb_lines(make_event(fatal), palette=palette)
            styles = {str(span.style) for line, _ in crumbs for span in line.spans}
            # the sample breadcrumbs are info, with a warning every ninth
            assert {palette.level(Level.WARNING), palette.level(Level.INFO)} <= styles
        assert palette_of(app) != default_palette()  # the last theme is not the default


def test_one_definition_of_the_level_look() -> None:
    palette = default_palette()
    for level, (role, look) in LEVEL_LOOK.items():
        style = Style.parse(palette.level(level))
        if role is None:
            assert style.color is None and style.dim
        else:
            assert style.color is not None
            assert style.color.triplet.hex == getattr(palette, role).lower()  # type: ignore[union-attr]
        assert all(getattr(style, word) for word in look.split())


def test_no_style_in_ui_names_a_colour() -> None:
    root = Path(sxtriage.ui.__file__).parent
    found = [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _COLOUR_NAME.search(line)
    ]
    assert found == [], "take colours from the theme (ui/theme.py Palette):\n" + "\n".join(found)
