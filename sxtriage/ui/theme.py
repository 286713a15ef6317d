"""Themes as TOML data files → Textual `Theme`s: built-ins, then the user's config dir.

A theme file: `name = "…"`, `dark = true`, colours `primary`, `secondary`, `accent`,
`warning`, `error`, `success`, `foreground`, `background`, `surface`, `panel`, `boost`,
and an optional `[variables]` table of Textual CSS variables.

Every colour the screens draw with comes from the current theme: CSS through `$error`,
`$warning`…, and the Rich `Text` built in code through a `Palette` of the same colours
(the level colours defined once, `LEVEL_LOOK`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rich.style import Style
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import BUILTIN_THEMES, Theme

import sxtriage
from sxtriage.config import config_dir
from sxtriage.models import Level

DEFAULT_THEME = "sxtriage-dark"
_COLOURS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


def theme_dirs() -> list[Path]:
    package = Path(sxtriage.__file__).parent
    return [package / "themes", package.parent / "themes", config_dir() / "themes"]


def parse_theme(path: Path) -> Theme:
    """Raises ValueError with one line naming the file and the problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: not a readable TOML theme ({exc}); fix or remove it") from None
    name = raw.get("name") or path.stem
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{path}: name must be a non-empty string")
    if "primary" not in raw:
        raise ValueError(f'{path}: missing primary colour; add primary = "#0178D4"')
    colours: dict[str, str] = {}
    for key in _COLOURS:
        if key in raw:
            try:
                Color.parse(str(raw[key]))
            except ColorParseError:
                raise ValueError(
                    f'{path}: {key} = {raw[key]!r} is not a colour; use e.g. "#1e1e2e"'
                ) from None
            colours[key] = str(raw[key])
    variables = raw.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{path}: [variables] must be a table")
    return Theme(
        name=name,
        dark=bool(raw.get("dark", True)),
        variables={str(k): str(v) for k, v in variables.items()},
        **colours,  # type: ignore[arg-type]
    )


def load_themes(dirs: list[Path] | None = None) -> tuple[list[Theme], list[str]]:
    """Every theme found (later directories override earlier ones), plus error lines."""
    found: dict[str, Theme] = {}
    errors: list[str] = []
    for folder in dirs if dirs is not None else theme_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = parse_theme(path)
            except ValueError as exc:
                errors.append(str(exc))
                continue
            found[theme.name] = theme
    return list(found.values()), errors


# --- the colours the screens draw with --------------------------------------------------
LEVEL_LOOK: dict[Level, tuple[str | None, str]] = {
    Level.FATAL: ("error", "bold reverse"),
    Level.ERROR: ("error", "bold"),
    Level.WARNING: ("warning", "bold"),
    Level.INFO: ("accent", ""),
    Level.DEBUG: (None, "dim"),
}
"""The one definition of how a level looks: a theme colour and a text style."""
_ROLES = ("error", "warning", "success", "accent", "primary", "secondary")


@dataclass(frozen=True)
class Palette:
    """A theme's colours by role (hex), for the Rich `Text` the screens build: red-ish
    things are `error`, slow or unusual ones `warning`, good ones `success`, names and
    ids `accent`, release markers `secondary`."""

    error: str
    warning: str
    success: str
    accent: str
    primary: str
    secondary: str

    @classmethod
    def of(cls, variables: Mapping[str, str], fallback: Palette | None = None) -> Palette:
        """From Textual's theme variables (`App.theme_variables`); a role that is missing
        or not a colour takes the fallback's colour (raises without one)."""
        colours: dict[str, str] = {}
        for role in _ROLES:
            try:
                colours[role] = Color.parse(variables[role]).hex
            except (KeyError, ColorParseError):
                if fallback is None:
                    raise
                colours[role] = getattr(fallback, role)
        return cls(**colours)

    def level(self, level: Level) -> str:
        """A Rich style string for the level."""
        role, look = LEVEL_LOOK[level]
        return f"{look} {getattr(self, role)}".strip() if role else look

    @property
    def levels(self) -> dict[Level, Style]:
        return {level: Style.parse(self.level(level)) for level in Level}


@cache
def default_palette() -> Palette:
    """The default theme's colours, for text drawn without an app (tests, exports)."""
    theme = next(
        (t for t in load_themes()[0] if t.name == DEFAULT_THEME),
        BUILTIN_THEMES["textual-dark"],
    )
    return Palette.of(theme.to_color_system().generate())


def palette_of(app: App[Any]) -> Palette:
    """The palette of the app's current theme."""
    return Palette.of(app.theme_variables, default_palette())
