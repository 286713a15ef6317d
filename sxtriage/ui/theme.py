"""Themes as TOML data files → Textual `Theme`s: built-ins, then the user's config dir.

A theme file: `name = "…"`, `dark = true`, colours `primary`, `secondary`, `accent`,
`warning`, `error`, `success`, `foreground`, `background`, `surface`, `panel`, `boost`,
and an optional `[variables]` table of Textual CSS variables.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

import sxtriage
from sxtriage.config import config_dir

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
