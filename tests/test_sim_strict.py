"""The simulator refuses what Sentry's code refuses — same status, same body — and
accepts what it accepts (docs/sentry-endpoints.md names the Sentry file of each rule)."""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx
import pytest

from sxtriage.sim import lifecycle
from sxtriage.sim.server import SimServer

ORG = "organizations/scenextras/"
ACTOR = "Could not parse actor. Format should be `type:id` where type is `team` or `user`."
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "The requested resource does not exist"}
MAX_WEEK = "Ensure this value is less than or equal to 10080."
NOT_OBJECT = "Invalid data. Expected a dictionary, but got str."


def detail(text: str) -> dict[str, str]:
    return {"detail": text}


@pytest.fixture
async def http(sim: SimServer):
    async with httpx.AsyncClient(base_url=sim.url + "/api/0/") as client:
        yield client


REFUSED_GETS: list[tuple[str, dict[str, Any], int, Any]] = [
    # src/sentry/api/bases/organization.py get_requested_project_ids_unchecked / get_projects
    (ORG + "issues/", {"project": "api"}, 400,
     detail("Invalid project parameter. Values must be numbers.")),
    (ORG + "issues/", {"project": ["1", "web"]}, 400,
     detail("Invalid project parameter. Values must be numbers.")),
    (ORG + "issues/", {"project": "99"}, 403, FORBIDDEN),
    (ORG + "issues/", {"projectSlug": "nope"}, 403, FORBIDDEN),
    (ORG + "releases/", {"project": "api"}, 400,
     detail("Invalid project parameter. Values must be numbers.")),
    # src/sentry/api/helpers/environments.py get_environments
    (ORG + "issues/", {"environment": "dev"}, 404, NOT_FOUND),
    # src/sentry/search/snuba/backend.py (sort strategies of executors.py)
    (ORG + "issues/", {"sort": "priority"}, 400, detail("Sort key 'priority' not supported.")),
    (ORG + "issues/", {"sort": "bogus"}, 400, detail("Sort key 'bogus' not supported.")),
    (ORG + "issues/", {"sort": ""}, 400, detail("Sort key '' not supported.")),
    (ORG + "issues/", {"sort": "inbox", "query": "is:unresolved"}, 400,
     detail("Sort key 'inbox' only supported for inbox search")),
    # src/sentry/api/helpers/group_index/index.py build_query_params_from_request
    (ORG + "issues/", {"limit": "many"}, 400, detail("invalid limit")),
    (ORG + "issues/", {"cursor": "abc"}, 400, detail("Invalid cursor parameter.")),
    (ORG + "issues/", {"cursor": "0:0"}, 400, detail("Invalid cursor parameter.")),
    (ORG + "issues/", {"cursor": "0:x:0"}, 400, detail("Invalid cursor parameter.")),
    (ORG + "issues/", {"query": "is:bookmarked"}, 400, None),
    (ORG + "issues/", {"query": "is:[resolved,ignored]"}, 400,
     detail('Error parsing search query: "in" syntax invalid for "is" search')),
    (ORG + "issues/", {"group": "x"}, 400, detail("Group ids must be integers")),
    # organization_group_index.py get + src/sentry/api/utils.py
    (ORG + "issues/", {"groupStatsPeriod": "1h"}, 400,
     detail("Invalid stats_period. Valid choices are '', '24h', '14d' and 'auto'")),
    (ORG + "issues/", {"statsPeriod": "1y"}, 400, detail("Invalid statsPeriod: '1y'")),
    (ORG + "issues/", {"start": "2026-01-01T00:00:00"}, 400,
     detail("start and end are both required")),
    (ORG + "issues/", {"statsPeriodStart": "2d"}, 400,
     detail("statsPeriodStart and statsPeriodEnd are both required")),
    # src/sentry/api/base.py get_per_page / get_cursor_from_request
    (ORG + "members/", {"per_page": "101"}, 400,
     detail("Invalid per_page value. Cannot exceed 100.")),
    (ORG + "teams/", {"per_page": "ten"}, 400, detail("Invalid per_page parameter.")),
    (ORG + "projects/", {"cursor": "next"}, 400, detail("Invalid cursor parameter.")),
    (ORG + "issues/101/events/", {"per_page": "500"}, 400,
     detail("Invalid per_page value. Cannot exceed 100.")),
    (ORG + "issues/101/comments/", {"per_page": "200"}, 400,
     detail("Invalid per_page value. Cannot exceed 100.")),
    # src/sentry/issues/endpoints/bases/group.py + get_group_with_redirect
    ("issues/API-1/", {}, 404, NOT_FOUND),
    (ORG + "issues/999999/", {}, 404, NOT_FOUND),
    # src/sentry/issues/endpoints/group_event_details.py
    (ORG + "issues/101/events/" + "0" * 32 + "/", {}, 404,
     detail("Event not found. The event ID may be incorrect, or its age exceeded the "
            "retention period.")),
    (ORG + "issues/101/events/latest/", {"environment": "staging"}, 404,
     detail("No matching event found. Try changing the environments, date range, or query.")),
    (ORG + "issues/101/events/latest/", {"statsPeriod": "soon"}, 400,
     detail("Invalid date range")),
    # src/sentry/issues/endpoints/organization_eventid.py
    (ORG + "eventids/12345/", {}, 400,
     detail("Event ID must be a valid UUID hex (32-36 characters long, containing only "
            "digits, dashes, or a-f characters)")),
    (ORG + "eventids/" + "f" * 32 + "/", {}, 404, NOT_FOUND),
    # src/sentry/api/endpoints/organization_trace.py
    (ORG + "trace/" + "a" * 32 + "/", {"errorId": "x"}, 400,
     detail("eventId: x needs to be a valid uuid")),
    # src/sentry/api/endpoints/organization_releases.py
    (ORG + "releases/", {"sort": "version"}, 400, detail("invalid sort")),
    (ORG + "releases/", {"sort": "sessions"}, 400,
     detail("sorting by crash statistics requires flattening (flatten=1)")),
    (ORG + "releases/", {"summaryStatsPeriod": "3d"}, 400,
     detail("Invalid summaryStatsPeriod. Valid choices are '1h', '24h', '1d', '48h', '2d', "
            "'7d', '14d', '30d', '90d'")),
    (ORG + "releases/", {"per_page": "1000"}, 400,
     detail("Invalid per_page value. Cannot exceed 100.")),
    # src/sentry/issues/endpoints/organization_group_search_views.py
    (ORG + "group-search-views/", {"createdBy": "anyone"}, 400,
     {"createdBy": ['"anyone" is not a valid choice.']}),
    (ORG + "group-search-views/", {"sort": ["name", "stars"]}, 400,
     {"sort": {"1": ['"stars" is not a valid choice.']}}),
    # src/sentry/issues/endpoints/project_group_index.py
    ("projects/scenextras/api/issues/", {"statsPeriod": "1h"}, 400,
     detail("Invalid stats_period. Valid choices are '', '24h', and '14d'")),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "status", "body"), REFUSED_GETS)
