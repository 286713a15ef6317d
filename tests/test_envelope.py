"""The envelope parser: recorded payloads round-trip; fuzzed input only ever raises
EnvelopeError/LimitError (hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sxtriage.relay.envelope import (
    EnvelopeError,
    envelope_from_store,
    parse_envelope,
    serialize_envelope,
)
from sxtriage.relay.limits import BodyError, LimitError, Limits, decompress
from tests.fixtures_relay import recorded


@pytest.mark.parametrize("rec", recorded(), ids=lambda r: f"{r.sdk}/{r.name}")
def test_recorded_envelopes_parse_and_roundtrip(rec) -> None:
    body = decompress(rec.body, rec.headers.get("Content-Encoding"), 10_000_000)
    if "/store/" in rec.path:
        env = envelope_from_store(body)
        assert env.items[0].type == "event" and env.event_id
        return
    env = parse_envelope(body)
    assert env.items, "every recorded envelope has items"
    again = parse_envelope(serialize_envelope(env))
    assert again.headers == env.headers
    assert [(i.type, i.payload) for i in again.items] == [(i.type, i.payload) for i in env.items]


def test_span_v2_container_and_length_optional() -> None:
    rec = next(r for r in recorded("node-sentry-node") if r.name == "01")
    env = parse_envelope(rec.envelope)
    span = env.items[0]
    assert span.type == "span" and span.headers["item_count"] == 2
    assert json.loads(span.payload)["version"] == 2


def test_length_prefixed_payload_may_contain_newlines() -> None:
    payload = b'{\n"a": 1\n}'
    body = b'{}\n{"type":"event","length":%d}\n' % len(payload) + payload + b"\n"
    assert parse_envelope(body).items[0].payload == payload


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty envelope"),
        (b"not json\n", "envelope header is not valid JSON"),
        (b'{}\n{"type":"event","length":99}\n{}', "truncated"),
        (b'{}\n{"type":"event","length":1}\n{}\n', "longer than its length"),
        (b'{}\n{"length":2}\n{}', "no string 'type'"),
        (b'{}\n{"type":"event","length":-1}\n', "invalid length"),
    ],
)
def test_errors_are_one_line_and_specific(body: bytes, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message) as info:
        parse_envelope(body)
    assert "\n" not in str(info.value)


def test_item_and_header_limits() -> None:
    limits = Limits(max_event_bytes=10, max_items=2, max_header_bytes=100)
    with pytest.raises(LimitError, match="event item"):
        parse_envelope(b'{}\n{"type":"event"}\n{"message":"long enough"}\n', limits)
    with pytest.raises(LimitError, match="items"):
        parse_envelope(b"{}\n" + b'{"type":"session"}\n{}\n' * 3, limits)
    with pytest.raises(LimitError, match="header"):
        parse_envelope(b'{"x":"' + b"a" * 200 + b'"}\n', limits)


def test_bombs_bounded() -> None:
    import gzip
    import zlib

    import brotli

    data = b"\0" * 10_000_000
    for enc, blob in (
        ("gzip", gzip.compress(data)),
        ("deflate", zlib.compress(data)),
        ("br", brotli.compress(data)),
    ):
        with pytest.raises(LimitError):
            decompress(blob, enc, 1_000_000)
        assert decompress(blob, enc, 20_000_000) == data
    with pytest.raises(BodyError, match="truncated"):
        decompress(gzip.compress(b"hello world" * 100)[:-10], "gzip", 10_000)


_fragments = st.sampled_from(
    [
        b"{}",
        b'{"event_id":"abc"}',
        b'{"type":"event"}',
        b'{"type":"event","length":5}',
        b'{"type":"attachment","length":1000000}',
        b'{"type":"span","length":-3}',
        b'{"type":7}',
        b"[]",
        b"\n",
        b"\xff\xfe\x00",
        b'{"message":"hi"}',
        b"[" * 300,
        b'"' * 10,
        b"{" * 50,
    ]
)
_bodies = st.one_of(
    st.binary(max_size=300),
    st.lists(_fragments, max_size=12).map(b"\n".join),
    st.lists(st.one_of(_fragments, st.binary(max_size=20)), max_size=8).map(b"".join),
)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies)
def test_fuzz_parser_only_raises_its_errors(body: bytes) -> None:
    try:
        env = parse_envelope(body, Limits(max_items=20, max_header_bytes=4096))
    except (EnvelopeError, LimitError) as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for item in env.items:
        assert isinstance(item.headers, dict) and isinstance(item.payload, bytes)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies)
def test_fuzz_parser_10k(body: bytes) -> None:
    test_fuzz_parser_only_raises_its_errors.hypothesis.inner_test(body)  # type: ignore[attr-defined]
