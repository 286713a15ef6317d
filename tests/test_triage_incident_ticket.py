"""One GitHub issue for an incident: drafting (order, title, scrubbed body) and linking it
to every issue through the engine and the Sentry simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from sxtriage.models import (
    ActionKind,
    Event,
    ExceptionValue,
    Frame,
    Issue,
    Level,
    Source,
    Span,
    Trace,
)
from sxtriage.triage.ticket import (
    MAX_INCIDENT_FRAMES,
    MAX_TITLE,
    draft_incident,
    incident_issues,
    incident_services,
    incident_title,
    trace_order,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def issue(
    service: str,
    n: int,
    *,
    title: str = "Boom",
    level: Level = Level.ERROR,
    count: int = 10,
    source: Source = Source.SENTRY,
    permalink: str | None = "",
) -> Issue:
    short = f"{service.upper()}-{n}"
    return Issue(
        source=source,
        id=f"{service}{n}",
        service=service,
        short_id=short,
        title=title,
        level=level,
        count=count,
        user_count=count // 2,
        first_seen=T0,
        last_seen=T0 + timedelta(hours=1),
        permalink=f"https://sentry.example/issues/{n}/" if permalink == "" else permalink,
    )


def span(service: str, seconds: float) -> Span:
    start = T0 + timedelta(seconds=seconds)
    return Span(
        span_id=f"{service}{seconds}",
        trace_id="t" * 32,
        start=start,
        end=start + timedelta(seconds=1),
        service=service,
    )


def event_with_frames(n: int, context: str = "pay()") -> Event:
    frames = [
        Frame(
            filename=f"app/f{i}.py", lineno=i, function=f"fn{i}", in_app=True, context_line=context
        )
        for i in range(n)
    ]
    return Event(event_id="e" * 32, exceptions=[ExceptionValue(type="E", frames=frames)])


def test_trace_order_is_earliest_span_first_and_needs_every_service() -> None:
    trace = Trace(
        trace_id="t" * 32,
        spans=[span("search", 0.3), span("api", 0.2), span("web", 0.0), span("api", 0.05)],
    )
    assert trace_order(trace, {"web", "api", "search"}) == ["web", "api", "search"]
    assert trace_order(trace, {"api", "search"}) == ["api", "search"]
    assert trace_order(trace, {"web", "mobile"}) is None  # mobile is not in it: unknown
    assert trace_order(None, {"web"}) is None


def test_services_fall_back_to_sorted_and_the_lead_follows_the_order() -> None:
    web, api, api_worse, search = (
        issue("web", 1, count=5),
        issue("api", 1, count=3),
        issue("api", 2, level=Level.FATAL, count=1),
        issue("search", 1, count=900),
    )
    everything = [search, api, web, api_worse]
    assert incident_services(everything) == ["api", "search", "web"]
    assert incident_services(everything, ["web", "api"]) == ["api", "search", "web"]
    order = ["web", "api", "search"]
    assert incident_issues(everything, order) == [web, api_worse, api, search]
    # no trace: the worst leads (level first, then events)
    assert incident_issues(everything) == [api_worse, search, web, api]


def test_title_names_the_services_the_lead_and_the_rest_scrubbed_and_bounded() -> None:
    lead = issue("web", 1, title="Checkout failed for jane@example.com\n[red]x[/red]")
    issues = [lead, issue("api", 1), issue("search", 1)]
    title = incident_title(issues, ["web", "api", "search"])
    assert (
        title
        == "[INCIDENT] web → api → search: Checkout failed for [email] [red]x[/red] (+2 related)"
    )
    long = incident_title([issue("web", 1, title="x" * 1000), *issues[1:]], ["web", "api"])
    assert len(long) <= MAX_TITLE and long.endswith("… (+2 related)")


def test_body_lists_every_issue_as_table_cells_and_frames_per_service() -> None:
    hostile = "Card 4111 1111 1111 1111 | `rm -rf` ```"
    web = issue("web", 1, title=hostile)
    web2 = issue("web", 2, count=1)
    local = issue("api", 7, source=Source.RELAY, permalink=None)
    search = issue("search", 3, permalink="javascript:alert(1)")
    events = {web.key: event_with_frames(12, "charge(4111 1111 1111 1111)"), local.key: None}
    draft = draft_incident(
        [search, web2, local, web], events, "scenextras/web", ["web", "api", "search"]
    )
    assert draft.repo == "scenextras/web" and draft.labels == ["bug", "sentry"]
    assert draft.title.startswith("[INCIDENT] web → api → search: Card [creditcard]")
    rows = [line for line in draft.body.splitlines() if line.startswith("| `")]
    assert [r.split("|")[2].strip() for r in rows] == [
        "`WEB-1`",
        "`WEB-2`",
        "`API-7`",
        "`SEARCH-3`",
    ]
    assert all(r.count("|") == 9 for r in rows)  # the title's pipe did not split a cell
    assert "4111" not in draft.body and "[creditcard]" in rows[0]
    assert "`rm -rf`" not in draft.body  # backticks in data cannot close the code span
    assert "<https://sentry.example/issues/1/>" in rows[0]
    assert rows[2].endswith("| local (relay) |")
    assert "javascript:" not in draft.body
    # frames: only for services whose latest event has them, capped, scrubbed
    assert draft.body.count("top in-app frames") == 1
    assert "### `web` · `WEB-1`: top in-app frames" in draft.body
    assert draft.body.count(" in fn") == MAX_INCIDENT_FRAMES
    assert "charge([creditcard])" in draft.body


def test_an_incident_needs_issues() -> None:
    with pytest.raises(ValueError, match="at least one issue"):
        draft_incident([], {}, None)


async def test_link_tickets_stores_each_and_notes_each_sentry_issue(sentry_env) -> None:
    env = sentry_env
    issues = await env.issues(3)
    local = issue("api", 99, source=Source.RELAY, permalink=None)
    url = "https://github.com/scenextras/web/issues/7"
    await env.engine.link_tickets([*issues, local], url)
    async with asyncio.timeout(10):
        await env.engine.drain()
    for one in issues:
        notes = env.sim.state.notes[int(one.id)]
        assert [n["data"]["text"] for n in notes] == [f"GitHub issue: {url}"]
        assert env.feed.issues[one.key].linked_ticket == url
    assert env.feed.issues[local.key].linked_ticket == url  # relay issues store the link
    rows = await env.store.query("SELECT source, issue_id, url FROM tickets")
    expected = {(i.source.value, i.id, url) for i in [*issues, local]}
    assert {(r["source"], r["issue_id"], r["url"]) for r in rows} == expected
    audit = await env.store.query("SELECT kind FROM audit")
    assert [r["kind"] for r in audit] == [ActionKind.LINK_TICKET.value]  # one action
    assert not env.feed.toasts or all(s != "error" for _, s in env.feed.toasts)
    # the links survive a restart
    await env.engine.close()
    engine = await env.new_engine()
    await engine.start()
    assert all(engine.linked_tickets[i.key] == url for i in [*issues, local])
