"""Alert rules fed synthetic event streams: each fires at threshold+1 (not at the
threshold) and clears when the window slides; windows run on receive time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from sxtriage.config import Settings
from sxtriage.insights.alerts import AlertEngine, load_rules
from sxtriage.models import IssueDelta, Source, Status
from tests.fixtures_alerts import load_recorded, make_event, make_issue, make_transaction

T0 = 1_800_000_000.0
KEY = (Source.RELAY, "issue-1")


def engine(**settings: object) -> AlertEngine:
    s = Settings(**settings)  # type: ignore[arg-type]
    rules, errors = load_rules(s)
    assert errors == []
    return AlertEngine(rules, services=list(s.services), clock=lambda: T0)


def feed(eng: AlertEngine, events: list, start: float = T0, step: float = 0.1) -> list:
    changes = []
    for i, ev in enumerate(events):
        changes += eng.observe_event(ev, KEY, received=start + i * step)
    return changes


def fired(changes: list, rule: str) -> list:
    return [c for c in changes if c.kind == "fired" and c.firing.rule_id == rule]


def test_error_count_fires_at_eleven_not_ten_and_clears() -> None:
    eng = engine()
    assert fired(feed(eng, [make_event("api")] * 10), "errors-per-minute") == []
    change = eng.observe_event(make_event("api"), KEY, received=T0 + 1.5)
    per_minute = fired(change, "errors-per-minute")
    assert len(per_minute) == 1 and fired(change, "errors-5m")
    firing = per_minute[0].firing
    assert (firing.service, firing.value, firing.threshold) == ("api", 11, 10)
    assert firing.issue_keys == [KEY]
    assert "11 > 10" in per_minute[0].message
    assert per_minute[0].bell is True
    # 61 s later the minute window is empty; the 5-minute one still holds 11.
    cleared = eng.tick(T0 + 62)
    assert [(c.kind, c.firing.rule_id) for c in cleared] == [("cleared", "errors-per-minute")]
    assert {f.rule_id for f in eng.firing} == {"errors-5m"}
    assert [c.firing.rule_id for c in eng.tick(T0 + 302)] == ["errors-5m"]
    assert eng.firing == []


def test_warnings_and_other_services_do_not_count() -> None:
    eng = engine()
    changes = feed(eng, [make_event("api", level="warning")] * 30)
    changes += feed(eng, [make_event(svc) for svc in ("web", "mobile", "search") * 10])
    assert fired(changes, "errors-per-minute") == []


def test_critical_fires_on_first_fatal_in_production_only() -> None:
    eng = engine()
    assert (
        fired(feed(eng, [make_event("web", level="fatal", environment="staging")]), "critical")
        == []
    )
    assert fired(feed(eng, [make_event("web", level="error")]), "critical") == []
    change = feed(eng, [make_event("web", level="fatal")])
    assert len(fired(change, "critical")) == 1


def test_error_rate_above_one_percent_of_transactions() -> None:
    eng = engine()
    changes = feed(eng, [make_transaction("api", 50)] * 1000, step=0.01)
    changes += feed(eng, [make_event("api", level="error")] * 10, start=T0 + 11)
    assert fired(changes, "error-rate") == []  # exactly 1%
    change = eng.observe_event(make_event("api"), KEY, received=T0 + 12)
    rate = fired(change, "error-rate")
    assert len(rate) == 1 and rate[0].firing.format_value() == "1.1%"
    # More healthy traffic dilutes the rate: the alert clears on the next transaction.
    cleared = feed(eng, [make_transaction("api", 50)] * 200, start=T0 + 13, step=0.01)
    assert [c.kind for c in cleared if c.firing.rule_id == "error-rate"] == ["cleared"]


def test_error_rate_needs_enough_transactions() -> None:
    eng = engine()
    changes = feed(eng, [make_transaction("api", 50)] * 5 + [make_event("api")] * 3)
    assert fired(changes, "error-rate") == []


def p95_reference(values: list[float]) -> float:
    ordered = sorted(values)
    rank = -(-95 * len(ordered) // 100)  # nearest rank, ceil(0.95 n)
    return ordered[rank - 1]


def test_p95_matches_reference_and_threshold_is_exclusive() -> None:
    rng = random.Random(7)
    eng = engine()
    durations = [rng.lognormvariate(5.5, 0.8) for _ in range(500)]
    feed(eng, [make_transaction("search", d) for d in durations], step=0.5)
    state = next(s for s in eng._states["search"] if s.rule.id == "p95-duration")
    assert state.primary.value() == pytest.approx(p95_reference(durations), rel=0.01)
    assert state.active() == (p95_reference(durations) > 1000)


def test_p95_fires_one_sample_past_the_threshold_per_service() -> None:
    eng = engine()
    # 19 fast + 1 slow: nearest-rank p95 of 20 is the 19th value → fast.
    changes = feed(eng, [make_transaction("search", 100)] * 19 + [make_transaction("search", 5000)])
    assert fired(changes, "p95-duration") == []
    # 2 of 21 slow → the 20th value is slow → above 1000 ms.
    change = feed(eng, [make_transaction("search", 5000)], start=T0 + 5)
    p95 = fired(change, "p95-duration")
    assert len(p95) == 1 and p95[0].firing.value > 1000 and p95[0].firing.threshold == 1000
    # api tolerates 2 s: a p95 of exactly 2000 ms is not above it, 2001 is.
    changes = feed(eng, [make_transaction("api", 2000)] * 10)
    assert fired(changes, "p95-duration") == []
    changes = feed(eng, [make_transaction("api", 2001)] * 10, start=T0 + 2)
    assert len(fired(changes, "p95-duration")) == 1
    cleared = {c.firing.service for c in eng.tick(T0 + 700) if c.kind == "cleared"}
    assert cleared == {"search", "api"}


def test_payment_failures_from_recorded_sdk_payload() -> None:
    eng = engine()
    payment = load_recorded("python-sentry-sdk", [4])[0]  # fingerprint payment-failed
    assert "payment-failed" in payment.event.fingerprint
    other = load_recorded("python-sentry-sdk", [1])[0]
    assert (
        fired(eng.observe_event(other.event, other.issue_key, received=T0), "payment-failures")
        == []
    )
    change = eng.observe_event(payment.event, payment.issue_key, received=T0 + 1)
    hit = fired(change, "payment-failures")
    assert len(hit) == 1 and hit[0].firing.issue_keys == [payment.issue_key]


def test_payment_transactions_count_only_when_failed() -> None:
    eng = engine()
    ok = make_transaction("api", 80, name="POST /api/payments/intent", status="ok")
    assert fired(feed(eng, [ok] * 5), "payment-failures") == []
    bad = make_transaction("api", 80, name="POST /api/payments/intent", status="internal_error")
    assert len(fired(feed(eng, [bad], start=T0 + 1), "payment-failures")) == 1


def test_auth_failure_spike() -> None:
    eng = engine()
    auth = make_event("api", level="warning", message="Unauthorized: invalid token for user")
    assert fired(feed(eng, [auth] * 20), "auth-failures") == []
    assert len(fired(feed(eng, [auth], start=T0 + 3), "auth-failures")) == 1


def test_new_issue_and_initial_load() -> None:
    eng = engine()
    old = make_issue((Source.SENTRY, "1"), "api", first_seen=T0 - 86400)
    assert eng.observe_delta(IssueDelta(source=Source.SENTRY, upserts=[old]), received=T0) == []
    new = make_issue((Source.SENTRY, "2"), "web", first_seen=T0 - 10)
    change = eng.observe_delta(IssueDelta(source=Source.SENTRY, upserts=[new]), received=T0)
    assert [(c.kind, c.firing.rule_id, c.firing.service) for c in change] == [
        ("fired", "new-issue", "web")
    ]
    assert change[0].firing.issue_keys == [(Source.SENTRY, "2")]
    # The same issue updated again is not new again; the alert clears after 5 minutes.
    assert eng.observe_delta(IssueDelta(source=Source.SENTRY, upserts=[new]), T0 + 5) == []
    assert [c.kind for c in eng.tick(T0 + 302)] == ["cleared"]


def test_regression_needs_a_new_event_not_a_manual_unresolve() -> None:
    eng = engine()
    key = (Source.RELAY, "r1")
    resolved = make_issue(key, "search", first_seen=T0 - 86400, status=Status.RESOLVED)
    eng.observe_delta(IssueDelta(source=Source.RELAY, upserts=[resolved]), received=T0)
    reopened = resolved.model_copy(update={"status": Status.UNRESOLVED})
    assert eng.observe_delta(IssueDelta(source=Source.RELAY, upserts=[reopened]), T0 + 1) == []
    eng.observe_delta(IssueDelta(source=Source.RELAY, upserts=[resolved]), received=T0 + 2)
    seen_again = resolved.model_copy(
        update={"status": Status.UNRESOLVED, "last_seen": datetime.fromtimestamp(T0 + 3, UTC)}
    )
    change = eng.observe_delta(IssueDelta(source=Source.RELAY, upserts=[seen_again]), T0 + 3)
    assert [(c.firing.rule_id, c.firing.issue_keys) for c in change] == [("regression", [key])]


def test_windows_use_receive_time_not_sdk_timestamps() -> None:
    eng = engine()
    # Eleven errors whose SDK clock says "same second", received 10 s apart: no burst.
    same_ts = make_event("api", timestamp=T0)
    assert fired(feed(eng, [same_ts] * 11, step=10.0), "errors-per-minute") == []
    # Eleven errors from an SDK one hour in the future, received within a second: a burst,
    # and the firing shows the SDK's own timestamp.
    skewed = make_event("mobile", timestamp=T0 + 3600)
    change = fired(feed(eng, [skewed] * 11, start=T0 + 200, step=0.05), "errors-per-minute")
    assert len(change) == 1
    assert change[0].firing.event_time == datetime.fromtimestamp(T0 + 3600, UTC)
    assert change[0].firing.since == pytest.approx(T0 + 200.5)


def test_late_arrivals_outside_the_window_are_ignored() -> None:
    eng = engine()
    eng.tick(T0 + 1000)
    stale = [make_event("api")] * 20
    changes = feed(eng, stale, start=T0, step=0.01)  # received long before "now"
    assert fired(changes, "errors-per-minute") == []
    assert fired(changes, "errors-5m") == []


def test_quiet_hours_silence_the_bell_only() -> None:
    # 23:30 local time on some day
    late = datetime(2027, 1, 5, 23, 30).timestamp()
    noon = datetime(2027, 1, 5, 12, 0).timestamp()
    rules, errors = load_rules(Settings(quiet_hours="22:00-07:00"))
    assert errors == []
    eng = AlertEngine(rules, services=["api"], quiet_hours="22:00-07:00")
    night = feed(eng, [make_event("api", level="fatal")], start=late)
    assert fired(night, "critical")[0].bell is False
    eng = AlertEngine(rules, services=["api"], quiet_hours="22:00-07:00")
    day = feed(eng, [make_event("api", level="fatal")], start=noon)
    assert fired(day, "critical")[0].bell is True


def test_per_service_thresholds_and_new_rules() -> None:
    eng = engine(
        alert_rules=[
            {"id": "errors-per-minute", "service": "search", "threshold": 2},
            {
                "id": "checkout-errors",
                "kind": "count",
                "window": "2m",
                "threshold": 1,
                "match": [{"tags": {"feature": "checkout"}}],
            },
        ]
    )
    changes = feed(eng, [make_event("search")] * 3)
    assert [c.firing.threshold for c in fired(changes, "errors-per-minute")] == [2]
    assert fired(feed(eng, [make_event("api")] * 3), "errors-per-minute") == []
    checkout = make_event("web", tags={"feature": "checkout"})
    changes = feed(eng, [checkout, make_event("web"), checkout])
    assert [c.firing.value for c in fired(changes, "checkout-errors")] == [2]


def test_disabled_rule_never_fires() -> None:
    eng = engine(alert_rules=[{"id": "critical", "enabled": False}])
    assert fired(feed(eng, [make_event("api", level="fatal")]), "critical") == []


def test_event_time_shown_and_messages_plain() -> None:
    eng = engine()
    ev = make_event("web", level="fatal", timestamp=T0 - 30)
    change = fired(feed(eng, [ev]), "critical")[0]
    text = change.firing.describe()
    assert text.startswith("web · critical error in production 1 > 0 in 5m, since ")
    local = (datetime.fromtimestamp(T0 - 30, UTC).astimezone()).strftime("%H:%M:%S")
    assert f"(last event {local})" in text


def test_unknown_service_and_transaction_without_duration_do_not_crash() -> None:
    eng = engine()
    feed(eng, [make_event("billing")] * 11)
    assert {f.service for f in eng.firing} == {"billing"}
    tx = make_event("api", type="transaction", level="info")
    assert fired(feed(eng, [tx] * 30), "p95-duration") == []
    late = make_transaction("api", 10, timestamp=T0 - timedelta(days=1).total_seconds())
    feed(eng, [late])
