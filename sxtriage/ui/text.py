"""Plain-text helpers: untrusted strings to safe display text, relative times, sparklines.

Event data is never interpreted as Rich markup: everything goes through `safe()` and is
wrapped in `rich.text.Text` directly (not `Text.from_markup`).  Control characters (ANSI
escapes, OSC sequences, NUL, bidi overrides) are shown as visible escapes.
"""

from __future__ import annotations

import re
from datetime import datetime

from rich.cells import cell_len, set_cell_size

from sxtriage.models import Level

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPARK = "▁▂▃▄▅▆▇█"
LEVEL_GLYPH = {
    Level.FATAL: "F",
    Level.ERROR: "E",
    Level.WARNING: "W",
    Level.INFO: "I",
    Level.DEBUG: "D",
}


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: object, *, limit: int = 2000, oneline: bool = True) -> str:
    """Untrusted text → printable text: controls escaped, newlines folded, length capped."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    if oneline:
        text = text.replace("\r\n", " ⏎ ").replace("\n", " ⏎ ").replace("\t", " ")
    else:
        text = text.replace("\t", "    ")
    return _CONTROL.sub(_escape, text)


def fit(text: str, width: int) -> str:
    """Exactly `width` cells: truncated with an ellipsis (wide characters aware) or padded."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def relative(when: datetime | None, now: datetime) -> str:
    """Short age: "12s", "5m", "3h", "2d", "—"."""
    if when is None:
        return "—"
    secs = int((now - when).total_seconds())
    if secs < 0:
        return "now"
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m"
    if secs < 86400:
        return f"{secs // 3600}h"
    return f"{secs // 86400}d"


def sparkline(values: list[int], width: int) -> str:
    values = values[-width:] if width > 0 else []
    top = max(values, default=0)
    if top <= 0:
        return _SPARK[0] * len(values)
    return "".join(_SPARK[min(len(_SPARK) - 1, v * (len(_SPARK) - 1) // top)] for v in values)


def compact(n: int) -> str:
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k".replace(".0k", "k")
    return f"{n / 1_000_000:.1f}M"
