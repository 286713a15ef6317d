"""SentryClient against the running simulator: every method, no mocks."""

from __future__ import annotations

from sxtriage.models import IgnoreSpec, Level, Source, Status
from sxtriage.sentry.client import IssueUpdate, SentryClient, parse_link_next
from sxtriage.sentry.detail import SentryDetailSource
from sxtriage.sim.server import SimServer
from tests.fixtures_sim import make_client


async def test_list_issues_maps_services_and_filters_unresolved(
    sim: SimServer, sim_client: SentryClient
) -> None:
    page = await sim_client.list_issues()
    expected = {i.id for i in sim.state.issues.values() if i.status == "unresolved"}
    assert {int(i.id) for i in page.items} == expected
    assert page.next_cursor is None
    issue = next(i for i in page.items if i.id == "101")
    assert issue.source is Source.SENTRY and issue.service == "api" and issue.project == "api"
    assert issue.short_id == "API-1" and issue.title.startswith("TMDBUnavailable")
    assert issue.count == sim.state.issues[101].count and issue.platform == "python"
    assert [i.last_seen for i in page.items] == sorted(
        (i.last_seen for i in page.items), reverse=True
    )
    assigned = next(i for i in page.items if i.id == "102")
    assert (assigned.assignee, assigned.assignee_id) == ("oncall@scenextras.dev", "user:1")
    team = next(i for i in page.items if i.id == "103")
    assert (team.assignee, team.assignee_id) == ("#payments", "team:5")


async def test_search_params_are_applied(sim_client: SentryClient) -> None:
    fatal = await sim_client.list_issues(query="is:unresolved level:fatal", projects=["mobile"])
    assert fatal.items and all(
        i.level is Level.FATAL and i.service == "mobile" for i in fatal.items
    )
    mine = await sim_client.list_issues(query="assigned:me")
    assert [i.id for i in mine.items] == ["102"]
    text = await sim_client.list_issues(query='"card was declined"')
    assert [i.short_id for i in text.items] == ["API-3"]
    resolved = await sim_client.list_issues(query="is:resolved")
    assert all(i.status is Status.RESOLVED for i in resolved.items) and resolved.items


async def test_pagination_follows_link_cursors() -> None:
    async with SimServer(n_issues=230, seed=2) as server, make_client(server) as client:
        pages = [p async for p in client.iter_issues(query="", limit=100)]
    assert [len(p.items) for p in pages] == [100, 100, 30]
    ids = [i.id for p in pages for i in p.items]
    assert len(set(ids)) == 230
    assert sum(1 for r in server.requests if r.path.endswith("/issues/")) == 3


def test_link_header_parsing() -> None:
    header = (
        '<https://s/api/0/x/?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", '
        '<https://s/api/0/x/?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"'
    )
    assert parse_link_next(header) == "0:100:0"
    assert parse_link_next(header.replace('results="true"', 'results="false"')) is None
    assert parse_link_next(None) is None


async def test_issue_details_and_events(sim: SimServer, sim_client: SentryClient) -> None:
    issue = await sim_client.get_issue("101")
    assert issue.first_release == "api@2026.11.3" and issue.release == "api@2026.11.3"
    event = await sim_client.latest_event("101")
    latest = sim.state.issues[101].events[-1]
    assert event.event_id == latest.event_id and event.issue_id == "101"
    assert event.service == "api" and event.project == "api"
    assert [e.type for e in event.exceptions] == ["ReadTimeout", "TMDBUnavailable"]
    top = event.exceptions[-1].frames[-1]
    assert top.in_app and top.function == "fetch_movie" and top.lineno == 112
    assert top.context_line and "raise" in top.context_line
    assert len(top.pre_context) == 2 and len(top.post_context) == 2
    assert not event.exceptions[0].frames[0].in_app
    assert event.breadcrumbs and event.breadcrumbs[0].category == "http"
    assert event.tags["environment"] == "production" and event.environment == "production"
    assert event.release == "api@2026.11.3"
    assert event.trace_id == latest.trace_id and event.span_id == latest.span_id
    assert event.request["method"] == "GET" and event.user["id"]
    assert event.contexts["runtime"]["name"] == "CPython" and event.sdk["name"]
    assert event.previous_event_id == sim.state.issues[101].events[-2].event_id
    assert event.next_event_id is None
    oldest = await sim_client.get_event("101", "oldest")
    assert oldest.event_id == sim.state.issues[101].events[0].event_id
    same = await sim_client.get_event("101", oldest.event_id)
    assert same.event_id == oldest.event_id
    page = await sim_client.list_events("101", limit=2)
    assert len(page.items) == 2 and page.next_cursor
    assert page.items[0].event_id == latest.event_id
    rest = await sim_client.list_events("101", cursor=page.next_cursor, limit=2)
    assert rest.items[0].event_id not in {e.event_id for e in page.items}


