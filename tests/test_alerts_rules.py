"""Rule loading (defaults, TOML overrides, bad input), windows against references, and
fired/cleared alerts in the audit log."""

from __future__ import annotations

import json
import math
import random
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sxtriage.config import Settings, load_settings
from sxtriage.insights.alert_windows import SlidingCount, SlidingQuantile
from sxtriage.insights.alerts import AlertEngine, load_rules
from sxtriage.store import Store
from sxtriage.triage.handoff import build_report
from tests.fixtures_alerts import make_event

T0 = 1_800_000_000.0


def test_defaults_cover_the_runbooks() -> None:
    rules, errors = load_rules(Settings())
    assert errors == []
    ids = {r.id for r in rules}
    assert {
        "critical",
        "errors-per-minute",
        "errors-5m",
        "error-rate",
        "p95-duration",
        "payment-failures",
        "auth-failures",
        "new-issue",
        "regression",
    } <= ids
    eng = AlertEngine(rules, services=["api", "web", "mobile", "search"])
    p95 = {
        svc: next(r for r in eng.rules_for(svc) if r.id == "p95-duration").threshold
        for svc in ("api", "web", "mobile", "search")
    }
    assert p95 == {"api": 2000, "web": 2000, "mobile": 1000, "search": 1000}
    rate = next(r for r in rules if r.id == "error-rate")
    assert (rate.threshold, rate.window) == (0.01, 600)


def test_toml_overrides_through_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        """
quiet_hours = "22:00-07:00"

[[alerts.rules]]
id = "p95-duration"
service = "search"
threshold = "1500ms"

[[alerts.rules]]
id = "errors-per-minute"
threshold = 25

[[alerts.rules]]
id = "errors-per-minute"
thresold = 3

[[alerts.rules]]
id = "slow-checkout"
kind = "p95"
window = "5m"
threshold = "3s"
match = [{transaction = "*/checkout*"}]

[[alerts.rules]]
id = "broken"
kind = "count"
window = "forever"
""",
        encoding="utf-8",
    )
    loaded = load_settings(config, env={})
    rules, errors = load_rules(loaded.settings)
    by = {(r.id, r.service): r for r in rules}
    assert by[("p95-duration", "search")].threshold == 1500
    assert by[("errors-per-minute", None)].threshold == 25  # the typo did not undo it
    assert by[("slow-checkout", None)].threshold == 3000
    assert ("broken", None) not in by
    assert len(errors) == 2
    typo, broken = errors
    assert typo.startswith("alert rule 'errors-per-minute': thresold: unknown field")
    assert "previous settings stay in force" in typo
    assert broken.startswith("alert rule 'broken': window: 'forever' is not a duration")
    assert all("\n" not in e for e in errors)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"id": "x"}, "alert rule 'x': kind: missing"),
        ({"kind": "count"}, "alert rule #3: id: missing"),
        ({"id": "Bad Id", "kind": "count"}, "alert rule 'Bad Id': id: 'Bad Id' must be"),
        ({"id": "r", "kind": "rate", "threshold": 5}, "alert rule 'r': threshold: a rate is"),
        ({"id": "c", "kind": "count", "level": "loud"}, "alert rule 'c': level: 'loud' is not"),
        ({"id": "c", "kind": "count", "match": [{}]}, "alert rule 'c': match.0: a match needs"),
        ({"id": "n", "kind": "new_issue", "match": [{"text": "x"}]}, "alert rule 'n': match:"),
        (
            {"id": "critical", "service": "nope"},
            "alert rule 'critical' for service 'nope': service",
        ),
        (
            {"id": "p95-duration", "service": "api", "threshold": "fast"},
            "alert rule 'p95-duration' for service 'api': threshold: 'fast'",
        ),
        (
            {"id": "t", "kind": "count", "threshold": -1},
            "alert rule 't': threshold: Input should be",
        ),
    ],
)
def test_each_bad_rule_is_one_line_and_others_load(table: dict, expected: str) -> None:
    rules, errors = load_rules(Settings(alert_rules=[table]))
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert "\n" not in errors[0]
    assert len({r.id for r in rules}) >= 9  # every default still loads
    p95_api = next(r for r in rules if r.id == "p95-duration" and r.service == "api")
    assert p95_api.threshold == 2000


