"""The simulator itself: dataset, search syntax, live events, health, CLI."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from sxtriage.sim import lifecycle
from sxtriage.sim.dataset import SimState
from sxtriage.sim.search import SearchError, compile_query
from sxtriage.sim.server import SimServer, run_cli


def test_ten_thousand_issues_generate_fast() -> None:
    started = time.perf_counter()
    server = SimServer(n_issues=10_000)
    assert time.perf_counter() - started < 2.0
    assert len(server.state.issues) == 10_000
    assert {i.project.slug for i in server.state.issues.values()} == {
        "api",
        "web",
        "mobile",
        "search",
    }
    assert len({i.short_id for i in server.state.issues.values()}) == 10_000


def test_realistic_dataset_covers_the_services() -> None:
    state = SimState(seed=0)
    state.seed(None)
    titles = " ".join(i.title for i in state.issues.values())
    needles = ("TMDB", "chat generation", "card was declined", "Signature has expired")
    needles += ("index out of range", "undefined is not an object", "RateLimitError")
    for needle in needles:
        assert needle in titles
    cross = [
        t
        for t, evs in state.traces.items()
        if len({state.issues[e.issue_id].project.slug for e in evs}) > 1
    ]
    assert cross, "some traces span several services"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("is:unresolved", lambda i: i.status == "unresolved"),
        ("is:resolved", lambda i: i.status == "resolved"),
        ("level:fatal", lambda i: i.level == "fatal"),
        ("level:[warning,fatal]", lambda i: i.level in ("warning", "fatal")),
        ("!level:error", lambda i: i.level != "error"),
        ("assigned:me", lambda i: i.assigned == "user:1"),
        ("assigned:#payments", lambda i: i.assigned == "team:5"),
        ("assigned:jane@scenextras.dev", lambda i: i.assigned == "user:2"),
        ("is:unassigned", lambda i: i.assigned is None),
        ("release:web@4.12.0", lambda i: i.project.slug == "web"),
        ("environment:production", lambda i: True),
        ("environment:staging", lambda i: False),
        ('"chat generation"', lambda i: "chat generation" in i.title),
        ("TypeError", lambda i: "typeerror" in i.title.lower()),
        (
            "is:unresolved level:error project:api",
            lambda i: i.status == "unresolved" and i.level == "error" and i.project.slug == "api",
        ),
        ("payment_provider:stripe", lambda i: i.template.tags.get("payment_provider") == "stripe"),
        ("timesSeen:>3", lambda i: i.count > 3),
        ("lastSeen:>-1h", lambda i: i.last_seen > time.time() - 3600),
    ],
)
def test_search_syntax(query: str, expected) -> None:  # type: ignore[no-untyped-def]
    state = SimState(seed=0)
    state.seed(None)
    state.issues[106].assigned = "user:2"
    pred = compile_query(state, query)
    got = {i.id for i in state.issues.values() if pred(i)}
    want = {i.id for i in state.issues.values() if expected(i)}
    assert got == want
    if not query.startswith(("environment:staging", "lastSeen")):
        assert got, "the dataset has issues for every query but these two"


def test_search_errors_name_the_problem() -> None:
    state = SimState()
    with pytest.raises(SearchError, match='Invalid value for "is" search, valid values are'):
        compile_query(state, "is:sleeping")
    with pytest.raises(SearchError, match="invalid date"):
        compile_query(state, "lastSeen:>yesterday")


async def test_bad_query_is_a_400(sim: SimServer) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        resp = await http.get("/api/0/organizations/scenextras/issues/", params={"query": "is:zzz"})
        assert resp.status_code == 400
        detail = resp.json()["detail"]
        assert detail.startswith('Error parsing search query: Invalid value for "is" search')
        resp = await http.put(
            "/api/0/organizations/scenextras/issues/101/", json={"assignedTo": "nobody@x"}
        )
        assert resp.status_code == 400
        assert resp.json() == {
            "assignedTo": [
                "Could not parse actor. Format should be `type:id` where type is `team` or `user`."
            ]
        }


async def test_live_mode_keeps_producing_events() -> None:
    server = SimServer(live=True, live_interval=0.02, seed=9)
    before = sum(i.count for i in server.state.issues.values())
    await server.start()
    try:
        deadline = time.monotonic() + 30
        while sum(i.count for i in server.state.issues.values()) == before:
            assert time.monotonic() < deadline, "no event in 30 s"
            await asyncio.sleep(0.02)
    finally:
        await server.stop()
    assert sum(i.count for i in server.state.issues.values()) > before


def test_tick_regresses_resolved_and_wakes_expired_ignores() -> None:
    state = SimState(seed=0)
    state.seed(None)
    issue = state.issues[101]
    issue.status, issue.substatus = "resolved", None
    state.add_event(issue, time.time())
    lifecycle.wake(state, issue, time.time())
    assert (issue.status, issue.substatus) == ("unresolved", "regressed")
    issue.status, issue.ignore_until = "ignored", time.time() - 1
    lifecycle.wake(state, issue, time.time())
    assert (issue.status, issue.substatus) == ("unresolved", "escalating")


async def test_health_auth_and_github_mount(sim: SimServer) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        health = (await http.get("/health")).json()
        assert health["ok"] and health["org"] == "scenextras"
    async with (
        SimServer(token="sntrys_only") as locked,
        httpx.AsyncClient(base_url=locked.url) as http,
    ):
        assert (await http.get("/health")).status_code == 200
        denied = await http.get("/api/0/organizations/scenextras/issues/")
        assert denied.status_code == 401 and denied.json()["detail"] == "Invalid token"
        ok = await http.get(
            "/api/0/organizations/scenextras/issues/",
            headers={"Authorization": "Bearer sntrys_only"},
        )
        assert ok.status_code == 200
    assert sim.github_url == sim.url + "/github"


def test_run_cli_rejects_bad_fault(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(host="127.0.0.1", port=0, token=None, n_issues=5, faults=["boom"]) == 2
    assert "bad fault 'boom'" in capsys.readouterr().err
