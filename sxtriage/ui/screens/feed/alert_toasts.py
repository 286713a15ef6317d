"""Alert toasts, quiet by default: firing alerts live in the alerts strip; a burst of new
firings makes at most one coalesced toast ("3 new issues in mobile, api") and one bell.

Modes (`[alerts] toasts` in config.toml): "burst" (default) — one toast per burst;
"every" — one toast per firing that rings; "off" — no toast (the strip and the bell only).
A burst is what arrives within `BURST_SECONDS` of its first firing; after a toast, the
next one waits `GAP_SECONDS` and then sums up everything that rang meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from sxtriage.insights.firing import AlertChange, Firing

ToastMode = Literal["burst", "off", "every"]
BURST_SECONDS = 0.8
GAP_SECONDS = 15.0
RING_AGAIN_AFTER = 300.0
"""Seconds before the same rule of the same service may ring again."""
NEW_ISSUE_RULE = "new-issue"


@dataclass
class _Burst:
    changes: list[AlertChange] = field(default_factory=list)
    due: bool = False
    """A flush is scheduled."""


def burst_text(changes: list[AlertChange]) -> str:
    """One line for a burst: "3 new issues in mobile, api" and/or "2 alerts: api errors per
    minute, web error rate" (services and rules in the order they rang)."""
    new = [c for c in changes if c.firing.rule_id == NEW_ISSUE_RULE]
    other = [c for c in changes if c.firing.rule_id != NEW_ISSUE_RULE]
    parts = []
    if new:
        count = sum(max(1, len(c.firing.issue_keys)) for c in new)
        services = list(dict.fromkeys(c.firing.service for c in new))
        noun = "new issue" if count == 1 else "new issues"
        parts.append(f"{count} {noun} in {', '.join(services)}")
    if other:
        names = list(dict.fromkeys(f"{c.firing.service} {c.firing.rule_name}" for c in other))
        shown = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
        noun = "alert" if len(names) == 1 else "alerts"
        parts.append(f"{len(names)} {noun}: {shown}")
    return " · ".join(parts)


class AlertToaster:
    """Decides which ringing alert changes become a bell and a toast.

    `notify(text)` shows a toast, `bell()` rings, `later(delay, fn)` schedules `fn` on the
    event loop, `clock()` is a monotonic time in seconds, `firing()` the rules firing now
    (all injected, for tests)."""

    def __init__(
        self,
        mode: ToastMode,
        *,
        notify: Callable[[str], None],
        bell: Callable[[], None],
        later: Callable[[float, Callable[[], None]], None],
        clock: Callable[[], float],
        firing: Callable[[], list[Firing]] = list,
    ) -> None:
        self.mode = mode
        self._notify = notify
        self._bell = bell
        self._later = later
        self._clock = clock
        self._firing = firing
        self._rung: dict[tuple[str, str], float] = {}
        self._burst = _Burst()
        self._last_toast = float("-inf")
        self.toasts = 0
        """How many toasts were shown (tests, status)."""

    def observe(self, changes: list[AlertChange], now: float) -> None:
        """`now`: the session clock (receive time) — re-ringing is judged on it."""
        ring = []
        for change in changes:
            if change.kind != "fired" or not change.bell:
                continue
            ident = (change.firing.rule_id, change.firing.service)
            if now - self._rung.get(ident, float("-inf")) >= RING_AGAIN_AFTER:
                self._rung[ident] = now
                ring.append(change)
        if not ring:
            return
        if self.mode == "every":
            self._bell()
            for change in ring:
                self._toast(f"Alert: {change.message}")
            return
        first = not self._burst.changes
        self._burst.changes.extend(ring)
        if first:
            self._bell()  # one bell per burst, right away
        if self.mode == "off":
            self._burst.changes.clear()
            return
        if not self._burst.due:
            self._burst.due = True
            wait = max(BURST_SECONDS, self._last_toast + GAP_SECONDS - self._clock())
            self._later(wait, self._flush)

    def flush(self) -> None:
        """Show the pending burst's toast now (the scheduled flush then finds nothing)."""
        self._flush()

    def _flush(self) -> None:
        """One toast for the burst, counted as the rules stand now (a rule fires once per
        service; the issues that came after it are in its firing's issue keys)."""
        changes, self._burst = self._burst.changes, _Burst()
        if not changes:
            return
        now = {(f.rule_id, f.service): f for f in self._firing()}
        self._toast(
            burst_text(
                [
                    replace(c, firing=now.get((c.firing.rule_id, c.firing.service), c.firing))
                    for c in changes
                ]
            )
        )

    def _toast(self, text: str) -> None:
        self._last_toast = self._clock()
        self.toasts += 1
        self._notify(text)
