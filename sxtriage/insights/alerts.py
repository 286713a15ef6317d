"""Live alert rules, evaluated incrementally over sliding windows of receive time.

The engine is fed the relay's events and transactions (`observe_event`) and the sources'
issue deltas (`observe_delta`); `tick()` slides the windows so alerts clear.  Each call
returns the `AlertChange`s it caused — fired or cleared — for the toast, the bell, the
audit log and the handoff report.  Work per event is O(rules) with O(1) amortized
window upkeep; nothing is ever rescanned.

Windows run on the time events were *received*, so an SDK with a skewed clock or a
batch of out-of-order timestamps cannot make a burst out of thin air; the event's own
timestamp is still shown ("last event 05:20:58").
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import datetime

from sxtriage.config import Settings
from sxtriage.insights.alert_rules import (
    ISSUE_KINDS,
    AlertRule,
    Match,
    accepts_transaction,
    event_text,
    in_quiet_hours,
    load_rules,
    parse_quiet_hours,
    transaction_duration_ms,
    transaction_failed,
)
from sxtriage.insights.alert_windows import RecentKeys, SlidingCount, SlidingQuantile
from sxtriage.insights.firing import AlertChange, Firing, clock_text
from sxtriage.models import Event, Issue, IssueDelta, IssueKey, Status

__all__ = [
    "AlertEngine",
    "AlertRule",
    "Match",
    "load_rules",
    "transaction_duration_ms",
    "transaction_failed",
]


class _State:
    """One rule evaluated for one service."""

    __slots__ = ("errors", "firing", "keys", "last_event_time", "primary", "rule", "service")

    def __init__(self, rule: AlertRule, service: str) -> None:
        self.rule = rule
        self.service = service
        self.primary: SlidingCount | SlidingQuantile
        if rule.kind == "p95":
            self.primary = SlidingQuantile(rule.window, rule.threshold)
        else:
            self.primary = SlidingCount(rule.window)  # transactions, for a rate rule
        self.errors = SlidingCount(rule.window) if rule.kind == "rate" else None
        self.keys = RecentKeys()
        self.firing: Firing | None = None
        self.last_event_time: datetime | None = None

    def expire(self, now: float) -> None:
        self.primary.expire(now)
        if self.errors is not None:
            self.errors.expire(now)

    def busy(self) -> bool:
        return (
            self.primary.total > 0
            or self.firing is not None
            or bool(self.errors is not None and self.errors.total)
        )

    def value(self) -> float:
        primary = self.primary
        if isinstance(primary, SlidingQuantile):
            return primary.value()
        if self.errors is not None:
            return self.errors.total / primary.total if primary.total else 0.0
        return float(primary.total)

    def active(self) -> bool:
        rule, primary = self.rule, self.primary
        if isinstance(primary, SlidingQuantile):
            return primary.total >= rule.min_samples and primary.exceeds()
        if self.errors is not None:
            n = primary.total
            return n >= rule.min_samples and self.errors.total > rule.threshold * n
        return primary.total > rule.threshold


class AlertEngine:
    """Evaluates the rules for every service, incrementally."""

    def __init__(
        self,
        rules: list[AlertRule],
        *,
        services: list[str],
        clock: Callable[[], float] = time.time,
        quiet_hours: str | None = None,
    ) -> None:
        self._clock = clock
        try:
            self._quiet = parse_quiet_hours(quiet_hours)
        except ValueError:
            self._quiet = None  # load_rules reports it
        enabled = [r for r in rules if r.enabled]
        self._generic = [r for r in enabled if r.service is None]
        self._specific = {(r.id, r.service): r for r in enabled if r.service is not None}
        self._states: dict[str, list[_State]] = {}
        self._all: list[_State] = []
        self._issues: dict[IssueKey, tuple[Status, str | None, datetime]] = {}
        self._now = 0.0
        for service in services:
            self._service_states(service)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: object) -> tuple[AlertEngine, list[str]]:
        rules, errors = load_rules(settings)
        engine = cls(
            rules, services=list(settings.services), quiet_hours=settings.quiet_hours, **kwargs
        )  # type: ignore[arg-type]
        return engine, errors

    def _service_states(self, service: str) -> list[_State]:
        states = self._states.get(service)
        if states is None:
            ids = {r.id for r in self._generic}
            rules = [self._specific.get((r.id, service), r) for r in self._generic]
            rules += [
                r for (rid, svc), r in self._specific.items() if svc == service and rid not in ids
            ]
            states = [_State(rule, service) for rule in rules]
            self._states[service] = states
            self._all.extend(states)
        return states

    # --- inputs ------------------------------------------------------------------------
    def _receive_time(self, received: float | None, fallback: datetime | None) -> float:
        if received is not None:
            t = float(received)
        elif fallback is not None:
            t = fallback.timestamp()
        else:
            t = self._clock()
        return t

    def observe_event(
        self, event: Event, issue_key: IssueKey | None, received: float | None = None
    ) -> list[AlertChange]:
        t = self._receive_time(received, event.received)
        now = self._now = max(self._now, t)
        is_tx = event.type == "transaction"
        text: str | None = None
        duration: float | None = None
        failed: bool | None = None
        changes: list[AlertChange] = []
        for state in self._service_states(event.service or event.project or "unknown"):
            rule = state.rule
            kind = rule.kind
            if kind in ISSUE_KINDS or t <= now - rule.window:
                continue
            if rule.match and text is None:
                text = event_text(event)
            if kind == "count":
                if is_tx:
                    if "transaction" not in rule.on:
                        continue
                    if failed is None:
                        failed = transaction_failed(event)
                    if not failed or not accepts_transaction(rule, event, text or ""):
                        continue
                elif "error" not in rule.on or not rule.accepts(event, text or ""):
                    continue
                state.primary.add(t)  # type: ignore[call-arg]
            elif kind == "rate":
                if is_tx:
                    if not accepts_transaction(rule, event, text or ""):
                        continue
                    state.primary.add(t)  # type: ignore[call-arg]
                else:
                    if not rule.accepts(event, text or ""):
                        continue
                    state.errors.add(t)  # type: ignore[union-attr]
            else:  # p95
                if not is_tx or not accepts_transaction(rule, event, text or ""):
                    continue
                if duration is None:
                    duration = transaction_duration_ms(event)
                    if duration is None:
                        duration = -1.0
                if duration < 0:
                    continue
                state.primary.add(t, duration)  # type: ignore[call-arg]
            if issue_key is not None:
                state.keys.add(issue_key, t)
            state.last_event_time = event.timestamp
            change = self._evaluate(state, now)
            if change is not None:
                changes.append(change)
        return changes

    def observe_delta(self, delta: IssueDelta, received: float | None = None) -> list[AlertChange]:
        """New issues (first seen within the rule's window) and regressions (a resolved
        issue with a newer last_seen, or Sentry's substatus "regressed")."""
        t = self._receive_time(received, None)
        now = self._now = max(self._now, t)
        changes: list[AlertChange] = []
        for issue in delta.upserts:
            key = issue.key
            previous = self._issues.get(key)
            self._issues[key] = (issue.status, issue.substatus, issue.last_seen)
            for state in self._service_states(issue.service or "unknown"):
                rule = state.rule
                if rule.kind not in ISSUE_KINDS or not _issue_accepted(rule, issue):
                    continue
                if rule.kind == "new_issue":
                    hit = previous is None and issue.first_seen.timestamp() > t - rule.window
                else:
                    hit = _is_regression(previous, issue, t - rule.window)
                if not hit:
                    continue
                state.primary.add(t)  # type: ignore[call-arg]
                state.keys.add(key, t)
                state.last_event_time = issue.last_seen
                change = self._evaluate(state, now)
                if change is not None:
                    changes.append(change)
        return changes

    def tick(self, now: float | None = None) -> list[AlertChange]:
        """Slide every window to `now`; returns the alerts that cleared (or fired)."""
        current = self._now = max(self._now, self._clock() if now is None else now)
        changes = []
        for state in self._all:
            if state.busy():
                change = self._evaluate(state, current)
                if change is not None:
                    changes.append(change)
        return changes

    # --- state -------------------------------------------------------------------------
    def _evaluate(self, state: _State, now: float) -> AlertChange | None:
        state.expire(now)
        active = state.active()
        if active and state.firing is None:
            rule = state.rule
            state.firing = Firing(
                rule_id=rule.id,
                rule_name=rule.name,
                service=state.service,
                value=state.value(),
                threshold=rule.threshold,
                unit=rule.unit,
                window=rule.window,
                since=now,
                event_time=state.last_event_time,
                issue_keys=[k for k in state.keys.within(now, rule.window)],  # type: ignore[misc]
            )
            bell = rule.bell and not in_quiet_hours(self._quiet, datetime.fromtimestamp(now))
            return AlertChange(
                "fired", dataclasses.replace(state.firing), state.firing.describe(), bell, now
            )
        if not active and state.firing is not None:
            firing = self._refresh(state, now)
            state.firing = None
            lasted = int(now - firing.since)
            message = (
                f"cleared: {firing.service} · {firing.rule_name} back to "
                f"{firing.format_value()} (≤ {firing.format_value(firing.threshold)}), "
                f"fired {clock_text(firing.since)}, lasted {lasted // 60}m {lasted % 60:02d}s"
            )
            return AlertChange("cleared", firing, message, False, now)
        return None

    def _refresh(self, state: _State, now: float) -> Firing:
        firing = state.firing
        assert firing is not None
        firing.value = state.value()
        firing.event_time = state.last_event_time
        firing.issue_keys = list(state.keys.within(now, state.rule.window))  # type: ignore[arg-type]
        return dataclasses.replace(firing)

    @property
    def firing(self) -> list[Firing]:
        """Snapshots of the firing rules (values refreshed), oldest first."""
        now = self._now
        out = [self._refresh(s, now) for s in self._all if s.firing is not None]
        out.sort(key=lambda f: (f.since, f.service, f.rule_id))
        return out

    def rules_for(self, service: str) -> list[AlertRule]:
        """The effective rules of one service (overrides applied)."""
        return [s.rule for s in self._service_states(service)]


def _issue_accepted(rule: AlertRule, issue: Issue) -> bool:
    if rule.level is not None and issue.level.rank < rule.level.rank:
        return False
    return rule.environment is None or issue.environment in (None, rule.environment)


def _is_regression(
    previous: tuple[Status, str | None, datetime] | None, issue: Issue, recent: float
) -> bool:
    if issue.status != Status.UNRESOLVED:
        return False
    if previous is None:
        return issue.substatus == "regressed" and issue.last_seen.timestamp() > recent
    status, substatus, last_seen = previous
    if status == Status.RESOLVED and issue.last_seen > last_seen:
        return True
    return issue.substatus == "regressed" and substatus != "regressed"
