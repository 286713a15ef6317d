"""Grouping: fingerprints (with variables), exception type + in-app frames, messages."""

from __future__ import annotations

from sxtriage.relay import grouping


def _exc(etype: str, frames: list[dict], value: str = "boom") -> dict:
    return {
        "exception": {"values": [{"type": etype, "value": value, "stacktrace": {"frames": frames}}]}
    }


APP = {"module": "api.pay", "function": "charge", "in_app": True, "lineno": 10}
LIB = {"module": "stripe.http", "function": "post", "in_app": False, "lineno": 99}


def test_same_type_and_in_app_frames_group_ignoring_lines_and_values() -> None:
    a = _exc("CardError", [LIB, APP], value="card 1 declined")
    b = _exc("CardError", [dict(LIB, lineno=1), dict(APP, lineno=42)], value="card 2 declined")
    assert grouping.group_hash(a) == grouping.group_hash(b)


def test_library_frames_do_not_split_groups() -> None:
    a = _exc("CardError", [LIB, APP])
    b = _exc("CardError", [dict(LIB, function="put"), APP])
    assert grouping.group_hash(a) == grouping.group_hash(b)


def test_different_type_or_in_app_function_splits() -> None:
    base = grouping.group_hash(_exc("CardError", [APP]))
    assert grouping.group_hash(_exc("Timeout", [APP])) != base
    assert grouping.group_hash(_exc("CardError", [dict(APP, function="refund")])) != base


def test_no_frames_uses_value() -> None:
    assert grouping.group_hash(_exc("E", [], "a")) != grouping.group_hash(_exc("E", [], "b"))


def test_fingerprint_replaces_default() -> None:
    a = dict(_exc("CardError", [APP]), fingerprint=["payments"])
    b = dict(_exc("Timeout", [dict(APP, function="x")]), fingerprint=["payments"])
    assert grouping.group_hash(a) == grouping.group_hash(b)


def test_fingerprint_with_default_variable() -> None:
    a = dict(_exc("CardError", [APP]), fingerprint=["payment-failed", "{{ default }}"])
    b = dict(_exc("CardError", [APP]), fingerprint=["payment-failed", "{{default}}"])
    c = dict(_exc("Timeout", [APP]), fingerprint=["payment-failed", "{{ default }}"])
    plain = _exc("CardError", [APP])
    assert grouping.group_hash(a) == grouping.group_hash(b)
    assert grouping.group_hash(a) != grouping.group_hash(c)
    assert grouping.group_hash(a) != grouping.group_hash(plain)
    assert grouping.fingerprint_components(a)[:2] == ["payment-failed", "CardError"]


def test_fingerprint_transaction_and_type_variables() -> None:
    ev = dict(
        _exc("CardError", [APP]),
        transaction="POST /pay",
        fingerprint=["{{ transaction }}", "{{ type }}"],
    )
    assert grouping.fingerprint_components(ev) == ["POST /pay", "CardError"]


def test_message_template_groups_formatted_variants() -> None:
    a = {"logentry": {"message": "user %s not found", "formatted": "user 12 not found"}}
    b = {"logentry": {"message": "user %s not found", "formatted": "user 99 not found"}}
    c = {"message": "disk full"}
    assert grouping.group_hash(a) == grouping.group_hash(b)
    assert grouping.group_hash(c) != grouping.group_hash(a)
    assert grouping.title_of(a) == "user 12 not found"


def test_titles_culprits_and_short_ids() -> None:
    ev = dict(_exc("CardError", [LIB, APP], "declined\nsecond line"))
    assert grouping.title_of(ev) == "CardError: declined"
    assert grouping.culprit_of(ev) == "api.pay in charge"
    assert grouping.short_id("api", 1) == "API-LOCAL-1"
    assert grouping.short_id("api", 51) == "API-LOCAL-1F"


def test_apply_event_counts_users_and_regressions() -> None:
    summary = {
        "issue_id": "i1",
        "title": "T",
        "culprit": "c",
        "level": "error",
        "received": 1e9,
        "release": "api@1",
    }
    issue = grouping.apply_event(None, summary, service="api", short="API-LOCAL-1", new_user=True)
    assert (issue["count"], issue["user_count"], issue["status"]) == (1, 1, "unresolved")
    issue["status"] = "resolved"
    issue = grouping.apply_event(
        issue, dict(summary, received=2e9), service="api", short="", new_user=False
    )
    assert (issue["count"], issue["user_count"], issue["status"]) == (2, 1, "unresolved")
    assert issue["substatus"] == "regressed" and issue["short_id"] == "API-LOCAL-1"