async def test_refused_requests(
    http: httpx.AsyncClient, path: str, query: dict[str, Any], status: int, body: Any
) -> None:
    resp = await http.get(path, params=query)
    assert resp.status_code == status, resp.text[:300]
    if body is None:
        assert resp.json()["detail"].startswith(
            'Error parsing search query: Invalid value for "is" search, valid values are ['
        )
    else:
        assert resp.json() == body


REFUSED_PUTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    # src/sentry/api/helpers/group_index/validators/group.py GroupValidator (DRF fields)
    ({"status": "closed"}, {"status": ['"closed" is not a valid choice.']}),
    ({"status": "archived"}, {"status": ['"archived" is not a valid choice.']}),
    ({"status": None}, {"status": ["This field may not be null."]}),
    ({"substatus": "snoozed"}, {"substatus": ['"snoozed" is not a valid choice.']}),
    ({"substatus": "until_escalating"},
     {"substatus": ['"until_escalating" is not a valid choice.']}),
    ({"priority": "urgent"}, {"priority": ['"urgent" is not a valid choice.']}),
    ({"priority": "HIGH"}, {"priority": ['"HIGH" is not a valid choice.']}),
    ({"isBookmarked": "maybe"}, {"isBookmarked": ["Must be a valid boolean."]}),
    ({"inbox": 2}, {"inbox": ["Must be a valid boolean."]}),
    ({"hasSeen": None}, {"hasSeen": ["This field may not be null."]}),
    ({"ignoreDuration": "soon"}, {"ignoreDuration": ["A valid integer is required."]}),
    ({"ignoreWindow": 20000},
     {"ignoreWindow": ["Ensure this value is less than or equal to 10080."]}),
    # .../validators/status_details.py StatusDetailsValidator
    ({"status": "ignored", "statusDetails": {"ignoreCount": "x"}},
     {"statusDetails": {"ignoreCount": ["A valid integer is required."]}}),
    ({"status": "ignored", "statusDetails": {"ignoreUserWindow": 10081}},
     {"statusDetails": {"ignoreUserWindow": [MAX_WEEK]}}),
    ({"status": "ignored", "statusDetails": "forever"},
     {"statusDetails": {"non_field_errors": [NOT_OBJECT]}}),
    ({"status": "resolved", "statusDetails": {"inRelease": "api@9.9.9"}},
     {"statusDetails": {"inRelease": ["Unable to find a release with the given version."]}}),
    ({"status": "resolved", "statusDetails": {"inRelease": ""}},
     {"statusDetails": {"inRelease": ["This field may not be blank."]}}),
    ({"status": "resolved", "statusDetails": {"inNextRelease": "soon"}},
     {"statusDetails": {"inNextRelease": ["Must be a valid boolean."]}}),
    ({"status": "resolved", "statusDetails": {"inUpcomingRelease": True}},
     {"statusDetails": {"inUpcomingRelease":
                        ["Your organization does not have access to this feature."]}}),
    # src/sentry/types/actor.py parse_and_validate_actor (via ActorField)
    ({"assignedTo": None}, {"assignedTo": ["This field may not be null."]}),
    ({"assignedTo": "nobody@nowhere"}, {"assignedTo": [ACTOR]}),
    ({"assignedTo": "user:abc"}, {"assignedTo": [ACTOR]}),
    ({"assignedTo": "#payments"}, {"assignedTo": [ACTOR]}),
    ({"assignedTo": "user:999"}, {"assignedTo": ["ActorType.USER does not exist"]}),
    ({"assignedTo": "team:999"}, {"assignedTo": ["ActorType.TEAM does not exist"]}),
    ({"assignedTo": ["user:1"]}, {"assignedTo": [ACTOR]}),
    # several fields at once: DRF reports every one
    ({"status": "x", "priority": "y"},
     {"status": ['"x" is not a valid choice.'], "priority": ['"y" is not a valid choice.']}),
]  # fmt: skip


