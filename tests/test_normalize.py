"""Normalization + scrubbing config, and processed events → models."""

from __future__ import annotations

import json

from sxtriage.config import Settings, load_settings
from sxtriage.relay import normalize, pii_config
from sxtriage.relay.envelope import parse_envelope
from sxtriage.relay.server import run_cli
from tests.fixtures_relay import recorded


def test_pii_config_merges_default_and_message_rule() -> None:
    config = pii_config.build_pii_config()
    apps = config["applications"]
    assert apps[pii_config.MESSAGE_RULE] == pii_config.MESSAGE_ACTIONS
    assert any("@common:filter" in v for v in apps.values())  # Sentry's defaults kept
    assert apps[pii_config.USER_EMAIL_RULE] == ["@email:replace"]
    assert not any(
        "$user.email" in selector
        for selector in pii_config.build_pii_config(scrub_user_emails=False)["applications"]
    )


def test_process_one_returns_scrubbed_text_and_summary() -> None:
    rec = next(r for r in recorded("python-sentry-sdk") if r.name == "01")
    item = parse_envelope(rec.envelope).items[0]
    ok, text, summary = normalize.process_one(("event", "api", 1, item.payload))
    assert ok and summary is not None
    data = json.loads(text)
    assert data["project"] == 1 and "received" in data
    assert summary["trace_id"] == "7c1a53b8428847aa962e3d5d5cada041"
    assert summary["issue_id"] and summary["type"] == "error" and summary["user"] == "id:u_4821"


def test_process_one_rejects_with_one_line() -> None:
    for raw in (b'{"a":', b"\xff\xfe", b"[" * 2000):
        ok, reason, summary = normalize.process_one(("event", "api", 1, raw))
        assert not ok and summary is None and "\n" not in reason
        assert reason.startswith("event item rejected by normalization")


def test_to_event_from_processed_and_raw_shapes() -> None:
    rec = next(r for r in recorded("go-sentry-go") if r.name == "01")
    raw = json.loads(rec.body)  # raw go event: "exception" is a bare list
    event = normalize.to_event(raw, service="search", issue_id="x")
    assert event.exceptions[-1].type == "*fmt.wrapError" and event.exceptions[-1].frames
    assert event.type == "error" and event.service == "search"
    ok, text, _ = normalize.process_one(("event", "search", 4, rec.body))
    assert ok
    processed = normalize.to_event(json.loads(text), service="search", issue_id="x")
    assert processed.title == event.title
    assert processed.tags  # pairs after normalization become a dict again


def test_markup_and_escapes_stay_literal_data() -> None:
    hostile = "[bold red]x[/] \x1b]8;;http://evil\x07link\x1b]8;;\x07 \x1b[31mred"
    ok, text, summary = normalize.process_one(
        ("event", "api", 1, json.dumps({"message": hostile}).encode())
    )
    assert ok and summary is not None
    event = normalize.to_event(json.loads(text), service="api", issue_id=None)
    assert "[bold red]x[/]" in (event.message or "")  # stored as data, never interpreted


def test_run_cli_refuses_public_bind_without_keys(tmp_path, capsys) -> None:
    loaded = load_settings(cli={"relay_host": "0.0.0.0", "data_dir": str(tmp_path)})
    assert run_cli(loaded) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "keys" in err and "127.0.0.1" in err
    assert Settings(relay_host="0.0.0.0", relay_keys=["k"]).relay_keys == ["k"]


def _hostile_events() -> list[dict[str, object]]:
    """Events full of secrets, session cookies (several spellings) and span data."""
    base: dict[str, object] = {
        "message": "card 4242 4242 4242 4242 for bob@example.com from 10.1.2.3 ssn 078-05-1120",
        "user": {"email": "bob@example.com", "ip_address": "10.1.2.3"},
        "request": {
            "headers": {"Authorization": "Bearer abc", "Cookie": "sentrysid=1; sudo=2"},
            "env": {"REMOTE_ADDR": "10.1.2.3"},
            "cookies": {"sentrysid": "x", "session": "y", "CSRF-Token": "cookie-value-5", "o": "o"},
        },
        "extra": {
            "password": "hunter2",
            "api_key": "k",
            "http.request.header.cookie.sessionid": "cookie-value-1",
            "http.response.header.set-cookie._vercel_jwt": "cookie-value-2",
            "nested": {"cookies": {"PHPSESSID": "cookie-value-3", "xsrf_token": "cookie-value-4"}},
        },
        "breadcrumbs": {"values": [{"message": "Bearer abcdef", "data": {"token": "t"}}]},
        "attributes": {"client.address": "10.1.2.3"},
    }
    plain: dict[str, object] = {"message": "nothing secret here", "extra": {"su": "not a key"}}
    with_spans: dict[str, object] = {
        "type": "transaction",
        "transaction": "/checkout",
        "start_timestamp": 1700000000.0,
        "timestamp": 1700000001.0,
        "contexts": {"trace": {"trace_id": "a" * 32, "span_id": "b" * 16}},
        "spans": [
            {
                "span_id": "c" * 16,
                "trace_id": "a" * 32,
                "start_timestamp": 1700000000.0,
                "timestamp": 1700000000.5,
                "data": {"gen_ai.prompt": "mail bob@example.com", "user.ip": "10.1.2.3"},
                "sentry_tags": {"user.ip": "10.1.2.3"},
            }
        ],
        "extra": {"cookies": {"sudo": "s"}},
    }
    return [base, plain, with_spans]


def test_picked_config_scrubs_exactly_like_the_whole_config() -> None:
    """Per event the relay scrubs with Sentry's config cut to what that event can match
    (no span selectors without spans, only the cookie names its keys mention); the
    result must be byte-identical to the whole config's, on every recorded payload and
    on events full of secrets and cookies."""
    from sentry_relay.processing import StoreNormalizer, pii_strip_event

    full = pii_config.build_pii_config()
    picker = pii_config.ConfigPicker(full)
    payloads = [json.dumps(e).encode() for e in _hostile_events()]
    for rec in recorded():
        for item in parse_envelope(rec.envelope).items:
            if item.type in ("event", "transaction"):
                payloads.append(item.payload)
    norm = StoreNormalizer(project_id=1)
    sizes = set()
    for raw in payloads:
        text = norm.normalize_event(raw_event=raw, json_loads=lambda t: t)
        picked = picker.for_event(text)
        sizes.add(len(picked))
        a = pii_strip_event(picker.whole, text, json_dumps=lambda t: t)
        b = pii_strip_event(picked, text, json_dumps=lambda t: t)
        assert a == b
    assert len(payloads) >= len(_hostile_events()) + 10
    assert min(sizes) < len(picker.whole) / 2  # the common case parses far less
    assert len(sizes) >= 3  # and the hostile events did get their cookie rules
    hostile = norm.normalize_event(_hostile_events()[0], json_loads=lambda t: t)
    scrubbed = pii_strip_event(picker.for_event(hostile), hostile, json_dumps=lambda t: t)
    for secret in ("4242 4242", "hunter2", "bob@example.com", "078-05-1120", "Bearer abc"):
        assert secret not in json.dumps(scrubbed)
    for n in range(1, 6):
        assert f"cookie-value-{n}" not in json.dumps(scrubbed)