async def test_trace_spans_services(sim: SimServer, sim_client: SentryClient) -> None:
    trace_id = next(
        t
        for t, evs in sim.state.traces.items()
        if len({sim.state.issues[e.issue_id].project.slug for e in evs}) > 1
    )
    trace = await sim_client.get_trace(trace_id)
    services = {s.service for s in trace.spans}
    assert len(services) > 1
    roots = [s for s in trace.spans if s.parent_span_id is None]
    assert len(roots) == 1
    by_id = {s.span_id for s in trace.spans}
    assert all(s.parent_span_id in by_id for s in trace.spans if s.parent_span_id)
    linked = {i for s in trace.spans for i in s.issue_ids}
    assert linked == {str(e.issue_id) for e in sim.state.traces[trace_id]}


async def test_org_lists_and_event_lookup(sim: SimServer, sim_client: SentryClient) -> None:
    members = await sim_client.list_members()
    me = next(m for m in members if m.email == "oncall@scenextras.dev")
    assert me.actor == "user:1"
    teams = await sim_client.list_teams()
    assert {t.slug for t in teams} == {"backend", "frontend", "mobile", "search", "payments"}
    projects = await sim_client.list_projects()
    assert next((p.slug, p.platform) for p in projects) == ("api", "python")
    event_id = sim.state.issues[105].events[0].event_id
    assert await sim_client.resolve_event_id(event_id) == "105"
    assert await sim_client.resolve_event_id("0" * 32) is None


async def test_updates_persist(sim: SimServer, sim_client: SentryClient) -> None:
    issue = await sim_client.update_issue("101", IssueUpdate(status="resolved"))
    assert issue.status is Status.RESOLVED and sim.state.issues[101].status == "resolved"
    issue = await sim_client.update_issue(
        "101", IssueUpdate(status="ignored", ignore=IgnoreSpec(duration_min=30))
    )
    assert issue.status is Status.IGNORED and sim.state.issues[101].ignore_until
    assert sim.state.issues[101].substatus == "archived_until_condition_met"
    issue = await sim_client.update_issue("101", IssueUpdate(status="resolvedInNextRelease"))
    assert sim.state.issues[101].status_details == {"inNextRelease": True}
    issue = await sim_client.update_issue("101", IssueUpdate(assigned_to="team:1"))
    assert issue.assignee == "#backend" and issue.assignee_id == "team:1"
    issue = await sim_client.update_issue("101", IssueUpdate(assigned_to=""))
    assert issue.assignee is None and sim.state.issues[101].assigned is None
    issue = await sim_client.update_issue("101", IssueUpdate(is_bookmarked=True, has_seen=True))
    assert issue.is_bookmarked and issue.has_seen
    issue = await sim_client.update_issue("101", IssueUpdate(status="unresolved"))
    assert issue.status is Status.UNRESOLVED
    await sim_client.add_note("101", "looking into TMDB timeouts")
    assert sim.state.notes[101][0]["data"]["text"] == "looking into TMDB timeouts"
    assert (await sim_client.get_issue("101")).id == "101"


async def test_bulk_update_chunks_of_100() -> None:
    async with SimServer(n_issues=250, seed=4) as server, make_client(server) as client:
        ids = [str(i) for i in sorted(server.state.issues)][:150]
        await client.bulk_update(ids, IssueUpdate(status="resolved", assigned_to="user:2"))
    puts = [r for r in server.requests if r.method == "PUT"]
    assert len(puts) == 2 and puts[0].query.count("id=") == 100
    changed = [i for i in server.state.issues.values() if i.status == "resolved"]
    assert len(changed) == 150 and all(i.assigned == "user:2" for i in changed)


def test_issue_update_json() -> None:
    assert IssueUpdate(status="ignored").to_json() == {
        "status": "ignored",
        "statusDetails": {},
        "substatus": "archived_forever",
    }
    body = IssueUpdate(status="ignored", ignore=IgnoreSpec(count=100, window_min=60)).to_json()
    assert body["statusDetails"] == {"ignoreCount": 100, "ignoreWindow": 60}
    assert IssueUpdate(status="resolvedInNextRelease").to_json() == {
        "status": "resolved",
        "statusDetails": {"inNextRelease": True},
        "substatus": None,  # as static/app/components/actions/resolve.tsx sends it
    }
    assert IssueUpdate(assigned_to="").to_json() == {"assignedTo": ""}
    assert IssueUpdate(has_seen=True, is_bookmarked=False).to_json() == {
        "hasSeen": True,
        "isBookmarked": False,
    }


async def test_detail_source_adapter(sim: SimServer, sim_client: SentryClient) -> None:
    source = SentryDetailSource(sim_client)
    issue = (await sim_client.list_issues(query="API-1", limit=1)).items[0]
    event = await source.latest_event(issue)
    assert event is not None and event.exceptions
    assert len(await source.events(issue, limit=3)) == min(3, len(sim.state.issues[101].events))
    assert (await source.event(issue, "0" * 32)) is None
    trace = await source.trace(event.trace_id or "")
    assert trace is not None and trace.spans


async def test_user_agent_and_rate_limit_headers(sim: SimServer, sim_client: SentryClient) -> None:
    await sim_client.list_issues()
    first = sim_client.rate_limit.remaining
    await sim_client.list_teams()
    assert sim_client.rate_limit.limit == 1000
    assert first is not None and sim_client.rate_limit.remaining is not None
    assert sim_client.rate_limit.reset and sim_client.rate_limit.concurrent_limit == 25
    assert sim.requests[-1].user_agent.startswith("sxtriage/")
