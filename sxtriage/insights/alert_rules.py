"""Alert rules as data: the pydantic models, what a rule reads from an event (level,
environment, matches, a transaction's duration and status), the loader (defaults +
config overrides) and quiet hours.

`load_rules(settings)` validates each rule table on its own: a bad one yields one line
naming the rule and the field, and every other rule still loads.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from datetime import datetime, time
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sxtriage.config import Settings
from sxtriage.insights.alert_defaults import DEFAULT_OVERRIDES, DEFAULT_RULES
from sxtriage.models import Event, Level

RuleKind = Literal["count", "rate", "p95", "new_issue", "regression"]
ISSUE_KINDS = ("new_issue", "regression")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$", re.IGNORECASE)
_GLOBS: dict[str, Callable[[str], object]] = {}
"""Compiled transaction globs (kept off the frozen models for fast attribute access)."""
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(value: object, *, default_unit: str) -> float:
    """ "5m" → 300 (seconds) / "2s" → 2000 (ms) …, in `default_unit` ("s" or "ms")."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 1h or 1500ms")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 1h or 1500ms")
    number, unit = float(match.group(1)), (match.group(2) or default_unit).lower()
    return number * _UNIT_SECONDS[unit] / _UNIT_SECONDS[default_unit]


class Match(BaseModel):
    """One condition; every field given must hold.  A rule's `match` list is an OR."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprint: str | None = None
    """An entry of the event's fingerprint equals this."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Each tag equals its value ("*": the tag is present)."""
    any_tag: str | None = None
    """Some tag's key or value equals this."""
    transaction: str | None = None
    """Glob on the transaction name, case-insensitive ("*/payments*")."""
    text: str | None = None
    """Case-insensitive substring of the title, message or exception type/value."""

    @model_validator(mode="after")
    def _compile(self) -> Match:
        if not (self.fingerprint or self.tags or self.any_tag or self.transaction or self.text):
            raise ValueError(
                "a match needs at least one of fingerprint, tags, any_tag, transaction, text"
            )
        if self.transaction and self.transaction not in _GLOBS:
            _GLOBS[self.transaction] = re.compile(
                fnmatch.translate(self.transaction), re.IGNORECASE
            ).match
        if self.text:
            object.__setattr__(self, "text", self.text.lower())
        return self

    def matches(self, event: Event, text: str) -> bool:
        if self.fingerprint is not None and self.fingerprint not in event.fingerprint:
            return False
        for key, want in self.tags.items():
            got = event.tags.get(key)
            if got is None or (want != "*" and got != want):
                return False
        if self.any_tag is not None and not (
            self.any_tag in event.tags or self.any_tag in event.tags.values()
        ):
            return False
        if self.transaction is not None and not _GLOBS[self.transaction](event.transaction or ""):
            return False
        return not (self.text is not None and self.text not in text)


