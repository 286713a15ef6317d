"""Fuzzed Sentry API answers into the Sentry client, over real HTTP.

A loopback server answers every request with a hypothesis-made body: real simulator
answers with random parts replaced, deleted or retyped, plus arbitrary bytes and
statuses.  Whatever comes back, the client returns domain models or raises a typed
`SentryError` with a one-line message; nothing else escapes.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sxtriage.config import default_services
from sxtriage.models import Event, Issue, Member, Project, Team, Trace
from sxtriage.sentry.client import Page, SentryClient, parse_link_next
from sxtriage.sentry.errors import SentryError
from sxtriage.sim.server import SimServer

ORG = "/api/0/organizations/scenextras/"
DEFAULT_EXAMPLES = 150  # per endpoint: 1,200 in `make test`
SLOW_EXAMPLES = 1_250  # per endpoint: 10,000 more in `make soak`


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"[]"
    content_type: str = "application/json"


@dataclass
class Harness:
    """A background event loop hosting the fuzz server and one client."""

    loop: asyncio.AbstractEventLoop
    client: SentryClient
    answer: Answer = field(default_factory=Answer, repr=False)
    seeds: dict[str, Any] = field(default_factory=dict, repr=False)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)


async def _seed_answers() -> tuple[dict[str, Any], str, str]:
    """Real answers of the simulator for every endpoint the client parses."""
    async with SimServer(n_issues=40, seed=2) as sim, httpx.AsyncClient(base_url=sim.url) as c:
        issues = (await c.get(ORG + "issues/", params={"query": ""})).json()
        issue_id = issues[0]["id"]
        latest = (await c.get(ORG + f"issues/{issue_id}/events/latest/")).json()
        trace_id = (latest.get("contexts") or {}).get("trace", {}).get("trace_id") or "0" * 32
        seeds = {
            "list_issues": issues[:5],
            "get_issue": (await c.get(ORG + f"issues/{issue_id}/")).json(),
            "latest_event": latest,
            "list_events": (await c.get(ORG + f"issues/{issue_id}/events/")).json()[:3],
            "get_trace": (await c.get(ORG + f"trace/{trace_id}/")).json(),
            "list_members": (await c.get(ORG + "members/")).json()[:5],
            "list_teams": (await c.get(ORG + "teams/")).json(),
            "list_projects": (await c.get(ORG + "projects/")).json(),
        }
    return seeds, issue_id, trace_id


CALLS: dict[str, tuple[Callable[[SentryClient, str, str], Coroutine[Any, Any, Any]], type]] = {
    "list_issues": (lambda c, i, t: c.list_issues(), Page),
    "get_issue": (lambda c, i, t: c.get_issue(i), Issue),
    "latest_event": (lambda c, i, t: c.latest_event(i), Event),
    "list_events": (lambda c, i, t: c.list_events(i), Page),
    "get_trace": (lambda c, i, t: c.get_trace(t), Trace),
    "list_members": (lambda c, i, t: c.list_members(), list),
    "list_teams": (lambda c, i, t: c.list_teams(), list),
    "list_projects": (lambda c, i, t: c.list_projects(), list),
}
ITEM_TYPES = {"list_members": Member, "list_teams": Team, "list_projects": Project}


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    holder: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        a: Answer = holder["h"].answer
        return web.Response(status=a.status, body=a.body, content_type=a.content_type)

    async def setup() -> tuple[web.AppRunner, SentryClient, dict[str, Any], str, str]:
        seeds, issue_id, trace_id = await _seed_answers()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        client = SentryClient(
            f"http://127.0.0.1:{port}", "scenextras", "sntrys_fuzz",
            services=default_services(), timeout=5, max_retries=0, max_retry_after=0.0,
            backoff_base=0.0,
        )  # fmt: skip
        return runner, client, seeds, issue_id, trace_id

    runner, client, seeds, issue_id, trace_id = asyncio.run_coroutine_threadsafe(
        setup(), loop
    ).result(60)
    h = Harness(loop, client, seeds=seeds)
    h.seeds["_ids"] = (issue_id, trace_id)
    holder["h"] = h
    try:
        yield h
    finally:
        h.run(client.aclose())
        h.run(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


# --- strategies --------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", "null", "2024-13-45T99:99:99Z", "\x1b[31m", "[red]x[/]", "0" * 500]),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _mutate(doc: Any, data: st.DataObject) -> Any:
    doc = json.loads(json.dumps(doc))
    paths = list(_paths(doc))
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        path = data.draw(st.sampled_from(paths), label="path")
        if not path:
            return data.draw(_json, label="whole")
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            op = data.draw(st.sampled_from(["replace", "delete"]), label="op")
            if op == "delete" and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = data.draw(_json, label="value")
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    return doc


def _body(seed: Any, data: st.DataObject) -> Answer:
    kind = data.draw(st.sampled_from(["mutated"] * 6 + ["bytes", "json", "status"]), label="kind")
    if kind == "mutated":
        return Answer(body=json.dumps(_mutate(seed, data)).encode())
    if kind == "bytes":
        return Answer(body=data.draw(st.binary(max_size=200), label="bytes"))
    if kind == "json":
        return Answer(body=json.dumps(data.draw(_json, label="json")).encode())
    status = data.draw(st.integers(200, 599), label="status")
    body = data.draw(st.one_of(st.binary(max_size=60), _json.map(json.dumps).map(str.encode)))
    ctype = data.draw(st.sampled_from(["application/json", "text/html", "text/plain"]))
    return Answer(status=status, body=body, content_type=ctype)


def check_one(h: Harness, name: str, data: st.DataObject) -> None:
    call, result_type = CALLS[name]
    h.answer = _body(h.seeds[name], data)
    issue_id, trace_id = h.seeds["_ids"]
    try:
        result = h.run(call(h.client, issue_id, trace_id))
    except SentryError as exc:
        message = str(exc)
        assert message and "\n" not in message, repr(message)
        return
    assert isinstance(result, result_type)
    items = result.items if isinstance(result, Page) else result
    if isinstance(items, list) and name in ITEM_TYPES:
        assert all(isinstance(x, ITEM_TYPES[name]) for x in items)
    if isinstance(result, Event | Issue):
        result.model_dump_json()  # the models stay serializable (they go to SQLite)


_FUZZ = settings(
    max_examples=DEFAULT_EXAMPLES,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


ENDPOINTS = list(CALLS)


@pytest.mark.parametrize("name", ENDPOINTS)
@_FUZZ
@given(data=st.data())
def test_fuzzed_answers_give_models_or_typed_errors(
    harness: Harness, name: str, data: st.DataObject
) -> None:
    check_one(harness, name, data)


@pytest.mark.slow
@pytest.mark.parametrize("name", ENDPOINTS)
@settings(_FUZZ, max_examples=SLOW_EXAMPLES)
@given(data=st.data())
def test_fuzzed_answers_soak(harness: Harness, name: str, data: st.DataObject) -> None:
    check_one(harness, name, data)


@settings(max_examples=2_000, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.from_regex(r'<[^>]*>; rel="next"; results="(true|false)"; cursor="[^"]*"'),
    )
)
def test_fuzzed_link_headers(header: str) -> None:
    cursor = parse_link_next(header)
    assert cursor is None or (isinstance(cursor, str) and cursor)