def test_bad_quiet_hours_is_reported_and_the_bell_stays_on() -> None:
    rules, errors = load_rules(Settings(quiet_hours="late"))
    assert errors == [
        "quiet_hours 'late' must look like 22:00-07:00 (24-hour local time); "
        "the bell stays on until it is fixed"
    ]
    eng = AlertEngine(rules, services=["api"], quiet_hours="late")
    change = eng.observe_event(make_event("api", level="fatal"), None, received=T0)
    assert change[0].bell is True


# --- windows against references ------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=400), min_size=1, max_size=200),
    st.floats(min_value=0, max_value=500),
)
def test_sliding_count_matches_a_rescan(offsets: list[float], query: float) -> None:
    times = sorted(T0 + o for o in offsets)
    window = SlidingCount(60)
    for t in times:
        window.add(t)
    now = max(times[-1], T0 + query)
    window.expire(now)
    # One-second buckets: everything inside the window counts, nothing older than
    # a second beyond it does.
    inside = sum(1 for t in times if t > now - 60)
    beyond = sum(1 for t in times if t > now - 61)
    assert inside <= window.total <= beyond


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=60_000), min_size=1, max_size=300))
def test_p95_histogram_within_one_percent(durations: list[float]) -> None:
    q = SlidingQuantile(600, 1000)
    for i, d in enumerate(durations):
        q.add(T0 + i * 0.1, d)
    ordered = sorted(durations)
    reference = ordered[math.ceil(0.95 * len(ordered) - 1e-9) - 1]
    assert q.exceeds() == (reference > 1000)
    assert q.value() == pytest.approx(reference, rel=0.01)
    assert (q.value() > 1000) == q.exceeds()


def test_p95_slides_out_old_samples() -> None:
    q = SlidingQuantile(60, 1000)
    rng = random.Random(3)
    for i in range(100):
        q.add(T0 + i * 0.5, 5000 + rng.random())  # slow minute
    for i in range(100):
        q.add(T0 + 100 + i * 0.5, 100 + rng.random())  # fast minute
    q.expire(T0 + 150)
    assert q.total == 100 and not q.exceeds()
    assert q.value() == pytest.approx(101, rel=0.01)


# --- audit log ---------------------------------------------------------------------------


async def test_fired_and_cleared_alerts_go_to_the_audit_log(tmp_path: Path) -> None:
    store = Store(tmp_path / "audit.db")
    try:
        rules, _ = load_rules(Settings())
        eng = AlertEngine(rules, services=["api"])
        changes = eng.observe_event(make_event("api", level="fatal"), None, received=T0)
        changes += eng.tick(T0 + 400)
        assert [c.kind for c in changes] == ["fired", "cleared"]
        await store.write_many([c.audit_op() for c in changes])
        rows = await store.query("SELECT ts, actor, kind, target, detail FROM audit ORDER BY seq")
        assert [(r[1], r[2], r[3]) for r in rows] == [
            ("alerts", "alert", "api:critical"),
            ("alerts", "alert", "api:critical"),
        ]
        assert rows[0][0] == T0 and rows[1][0] == T0 + 400
        fired, cleared = (json.loads(r[4]) for r in rows)
        assert (fired["change"], fired["threshold"], cleared["change"]) == ("fired", 0, "cleared")
        report = build_report(store, since=timedelta(hours=1), now=T0 + 500)
        section = report.split("Alerts fired", 1)[1].replace("\\", "")  # markdown escapes
        assert "api · critical error in production 1 > 0 in 5m" in section
        assert "cleared: api · critical error in production back to 0" in section
    finally:
        store.close()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=120))
def test_engine_state_matches_a_brute_force_recount(gaps: list[int]) -> None:
    """With whole-second receive times the one-second buckets are exact: after every
    event the rule fires iff more than 10 errors arrived in [now - 60, now]."""
    rules, _ = load_rules(Settings())
    eng = AlertEngine(rules, services=["api"])
    times: list[float] = []
    t = T0
    for gap in gaps:
        t += gap
        times.append(t)
        eng.observe_event(make_event("api"), None, received=t)
        expected = sum(1 for x in times if x >= t - 60) > 10
        firing = {f.rule_id for f in eng.firing}
        assert ("errors-per-minute" in firing) == expected
