"""What a firing alert is: `Firing` (a rule firing for one service, with its value and
matching issues) and `AlertChange` (fired or cleared, with the audit row the handoff
report reads).  Produced by the alert engine (`insights/alerts.py`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sxtriage.models import IssueKey


def clock_text(ts: float) -> str:
    """Local wall-clock time of a receive time: "05:21:03"."""
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


@dataclass
class Firing:
    """A rule that is firing for one service."""

    rule_id: str
    rule_name: str
    service: str
    value: float
    threshold: float
    unit: str
    """"" (a count), "%" (value and threshold are fractions) or "ms"."""
    window: float
    since: float
    """Receive time (epoch seconds) at which it fired."""
    event_time: datetime | None = None
    """The SDK timestamp of the latest matching event (shown, never used for windows)."""
    issue_keys: list[IssueKey] = field(default_factory=list)
    """Matching issues in the window, most recent first."""

    def format_value(self, value: float | None = None) -> str:
        v = self.value if value is None else value
        if self.unit == "%":
            return f"{v * 100:.1f}%"
        if self.unit == "ms":
            return f"{v / 1000:.2f}s" if v >= 1000 else f"{v:.0f}ms"
        return f"{v:g}"

    @property
    def window_text(self) -> str:
        w = int(self.window)
        return f"{w // 3600}h" if w % 3600 == 0 else f"{w // 60}m" if w % 60 == 0 else f"{w}s"

    def describe(self) -> str:
        """ "api · errors per minute 14 > 10 in 1m, since 05:21:03" (plain text)."""
        text = (
            f"{self.service} · {self.rule_name} {self.format_value()} > "
            f"{self.format_value(self.threshold)} in {self.window_text}, "
            f"since {clock_text(self.since)}"
        )
        if self.event_time is not None:
            local = self.event_time.astimezone() if self.event_time.tzinfo else self.event_time
            text += f" (last event {local.strftime('%H:%M:%S')})"
        return text


@dataclass(frozen=True)
class AlertChange:
    kind: Literal["fired", "cleared"]
    firing: Firing
    message: str
    bell: bool = False
    at: float = 0.0
    """Receive time of the change (epoch seconds)."""

    def audit_op(self, actor: str = "alerts") -> tuple[str, tuple[object, ...]]:
        """An INSERT for the store's audit table (`await store.write_many([op])`): kind
        "alert", detail JSON with "change" (fired/cleared) and "message" — what the
        handoff report lists under "Alerts fired"."""
        f = self.firing
        detail = {
            "change": self.kind,
            "rule": f.rule_id,
            "service": f.service,
            "value": f.value,
            "threshold": f.threshold,
            "unit": f.unit,
            "since": f.since,
            "issues": [list(k) for k in f.issue_keys[:20]],
            "message": self.message,
        }
        return (
            "INSERT INTO audit (ts, actor, kind, action_id, target, detail) VALUES (?,?,?,?,?,?)",
            (
                self.at,
                actor,
                "alert",
                None,
                f"{f.service}:{f.rule_id}",
                json.dumps(detail),
            ),
        )