@pytest.mark.parametrize(("body", "errors"), REFUSED_PUTS)
@pytest.mark.parametrize("form", ["bulk", "detail"])
async def test_refused_put_bodies(
    sim: SimServer, http: httpx.AsyncClient, form: str, body: Any, errors: Any
) -> None:
    before = (sim.state.issues[101].status, sim.state.issues[101].assigned)
    if form == "bulk":
        resp = await http.put(ORG + "issues/", params={"id": "101"}, json=body)
    else:
        resp = await http.put(ORG + "issues/101/", json=body)
    assert resp.status_code == 400
    assert resp.json() == errors
    assert (sim.state.issues[101].status, sim.state.issues[101].assigned) == before


async def test_refused_bodies_and_notes(sim: SimServer, http: httpx.AsyncClient) -> None:
    # src/sentry/api/helpers/group_index/update.py handle_resolve_in_release
    resp = await http.put(
        ORG + "issues/",
        params=[("id", "101"), ("id", "111")],
        json={"status": "resolvedInNextRelease"},
    )
    assert sim.state.issues[111].project.slug != sim.state.issues[101].project.slug
    assert (resp.status_code, resp.json()) == (
        400,
        detail("Cannot set resolved for multiple projects."),
    )
    # DRF JSONParser
    resp = await http.put(ORG + "issues/101/", content=b"{not json", headers={"content-type":
                          "application/json"})  # fmt: skip
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith("JSON parse error - ")
    resp = await http.put(ORG + "issues/101/", json=[{"status": "resolved"}])
    assert resp.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    # src/sentry/issues/endpoints/group_notes.py + NoteSerializer
    for body, errors in (
        ({}, {"text": ["This field is required."]}),
        ({"text": "   "}, {"text": ["This field may not be blank."]}),
        ({"text": None}, {"text": ["This field may not be null."]}),
        ({"text": {"a": 1}}, {"text": ["Not a valid string."]}),
        ({"text": "x", "mentions": "user:1"},
         {"mentions": ['Expected a list of items but got type "str".']}),
        ({"text": "x", "mentions": ["user:77"]},
         {"mentions": {"0": ["ActorType.USER does not exist"]}}),
    ):  # fmt: skip
        resp = await http.post(ORG + "issues/101/comments/", json=body)
        assert (resp.status_code, resp.json()) == (400, errors)
    first = await http.post("issues/101/notes/", json={"text": "on it"})
    assert first.status_code == 201
    again = await http.post(ORG + "issues/101/comments/", json={"text": "on it"})
    assert (again.status_code, again.json()) == (
        400,
        detail("You have already posted that comment."),
    )


