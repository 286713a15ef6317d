"""Every simulator answer the client uses validates against Sentry's OpenAPI schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from sxtriage.sim.server import SimServer

SCHEMAS = json.loads(
    (Path(__file__).parent / "data" / "sentry-openapi" / "responses-200.json").read_text()
)["responses"]
ORG = "/api/0/organizations/{organization_id_or_slug}/"
PROJ = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/"


def check(key: str, body: Any) -> None:
    validator = OAS30Validator(SCHEMAS[key])
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    msg = "\n".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5])
    assert not errors, f"{key}: {len(errors)} schema errors\n{msg}"


@pytest.fixture
async def http(sim: SimServer):
    async with httpx.AsyncClient(
        base_url=sim.url + "/api/0/", headers={"Authorization": "Bearer t"}
    ) as client:
        yield client


async def get(http: httpx.AsyncClient, path: str, **params: Any) -> Any:
    resp = await http.get(path, params=params)
    assert resp.status_code == 200, (path, resp.status_code, resp.text[:200])
    return resp.json()


async def test_issue_endpoints_match_schema(sim: SimServer, http: httpx.AsyncClient) -> None:
    issues = await get(http, "organizations/scenextras/issues/", query="")
    assert len(issues) == len(sim.state.issues)
    check(f"GET {ORG}issues/", issues)
    statuses = {i["status"] for i in issues}
    assert {"resolved", "ignored", "unresolved"} <= statuses
    assert any(i["assignedTo"] for i in issues)
    for issue in issues[:6]:
        iid = issue["id"]
        check(
            f"GET {ORG}issues/{{issue_id}}/",
            await get(http, f"organizations/scenextras/issues/{iid}/"),
        )
        events = await get(http, f"organizations/scenextras/issues/{iid}/events/")
        check(f"GET {ORG}issues/{{issue_id}}/events/", events)
        for which in ("latest", "oldest", "recommended", events[0]["eventID"]):
            ev = await get(http, f"organizations/scenextras/issues/{iid}/events/{which}/")
            check(f"GET {ORG}issues/{{issue_id}}/events/{{event_id}}/", ev)
        lookup = await get(http, f"organizations/scenextras/eventids/{events[0]['eventID']}/")
        check(f"GET {ORG}eventids/{{event_id}}/", lookup)
        short = await get(http, f"organizations/scenextras/shortids/{issue['shortId']}/")
        check(f"GET {ORG}shortids/{{issue_id}}/", short)
        trace = await get(
            http, f"organizations/scenextras/trace/{ev['contexts']['trace']['trace_id']}/"
        )
        assert trace, "every event's trace has at least its own transaction"
        check(f"GET {ORG}trace/{{trace_id}}/", trace)
    project_issues = await get(http, "projects/scenextras/api/issues/", query="")
    assert project_issues and all(i["project"]["slug"] == "api" for i in project_issues)
    check(f"GET {PROJ}issues/", project_issues)


async def test_mutations_match_schema(sim: SimServer, http: httpx.AsyncClient) -> None:
    put = await http.put(
        "organizations/scenextras/issues/101/",
        json={"status": "ignored", "statusDetails": {"ignoreDuration": 30}},
    )
    assert put.status_code == 200
    check(f"PUT {ORG}issues/{{issue_id}}/", put.json())
    bulk = await http.put(
        "organizations/scenextras/issues/",
        params=[("id", "102"), ("id", "103")],
        json={
            "status": "resolved",
            "statusDetails": {"inNextRelease": True},
            "assignedTo": "user:2",
        },
    )
    assert bulk.status_code == 200
    check(f"PUT {ORG}issues/", bulk.json())
    legacy = await http.put(
        "projects/scenextras/api/issues/",
        params={"id": "104"},
        json={"status": "muted", "snoozeDuration": None},
    )
    assert legacy.status_code == 200
    check(f"PUT {PROJ}issues/", legacy.json())
    assert sim.state.issues[104].status == "ignored"


async def test_org_endpoints_match_schema(http: httpx.AsyncClient) -> None:
    members = await get(http, "organizations/scenextras/members/")
    assert any(m["email"] == "oncall@scenextras.dev" for m in members)
    check(f"GET {ORG}members/", members)
    teams = await get(http, "organizations/scenextras/teams/")
    assert {t["slug"] for t in teams} == {"backend", "frontend", "mobile", "search", "payments"}
    check(f"GET {ORG}teams/", teams)
    projects = await get(http, "organizations/scenextras/projects/")
    assert [(p["id"], p["slug"], p["platform"]) for p in projects] == [
        ("1", "api", "python"),
        ("2", "web", "javascript-react"),
        ("3", "mobile", "react-native"),
        ("4", "search", "go"),
    ]
    check(f"GET {ORG}projects/", projects)


async def test_ten_thousand_issue_pages_match_schema() -> None:
    server = SimServer(n_issues=300, seed=3)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            resp = await client.get(
                "/api/0/organizations/scenextras/issues/", params={"limit": 100}
            )
            check(f"GET {ORG}issues/", resp.json())
    finally:
        await server.stop()
