"""`:` jumps: parse what was typed, then find it in the feed or on the (simulated) server."""

from __future__ import annotations

import pytest

from sxtriage.jump import Target, parse_target, resolve
from sxtriage.models import Source
from sxtriage.sentry.client import SentryClient
from sxtriage.sim.server import SimServer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WEB-2F", Target("short_id", "WEB-2F")),
        ("api-local-3", Target("short_id", "API-LOCAL-3")),
        ("https://acme.sentry.io/issues/4711/", Target("issue_id", "4711")),
        (
            "https://sentry.io/organizations/acme/issues/12/events/"
            "0123456789abcdef0123456789ABCDEF/",
            Target("issue_id", "12", "0123456789abcdef0123456789abcdef"),
        ),
        (
            "https://acme.sentry.io/performance/trace/aaaabbbbccccddddeeeeffff00001111/",
            Target("trace_id", "aaaabbbbccccddddeeeeffff00001111"),
        ),
        ("0123456789abcdef0123456789abcdef", Target("hex_id", "0123456789abcdef0123456789abcdef")),
        (
            "01234567-89ab-cdef-0123-456789abcdef",
            Target("event_id", "0123456789abcdef0123456789abcdef"),
        ),
        ("resolve", None),
        ("two words", None),
        ("https://example.com/nothing", None),
        ("", None),
    ],
)
def test_parse_target(text: str, expected: Target | None) -> None:
    assert parse_target(text) == expected


async def test_resolve_finds_what_the_feed_lacks(sim: SimServer, sim_client: SentryClient) -> None:
    issue = next(iter(sim.state.issues.values()))
    event = issue.events[-1]
    # a short id not in the (empty) feed: the shortids lookup
    jump = await resolve(parse_target(issue.short_id.lower()), [], sim_client)  # type: ignore[arg-type]
    assert jump.error is None and jump.key == (Source.SENTRY, str(issue.id))
    assert jump.issue is not None and jump.issue.short_id == issue.short_id
    # an event id: the eventids lookup, then the issue, opened at that event
    jump = await resolve(parse_target(event.event_id), [], sim_client)  # type: ignore[arg-type]
    assert jump.key == (Source.SENTRY, str(issue.id)) and jump.event_id == event.event_id
    # in the feed already: no request at all
    before = len(sim.requests)
    jump = await resolve(parse_target(issue.short_id), [jump.issue], sim_client)  # type: ignore[arg-type, list-item]
    assert jump.key == (Source.SENTRY, str(issue.id)) and len(sim.requests) == before


async def test_resolve_says_what_was_not_found(sim: SimServer, sim_client: SentryClient) -> None:
    jump = await resolve(Target("short_id", "NOPE-1"), [], sim_client)
    assert jump.key is None and jump.error and "NOPE-1" in jump.error
    hex_id = "f" * 32
    jump = await resolve(Target("hex_id", hex_id), [], sim_client)
    # not an event of the org: it may be a trace id
    assert jump.trace_id == hex_id and jump.error is None
    jump = await resolve(Target("issue_id", "999999"), [], sim_client)
    assert jump.error and "not found" in jump.error
    jump = await resolve(Target("short_id", "WEB-1"), [], None)
    assert jump.error and "no Sentry" in jump.error