# --- what Sentry accepts ---------------------------------------------------------------------


async def test_issue_list_accepts_ids_and_clamps_limit(
    sim: SimServer, http: httpx.AsyncClient
) -> None:
    ids = await http.get(ORG + "issues/", params={"project": ["1", "2"], "query": ""})
    assert ids.status_code == 200
    assert {i["project"]["slug"] for i in ids.json()} == {"api", "web"}
    every = await http.get(ORG + "issues/", params={"project": "-1", "query": ""})
    assert len(every.json()) == len(sim.state.issues)
    slugs = await http.get(ORG + "issues/", params={"projectSlug": "mobile", "query": ""})
    assert {i["project"]["slug"] for i in slugs.json()} == {"mobile"}
    big = SimServer(n_issues=150, seed=2)
    async with big, httpx.AsyncClient(base_url=big.url + "/api/0/") as client:
        page = await client.get(ORG + "issues/", params={"limit": "500", "query": ""})
        assert page.status_code == 200 and len(page.json()) == 100  # clamped, not refused
        assert page.headers["X-Hits"] == "150"
        nxt = page.headers["Link"].split('rel="next"; results="true"; cursor="')[1].split('"')[0]
        rest = await client.get(ORG + "issues/", params={"cursor": nxt, "query": ""})
        assert len(rest.json()) == 50
        assert not {i["id"] for i in rest.json()} & {i["id"] for i in page.json()}
    for sort in ("date", "new", "freq", "user", "trends", "recommended"):
        resp = await http.get(ORG + "issues/", params={"sort": sort})
        assert resp.status_code == 200, sort
    review = {"sort": "inbox", "query": "is:unresolved is:for_review"}
    inbox = await http.get(ORG + "issues/", params=review)
    assert inbox.status_code == 200 and inbox.json()


async def test_default_query_is_prioritized_unresolved(
    sim: SimServer, http: httpx.AsyncClient
) -> None:
    sim.state.issues[103].priority = "low"
    default = {i["id"] for i in (await http.get(ORG + "issues/")).json()}
    want = {
        str(i.id)
        for i in sim.state.issues.values()
        if i.status == "unresolved" and i.priority in ("high", "medium")
    }
    assert default == want and "103" not in default
    everything = await http.get(ORG + "issues/", params={"query": ""})
    assert len(everything.json()) == len(sim.state.issues)
    low = await http.get(ORG + "issues/", params={"query": "issue.priority:low"})
    assert [i["id"] for i in low.json()] == ["103"]


