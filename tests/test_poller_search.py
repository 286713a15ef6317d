"""Server-side search: the filter's Sentry part goes to the API as `query=` (the whole org)."""

from __future__ import annotations

from urllib.parse import unquote_plus

from sxtriage.config import Settings
from sxtriage.models import IssueDelta, Status
from sxtriage.sentry.client import IssueUpdate
from sxtriage.sentry.dialect import Dialect, wire_for
from sxtriage.sentry.poller import SentryPoller
from sxtriage.sim.server import SimServer
from tests.fixtures_sim import make_client


async def test_a_filter_brings_matches_that_were_never_loaded() -> None:
    async with SimServer(n_issues=120, seed=3) as server:
        deltas: list[IssueDelta] = []
        async with make_client(server) as client:
            some = [str(i) for i in sorted(server.state.issues)[:5]]
            await client.bulk_update(some, IssueUpdate(status="resolved"))
            poller = SentryPoller(client, Settings(), deltas.append)
            await poller.poll_now()  # cold load: unresolved issues only
            loaded = {i.id for d in deltas for i in d.upserts}
            resolved = {str(i.id) for i in server.state.issues.values() if i.status == "resolved"}
            assert set(some) <= resolved and not (resolved & loaded)
            deltas.clear()
            poller.set_query("is:resolved")
            await poller.poll_now()
            got = {i.id: i for d in deltas for i in d.upserts}
            assert set(got) and set(got) <= resolved
            assert all(i.status is Status.RESOLVED for i in got.values())
            searched = [r for r in server.requests if "is:resolved" in unquote_plus(r.query)]
            assert searched and "project=1" in searched[0].query
            # the same filter again: no new search
            count = len(server.requests)
            poller.set_query("is:resolved")
            await poller.poll_now()
            assert not any("is:resolved" in unquote_plus(r.query) for r in server.requests[count:])


async def test_a_refused_query_names_sentrys_reason_and_the_source_stays_up() -> None:
    async with SimServer(n_issues=20, seed=3) as server, make_client(server) as client:
        poller = SentryPoller(client, Settings(), lambda d: None)
        await poller.poll_now()
        poller.set_query("is:nonsense")
        await poller.poll_now()
        assert poller.search_error and "is" in poller.search_error
        assert poller.health.ok and "search refused" in poller.health.detail


def test_glitchtip_gets_only_the_terms_it_reads() -> None:
    gt = wire_for(Dialect.GLITCHTIP)
    assert (
        gt.server_query('is:unresolved level:error assigned:me !browser:x is:archived "db timeout"')
        == "is:unresolved level:error db timeout"
    )
    assert gt.server_query('unbalanced "quote') == ""
    sentry = wire_for(Dialect.SENTRY_SAAS)
    assert sentry.server_query("is:archived assigned:me") == "is:archived assigned:me"
