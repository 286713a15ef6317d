"""Open links in the browser (http/https only) and copy text via OSC 52.

Over SSH, or on a machine with no display, nothing is launched (a text browser would take
over the terminal): the link is copied with OSC 52 and shown in the message instead.
"""

from __future__ import annotations

import os
import re
import sys
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f]")


@dataclass(frozen=True)
class LinkResult:
    ok: bool
    message: str
    severity: str = "information"


def printable(text: str, limit: int = 300) -> str:
    """Untrusted text made safe for one line of a message (no control/escape chars)."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", text)[:limit]


def is_web_url(url: str | None) -> bool:
    if not url or _UNSAFE.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def has_display(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """False over SSH without X forwarding, or on Linux/BSD with no graphical session."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    graphical = bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT"):
        return graphical
    if platform.startswith(("darwin", "win")):
        return True
    return graphical


def copy_text(text: str, *, app: Any | None = None) -> LinkResult:
    """Copy with OSC 52 through the app's terminal (works over SSH and in tmux)."""
    shown = printable(text)
    if app is None or not hasattr(app, "copy_to_clipboard"):
        return LinkResult(False, f"Copy it by hand: {shown}", "warning")
    try:
        app.copy_to_clipboard(text)
    except Exception:
        return LinkResult(False, f"Clipboard unavailable; copy it by hand: {shown}", "warning")
    return LinkResult(
        True, f"Copied {shown} (if your terminal blocks OSC 52, copy it from here)", "information"
    )


def open_link(
    url: str,
    *,
    app: Any | None = None,
    opener: Callable[[str], bool] = webbrowser.open,
    env: Mapping[str, str] | None = None,
) -> LinkResult:
    """Open an http(s) URL in the browser, or copy it where no browser can be shown."""
    if not is_web_url(url):
        return LinkResult(
            False,
            f"Not opening {printable(url, 120)!r}: only http(s) links are opened",
            "warning",
        )
    if not has_display(env):
        copied = copy_text(url, app=app)
        if copied.ok:
            return LinkResult(True, f"No browser here (SSH/no display); link copied: {url}")
        return LinkResult(True, f"No browser here (SSH/no display); open it yourself: {url}")
    try:
        launched = opener(url)
    except Exception:
        launched = False
    if launched:
        return LinkResult(True, f"Opened {url}")
    copied = copy_text(url, app=app)
    extra = "link copied" if copied.ok else "open it yourself"
    return LinkResult(False, f"No browser could be started; {extra}: {url}", "warning")