async def test_stream_fields_follow_the_serializer(sim: SimServer, http: httpx.AsyncClient) -> None:
    plain = (await http.get(ORG + "issues/", params={"query": ""})).json()
    one = next(i for i in plain if i["id"] == "101")
    assert not {"inbox", "owners", "sessionCount", "integrationIssues"} & set(one)
    assert one["priority"] == "high" and one["substatus"] == "new"
    assert one["statusDetails"] == {} and isinstance(one["isUnhandled"], bool)
    assert one["filtered"] is None
    assert one["lifetime"] == {
        "count": one["count"],
        "userCount": one["userCount"],
        "firstSeen": one["firstSeen"],
        "lastSeen": one["lastSeen"],
        "stats": None,
    }
    buckets = one["stats"]["24h"]
    assert len(buckets) == 24
    assert all(isinstance(ts, int) and isinstance(n, int) for ts, n in buckets)
    assert [b - a for (a, _), (b, _) in itertools.pairwise(buckets)] == [3600] * 23
    assert buckets[-1][0] == int(time.time() // 3600) * 3600
    recent = sum(1 for e in sim.state.issues[101].events if e.ts >= buckets[0][0])
    assert sum(n for _, n in buckets) == recent
    days = (await http.get(ORG + "issues/", params={"groupStatsPeriod": "14d"})).json()
    assert len(days[0]["stats"]["14d"]) == 14
    none = (await http.get(ORG + "issues/", params={"groupStatsPeriod": ""})).json()
    assert "stats" not in none[0]
    expanded = await http.get(ORG + "issues/", params={"expand": "inbox", "query": ""})
    by_id = {i["id"]: i for i in expanded.json()}
    assert by_id["101"]["inbox"]["reason"] == 0 and by_id["105"]["inbox"] is None
    tagged = await http.get(ORG + "issues/", params={"query": "is:unresolved level:error"})
    assert tagged.json() and tagged.json()[0]["filtered"]["stats"]["24h"]
    collapsed = await http.get(ORG + "issues/", params={"collapse": ["stats", "lifetime"]})
    assert not {"stats", "lifetime", "filtered"} & set(collapsed.json()[0])
    detail_ = (await http.get(ORG + "issues/101/")).json()
    assert len(detail_["stats"]["24h"]) == 25 and len(detail_["stats"]["30d"]) == 31
    assert detail_["firstRelease"]["version"] == "api@2026.11.3"
    assert "inbox" not in detail_
    assert (await http.get(ORG + "issues/101/", params={"expand": "inbox"})).json()["inbox"]


async def test_bulk_put_accepts_sentrys_workflow(sim: SimServer, http: httpx.AsyncClient) -> None:
    async def put(ids: list[str], body: dict[str, Any]) -> dict[str, Any]:
        resp = await http.put(ORG + "issues/", params=[("id", i) for i in ids], json=body)
        assert resp.status_code == 200, resp.text
        return resp.json()

    issues = sim.state.issues
    assert await put(["101", "102"], {"inbox": False}) == {"inbox": False}
    assert issues[101].inbox is None and issues[102].inbox is None
    listed = await http.get(ORG + "issues/", params={"query": "is:for_review"})
    assert not {"101", "102"} & {i["id"] for i in listed.json()}
    assert await put(["101"], {"inbox": True}) == {"inbox": True}
    assert issues[101].inbox is not None and issues[101].inbox[0] == 3  # manual
    assert await put(["101", "102"], {"priority": "low"}) == {"priority": "low"}
    assert issues[101].priority == "low" and issues[101].priority_locked_at
    assert await put(["103"], {"isBookmarked": True, "hasSeen": "true"}) == {
        "isBookmarked": True,
        "hasSeen": True,
    }
    assert issues[103].bookmarked and issues[103].has_seen
    escalating = await put(
        ["101"],
        {"status": "ignored", "substatus": "archived_until_escalating", "statusDetails": {}},
    )
    assert escalating == {
        "status": "ignored",
        "substatus": "archived_until_escalating",
        "statusDetails": {"ignoreUntilEscalating": True},
        "inbox": None,
    }
    assert (issues[101].status, issues[101].substatus) == ("ignored", "archived_until_escalating")
    cond = await put(
        ["102"],
        {"status": "ignored", "statusDetails": {"ignoreCount": 50, "ignoreWindow": 60}},
    )
    assert issues[102].substatus == "archived_until_condition_met"
    assert cond["statusDetails"]["ignoreCount"] == 50 and cond["statusDetails"]["actor"]
    assert cond["statusDetails"]["ignoreUntil"] is None
    nxt = await put(["103"], {"status": "resolved", "statusDetails": {"inNextRelease": True}})
    assert nxt["statusDetails"]["inNextRelease"] is True and nxt["inbox"] is None
    assert issues[103].status_details == {"inNextRelease": True}
    rel = await put(["104"], {"status": "resolved", "statusDetails": {"inRelease": "latest"}})
    assert rel["statusDetails"]["inRelease"] == "api@2026.11.3"
    assigned = await put(["106"], {"assignedTo": "jane"})
    assert assigned["assignedTo"] == {
        "type": "user",
        "id": "2",
        "name": "Jane Park",
        "email": "jane@scenextras.dev",
    }
    assert await put(["106"], {"assignedTo": ""}) == {"assignedTo": None}
    assert issues[106].assigned is None
    assert (await put(["106"], {"assignedTo": "team:5"}))["assignedTo"]["type"] == "team"
    assert await put(["106"], {"unknownField": 1}) == {}  # DRF drops unknown keys


async def test_read_back_shows_what_sentry_stored(sim: SimServer, http: httpx.AsyncClient) -> None:
    resp = await http.put(
        ORG + "issues/101/",
        json={"status": "ignored", "statusDetails": {"ignoreUserCount": 10}},
    )
    issue = resp.json()
    assert issue["status"] == "ignored" and issue["substatus"] == "archived_until_condition_met"
    assert issue["statusDetails"]["ignoreUserCount"] == 10
    # Re-archiving an archived issue keeps its substatus (update.py excludes issues whose
    # status does not change); unresolve first to change the archive kind.
    again = await http.put(
        ORG + "issues/101/", json={"status": "ignored", "substatus": "archived_forever"}
    )
    assert again.json()["substatus"] == "archived_until_condition_met"
    await http.put(ORG + "issues/101/", json={"status": "unresolved"})
    assert sim.state.issues[101].substatus == "new"  # unarchived within 7 days of first seen
    forever = await http.put(
        ORG + "issues/101/", json={"status": "ignored", "substatus": "archived_forever"}
    )
    assert forever.json()["substatus"] == "archived_forever"
    assert forever.json()["statusDetails"] == {}
    short = await http.put(ORG + "issues/API-1/", json={"status": "unresolved"})
    assert short.status_code == 200 and short.json()["substatus"] == "new"


async def test_bulk_put_targets(sim: SimServer, http: httpx.AsyncClient) -> None:
    # no match at all → 204 (update_groups_with_search_fn), body not even validated
    resp = await http.put(
        ORG + "issues/", params={"query": "is:resolved level:debug"}, json={"status": "x"}
    )
    assert resp.status_code == 204
    # ids that do not exist fall back to the search (default query)
    resp = await http.put(ORG + "issues/", params={"id": "999999"}, json={"hasSeen": True})
    assert resp.status_code == 200
    assert all(
        i.has_seen
        for i in sim.state.issues.values()
        if i.status == "unresolved" and i.priority in ("high", "medium")
    )
    resp = await http.put(
        ORG + "issues/", params={"query": "is:unresolved", "project": "web"}, json={}
    )
    assert resp.status_code == 400


async def test_archive_conditions_and_escalation(sim: SimServer, http: httpx.AsyncClient) -> None:
    state = sim.state
    await http.put(
        ORG + "issues/101/",
        json={"status": "ignored", "substatus": "archived_until_escalating", "statusDetails": {}},
    )
    now = time.time()
    issue = state.issues[101]
    for n in range(issue.escalation_threshold - 1):
        state.add_event(issue, now + n)
        lifecycle.wake(state, issue, now + n)
    assert issue.status == "ignored"
    state.add_event(issue, now + 30)
    lifecycle.wake(state, issue, now + 30)
    assert (issue.status, issue.substatus) == ("unresolved", "escalating")
    assert issue.inbox is not None and issue.inbox[0] == 5
    await http.put(
        ORG + "issues/102/", json={"status": "ignored", "statusDetails": {"ignoreCount": 2}}
    )
    other = state.issues[102]
    state.add_event(other, now)
    lifecycle.wake(state, other, now)
    assert other.status == "ignored"
    state.add_event(other, now + 1)
    lifecycle.wake(state, other, now + 1)
    assert (other.status, other.substatus) == ("unresolved", "escalating")
    # resolved in the next release: events of the current release do not regress it
    await http.put(ORG + "issues/103/", json={"status": "resolvedInNextRelease"})
    third = state.issues[103]
    state.add_event(third, now)
    lifecycle.wake(state, third, now)
    assert third.status == "resolved"
    state.add_release("api", "api@2026.12.0")
    state.add_event(third, now + 5)
    lifecycle.wake(state, third, now + 5)
    assert (third.status, third.substatus) == ("unresolved", "regressed")


async def test_releases_and_saved_views(sim: SimServer, http: httpx.AsyncClient) -> None:
    releases = (await http.get(ORG + "releases/", params={"project": "1"})).json()
    assert [r["version"] for r in releases] == ["api@2026.11.3", "api@2026.11.2", "api@2026.11.1"]
    assert releases[0]["projects"][0]["slug"] == "api"
    found = await http.get(ORG + "releases/", params={"query": "3.8", "per_page": "1"})
    assert [r["version"] for r in found.json()] == ["com.scenextras.app@3.8.1+412"]
    assert 'rel="next"; results="true"' in found.headers["Link"]
    views = (await http.get(ORG + "group-search-views/")).json()
    assert {v["name"] for v in views} == {"Mobile crashes", "Unassigned high priority"}
    mobile = next(v for v in views if v["name"] == "Mobile crashes")
    assert mobile["projects"] == [3] and mobile["query"] == "is:unresolved level:fatal"
    assert mobile["timeFilters"]["period"] == "14d"
    by_name = await http.get(ORG + "group-search-views/", params={"sort": "name"})
    assert [v["name"] for v in by_name.json()] == ["Mobile crashes", "Unassigned high priority"]
    assert (
        await http.get(ORG + "group-search-views/", params={"createdBy": "others"})
    ).json() == []
    for view in views:
        resp = await http.get(
            ORG + "issues/",
            params={"query": view["query"], "sort": view["querySort"], "project": view["projects"]},
        )
        assert resp.status_code == 200, (view["name"], resp.text)