class AlertRule(BaseModel):
    """One alert rule.  Fires when its value is strictly above `threshold`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = ""
    kind: RuleKind
    service: str | None = None
    """None: every service (a rule with the same id and a service overrides it there)."""
    enabled: bool = True
    window: float = Field(default=300.0, ge=1.0, le=86400.0)
    """Seconds of receive time; accepts "30s", "5m", "1h"."""
    threshold: float = Field(default=0.0, ge=0.0)
    """count: events; rate: a fraction ("1%" = 0.01); p95: ms ("2s" = 2000)."""
    level: Level | None = None
    """Lowest level that counts (errors: "error" counts error and fatal)."""
    environment: str | None = None
    on: list[Literal["error", "transaction"]] = Field(default_factory=lambda: ["error"])
    """What a count rule counts: error events, and/or transactions that failed."""
    match: list[Match] = Field(default_factory=list)
    min_samples: int = Field(default=1, ge=1)
    """rate: transactions needed in the window; p95: durations needed."""
    bell: bool = True
    """Ring the terminal bell when it fires (never during quiet hours)."""

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _RULE_ID.match(v):
            raise ValueError(f"{v!r} must be lowercase letters, digits, '-', '_' or '.'")
        return v

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, v: object) -> float:
        return parse_duration(v, default_unit="s")

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, v: object) -> object:
        if isinstance(v, str):
            text = v.strip()
            if text.endswith("%"):
                try:
                    return float(text[:-1]) / 100.0
                except ValueError:
                    raise ValueError(f"{v!r} is not a percentage; write e.g. 1%") from None
            return parse_duration(text, default_unit="ms")
        return v

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, v: object) -> object:
        if v is None or isinstance(v, Level):
            return v
        text = str(v).lower()
        if text in {"critical", "warn"}:
            return Level.parse(text)
        if text not in {lv.value for lv in Level}:
            raise ValueError(f"{v!r} is not a level; use fatal, error, warning, info or debug")
        return text

    @model_validator(mode="after")
    def _consistent(self) -> AlertRule:
        if self.kind == "rate" and self.threshold > 1.0:
            raise ValueError(
                "threshold: a rate is a fraction 0..1 or a percentage like '1%', "
                f"not {self.threshold:g}"
            )
        if self.kind in ISSUE_KINDS and self.match:
            raise ValueError(f"match: not supported for {self.kind} rules (use level/environment)")
        if not self.name:
            object.__setattr__(self, "name", self.id)
        return self

    @property
    def unit(self) -> str:
        return {"rate": "%", "p95": "ms"}.get(self.kind, "")

    def accepts(self, event: Event, text: str) -> bool:
        """Level, environment and match filters (not the event type)."""
        if self.level is not None and event.level.rank < self.level.rank:
            return False
        if self.environment is not None and event.environment != self.environment:
            return False
        return not self.match or any(m.matches(event, text) for m in self.match)


# --- what the rules read from an event ------------------------------------------------

_OK_STATUSES = {None, "", "ok", "unset", "unknown"}


def transaction_duration_ms(event: Event) -> float | None:
    """A transaction's duration: its root span, else `contexts.trace` timing, else the
    extent of its spans up to the event's end timestamp.  None when unknown."""
    trace = event.contexts.get("trace") if isinstance(event.contexts, dict) else None
    trace = trace if isinstance(trace, dict) else {}
    for span in event.spans:
        if span.span_id == event.span_id or (
            event.span_id is None and span.span_id == trace.get("span_id")
        ):
            return max(0.0, span.duration_ms)
    for key, scale in (("duration_ms", 1.0), ("duration", 1000.0)):
        value = trace.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return max(0.0, float(value) * scale)
    start = trace.get("start_timestamp")
    if isinstance(start, int | float) and not isinstance(start, bool):
        return max(0.0, (event.timestamp.timestamp() - float(start)) * 1000.0)
    if event.spans:
        first = min(span.start for span in event.spans)
        return max(0.0, (event.timestamp - first).total_seconds() * 1000.0)
    return None


def transaction_failed(event: Event) -> bool:
    """A transaction whose status (contexts.trace.status or its root span) is not ok."""
    trace = event.contexts.get("trace") if isinstance(event.contexts, dict) else None
    status = trace.get("status") if isinstance(trace, dict) else None
    if status is None:
        for span in event.spans:
            if span.span_id == event.span_id:
                status = span.status
                break
    return str(status).lower() not in _OK_STATUSES if status is not None else False


def event_text(event: Event) -> str:
    parts = [event.title, event.message or "", event.culprit or "", event.transaction or ""]
    for exc in event.exceptions:
        parts.append(exc.type or "")
        parts.append(exc.value or "")
    return " ".join(parts).lower()


def accepts_transaction(rule: AlertRule, event: Event, text: str) -> bool:
    """Transactions carry level info/none: only environment and match apply."""
    if rule.environment is not None and event.environment != rule.environment:
        return False
    return not rule.match or any(m.matches(event, text) for m in rule.match)


# --- loading ---------------------------------------------------------------------------


def _where(rule_id: str, service: str | None) -> str:
    return f"alert rule {rule_id!r}" + (f" for service {service!r}" if service else "")


def _error_line(rule_id: str, service: str | None, exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if not field:
        head, sep, rest = msg.partition(": ")
        field, msg = (head, rest) if sep and head.isidentifier() else ("rule", msg)
    if err["type"] == "extra_forbidden":
        known = ", ".join(sorted(AlertRule.model_fields))
        msg = f"unknown field; known fields: {known}"
    elif err["type"] == "missing":
        msg = "missing; every new rule needs it"
    return f"{_where(rule_id, service)}: {field}: {msg}; fix it in [[alerts.rules]] of the config"


def _validate(raw: dict[str, Any], rule_id: str, service: str | None) -> AlertRule | str:
    try:
        return AlertRule.model_validate(raw)
    except ValidationError as exc:
        return _error_line(rule_id, service, exc)


def load_rules(settings: Settings) -> tuple[list[AlertRule], list[str]]:
    """The default rules with the config's overrides; plus one error line per bad table.

    A table whose `id` is a default rule overrides its fields (for one service when it
    has `service`); a bad override is reported and the rule keeps its previous settings.
    """
    errors: list[str] = []
    base: dict[str, dict[str, Any]] = {r["id"]: dict(r) for r in DEFAULT_RULES}
    per_service: dict[tuple[str, str], dict[str, Any]] = {}
    known_services = list(settings.services)
    for number, raw in enumerate([*DEFAULT_OVERRIDES, *settings.alert_rules], start=1):
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(rule_id, str) or not rule_id:
            errors.append(
                f"alert rule #{number}: id: missing; give each [[alerts.rules]] table an id "
                f"(a default like {', '.join(base)} or a new one)"
            )
            continue
        service = raw.get("service")
        if service is not None and service not in known_services:
            errors.append(
                f"{_where(rule_id, str(service))}: service: unknown service; "
                f"use one of {', '.join(known_services)}"
            )
            continue
        update = {k: v for k, v in raw.items() if k != "service"}
        if service is None:
            candidate = {**base.get(rule_id, {}), **update}
            result = _validate(candidate, rule_id, None)
            if isinstance(result, str):
                errors.append(result + _kept(rule_id in base))
            else:
                base[rule_id] = candidate
        else:
            key = (rule_id, service)
            candidate = {**per_service.get(key, {}), **update}
            result = _validate({**base.get(rule_id, {}), **candidate}, rule_id, service)
            if isinstance(result, str):
                errors.append(result + _kept(rule_id in base or key in per_service))
            else:
                per_service[key] = candidate
    rules = [AlertRule.model_validate(raw) for raw in base.values()]
    for (rule_id, service), raw in per_service.items():
        result = _validate({**base.get(rule_id, {}), **raw, "service": service}, rule_id, service)
        if isinstance(result, str):
            errors.append(result)
        else:
            rules.append(result)
    quiet_error = quiet_hours_error(settings.quiet_hours)
    if quiet_error:
        errors.append(quiet_error)
    return rules, errors


def _kept(existing: bool) -> str:
    return " (its previous settings stay in force)" if existing else ""


# --- quiet hours -----------------------------------------------------------------------

_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_quiet_hours(spec: str | None) -> tuple[time, time] | None:
    """ "22:00-07:00" → (22:00, 07:00); raises ValueError naming the fix."""
    if not spec:
        return None
    match = _QUIET.match(spec)
    if match:
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60:
            return time(h1, m1), time(h2, m2)
    raise ValueError(f"quiet_hours {spec!r} must look like 22:00-07:00 (24-hour local time)")


def quiet_hours_error(spec: str | None) -> str | None:
    try:
        parse_quiet_hours(spec)
    except ValueError as exc:
        return f"{exc}; the bell stays on until it is fixed"
    return None


def in_quiet_hours(window: tuple[time, time] | None, when: datetime) -> bool:
    if window is None:
        return False
    start, end = window
    now = when.time().replace(second=0, microsecond=0, tzinfo=None)
    if start <= end:
        return start <= now < end
    return now >= start or now < end
