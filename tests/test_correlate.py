"""Cross-service correlation from real SDK payloads sharing one trace, suspect releases,
the release filters, and hostile input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sxtriage.insights.correlate import Correlator
from sxtriage.insights.traces import normalize_trace_id, printable
from sxtriage.models import Event, IssueDelta, Source, Span, Trace
from sxtriage.search import compile_query
from tests.fixtures_alerts import (
    SHARED_TRACE,
    Recorded,
    load_recorded,
    make_event,
    make_issue,
    make_transaction,
)

T0 = 1_800_000_000.0


def feed(corr: Correlator, events: list[Recorded], t: float = T0) -> None:
    for i, rec in enumerate(events):
        corr.observe_event(rec.event, rec.issue_key, received=t + i)


def by_service(events: list[Recorded]) -> dict[str, Recorded]:
    return {r.event.service: r for r in events if r.issue_key is not None}


def test_web_checkout_error_relates_to_api_and_search(shared_trace_events: list[Recorded]) -> None:
    corr = Correlator()
    feed(corr, shared_trace_events)
    errors = by_service(shared_trace_events)
    web, api, search = errors["web"], errors["api"], errors["search"]
    assert {r.event.trace_id for r in shared_trace_events} == {SHARED_TRACE}

    related = corr.related(web.issue_key)
    assert {r.service for r in related} == {"api", "search"}
    assert all(r.shared_traces == 1 for r in related)
    row = {r.service: r for r in related}
    assert row["api"].key == api.issue_key
    assert row["api"].title.startswith("RuntimeError: Payment declined")
    # The search transaction's shard span timed out before the search error was raised.
    assert row["search"].first_failing_span == "search.shard (deadline_exceeded)"
    assert row["api"].first_failing_span is not None  # the api error's own span
    assert [r.service for r in corr.related(search.issue_key)] == ["api", "web"]

    for key in (web.issue_key, api.issue_key, search.issue_key):
        assert corr.is_multi_service(key)
    group = corr.group_of(web.issue_key)
    assert group[0] == web.issue_key and set(group) == {
        web.issue_key,
        api.issue_key,
        search.issue_key,
    }


def test_unrelated_recorded_traces_stay_apart() -> None:
    corr = Correlator()
    events = load_recorded("browser-sentry-browser") + load_recorded("python-sentry-sdk")
    feed(corr, events)
    for rec in events:
        if rec.issue_key:
            assert corr.related(rec.issue_key) == []
            assert not corr.is_multi_service(rec.issue_key)
            assert corr.group_of(rec.issue_key) == [rec.issue_key]


def test_same_service_issues_are_not_related() -> None:
    corr = Correlator()
    a, b = (Source.RELAY, "a"), (Source.RELAY, "b")
    corr.observe_event(make_event("web", trace_id="1" * 32), a, received=T0)
    corr.observe_event(make_event("web", trace_id="1" * 32), b, received=T0)
    assert corr.related(a) == [] and not corr.is_multi_service(a)


def test_shared_trace_counts_and_order() -> None:
    corr = Correlator()
    web, api, search = (Source.RELAY, "w"), (Source.RELAY, "a"), (Source.SENTRY, "s")
    for i in range(5):
        tid = f"{i:032x}".replace("0", "c")
        corr.observe_event(make_event("web", trace_id=tid), web, received=T0 + i)
        corr.observe_event(make_event("api", trace_id=tid), api, received=T0 + i)
        if i < 2:
            corr.observe_event(make_event("search", trace_id=tid), search, received=T0 + i)
    assert [(r.key, r.shared_traces) for r in corr.related(web)] == [(api, 5), (search, 2)]
    assert [r.key for r in corr.related(web, limit=1)] == [api]


@pytest.mark.parametrize(
    "trace_id",
    [None, "", "not-a-trace", "0" * 32, "g" * 32, "1234", 12345, "[red]x[/red]" * 4, "\x1b[31m"],
)
def test_malformed_or_missing_trace_ids_are_ignored(trace_id: object) -> None:
    corr = Correlator()
    ev = make_event("web", contexts={"trace": {"trace_id": trace_id}})
    corr.observe_event(ev, (Source.RELAY, "x"), received=T0)
    corr.observe_event(make_event("api", contexts={"trace": "garbage"}), (Source.RELAY, "y"))
    corr.observe_event(make_event("api", contexts={}), None)
    assert corr.traces_of((Source.RELAY, "x")) == 0
    assert corr.related((Source.RELAY, "x")) == []
    assert corr.related((Source.RELAY, "never-seen")) == []


def test_trace_id_normalization() -> None:
    assert normalize_trace_id("7C1A53B8-4288-47AA-962E-3D5D5CADA041") == (
        "7c1a53b8428847aa962e3d5d5cada041"
    )
    corr = Correlator()
    corr.observe_event(make_event("web", trace_id="AB" * 16), (Source.RELAY, "w"))
    corr.observe_event(
        make_event("api", contexts={"trace": {"trace_id": "ab" * 16}}), (Source.RELAY, "a")
    )
    assert [r.key for r in corr.related((Source.RELAY, "w"))] == [(Source.RELAY, "a")]


def test_sentry_trace_links_issues_without_local_events() -> None:
    corr = Correlator()
    start = datetime.fromtimestamp(T0, UTC)
    end = datetime.fromtimestamp(T0 + 2, UTC)
    trace = Trace(
        trace_id=SHARED_TRACE,
        spans=[
            Span(
                span_id="1" * 16,
                trace_id=SHARED_TRACE,
                start=start,
                end=end,
                service="web",
                issue_ids=["101"],
                op="navigation",
                status="ok",
            ),
            Span(
                span_id="2" * 16,
                trace_id=SHARED_TRACE,
                start=start,
                end=end,
                service="api",
                issue_ids=["202"],
                op="http.server",
                description="POST /checkout",
                status="internal_error",
            ),
        ],
    )
    corr.observe_trace(trace)
    corr.observe_issue(make_issue((Source.SENTRY, "202"), "api", first_seen=T0, title="502"))
    (row,) = corr.related((Source.SENTRY, "101"))
    assert (row.service, row.short_id, row.title) == ("api", "API-202", "502")
    assert row.first_failing_span == "http.server POST /checkout (internal_error)"


def test_failed_transaction_marks_its_earliest_failing_span() -> None:
    corr = Correlator()
    corr.observe_event(make_event("web", trace_id=SHARED_TRACE), (Source.RELAY, "w"))
    tx = make_transaction("search", 900, status="internal_error", trace_id=SHARED_TRACE)
    corr.observe_event(tx, None)
    corr.observe_event(make_event("search", trace_id=SHARED_TRACE), (Source.RELAY, "s"))
    (row,) = corr.related((Source.RELAY, "w"))
    assert row.first_failing_span == "http.server (internal_error)"


def test_index_is_bounded_and_stays_consistent() -> None:
    corr = Correlator(max_traces=10, max_traces_per_issue=4)
    web, api = (Source.RELAY, "w"), (Source.RELAY, "a")
    corr.observe_event(make_event("web", trace_id="e" * 32), web, received=T0)
    corr.observe_event(make_event("api", trace_id="e" * 32), api, received=T0)
    assert corr.is_multi_service(web)
    for i in range(30):  # the shared trace is evicted by newer ones
        corr.observe_event(make_event("mobile", trace_id=f"{i + 1:032x}"), (Source.RELAY, f"m{i}"))
    assert not corr.is_multi_service(web) and not corr.is_multi_service(api)
    assert corr.related(web) == []
    many = (Source.RELAY, "many")
    for i in range(8):
        corr.observe_event(make_event("web", trace_id=f"{i + 100:032x}"), many)
    assert corr.traces_of(many) == 4


# --- releases -----------------------------------------------------------------------------


def releases_scenario() -> Correlator:
    corr = Correlator(release_window=1800)
    corr.observe_event(make_event("web", release="web@2.2.0"), None, received=T0)
    corr.observe_event(make_event("web", release="web@2.3.0"), None, received=T0 + 3600)
    corr.observe_event(make_event("api", release="api@1.4.2"), None, received=T0 + 10)
    return corr


def test_suspect_release_marks_new_issues_after_a_deploy() -> None:
    corr = releases_scenario()
    assert corr.releases.latest("web") == "web@2.3.0"
    latest = corr.releases.latest_info("web")
    assert latest is not None
    assert corr.releases.releases("web")[0].baseline  # running before we watched
    after = make_issue((Source.RELAY, "n1"), "web", first_seen=T0 + 3700)
    before = make_issue((Source.RELAY, "n2"), "web", first_seen=T0 + 3000)
    much_later = make_issue((Source.RELAY, "n3"), "web", first_seen=T0 + 3600 + 4000)
    baseline_era = make_issue((Source.RELAY, "n4"), "api", first_seen=T0 + 60)
    assert corr.suspect_release(after) == "web@2.3.0"
    assert corr.suspect_release(before) is None
    assert corr.suspect_release(much_later) is None
    assert corr.suspect_release(baseline_era) is None
    corr.observe_delta(IssueDelta(source=Source.RELAY, upserts=[after, before, much_later]))
    corr.observe_delta(IssueDelta(source=Source.RELAY, upserts=[after]))  # counted once
    assert latest.new_issues == 1


def test_first_release_from_sentry_wins() -> None:
    corr = releases_scenario()
    issue = make_issue((Source.SENTRY, "9"), "web", first_seen=T0 + 3650, first_release="web@2.2.0")
    assert corr.suspect_release(issue) is None  # it began on the old release
    early = make_issue((Source.SENTRY, "8"), "web", first_seen=T0 + 3580, first_release="web@2.3.0")
    assert corr.suspect_release(early) is None  # before we saw web@2.3.0 ourselves …
    corr.releases.add_release("web", "web@2.3.0", T0 + 3570)  # … but Sentry created it then
    assert corr.suspect_release(early) == "web@2.3.0"
    # Sentry's date for a release we only knew as "already running" makes it judgeable.
    corr.releases.add_release("api", "api@1.4.2", T0 - 86400)
    api_info = corr.releases.get("api", "api@1.4.2")
    assert api_info is not None and not api_info.baseline and api_info.first_seen == T0 - 86400


def test_release_first_seen_uses_receive_time_not_sdk_clock() -> None:
    corr = Correlator()
    corr.observe_event(make_event("web", release="web@1", timestamp=T0), None, received=T0)
    skewed = make_event("web", release="web@2", timestamp=T0 - 86400 * 30)  # SDK clock way off
    corr.observe_event(skewed, None, received=T0 + 100)
    info = corr.releases.get("web", "web@2")
    assert info is not None and info.first_seen == T0 + 100
    issue = make_issue((Source.RELAY, "i"), "web", first_seen=T0 + 120)
    assert corr.suspect_release(issue) == "web@2"


def test_release_strings_with_markup_are_kept_and_shown_literally() -> None:
    corr = Correlator()
    hostile = "[bold red]web[/]@\x1b[31m2.3.0\n"
    corr.observe_event(make_event("web", release="web@1"), None, received=T0)
    corr.observe_event(make_event("web", release=hostile), None, received=T0 + 10)
    assert corr.releases.latest("web") == hostile
    latest = corr.releases.latest_info("web")
    assert latest is not None
    assert printable(latest.version) == "[bold red]web[/]@\\x1b[31m2.3.0\\n"
    issue = make_issue((Source.RELAY, "i"), "web", first_seen=T0 + 20)
    assert corr.suspect_release(issue) == hostile
    corr.observe_event(make_event("web", release=""), None)
    corr.observe_event(Event.model_construct(**{**make_event("web").__dict__, "release": 42}), None)


def test_release_filters_latest_and_first_release() -> None:
    corr = releases_scenario()
    new = make_issue((Source.RELAY, "n"), "web", first_seen=T0 + 3700, release="web@2.3.0")
    old = make_issue((Source.RELAY, "o"), "web", first_seen=T0 + 100, release="web@2.2.0")
    api = make_issue((Source.RELAY, "a"), "api", first_seen=T0 + 100, release="api@1.4.2")
    issues = [new, old, api]
    latest = corr.release_matcher("release", "latest")
    assert [i.id for i in issues if latest(i)] == ["n", "a"]
    first = corr.release_matcher("firstRelease", "web@2.3.0")
    assert [i.id for i in issues if first(i)] == ["n"]
    first_latest = corr.release_matcher("firstRelease", "latest")
    assert [i.id for i in issues if first_latest(i)] == ["n"]
    with pytest.raises(ValueError, match="not a release filter"):
        corr.release_matcher("tag", "x")
    # The feed's search syntax resolves `latest` through the correlator.
    query = compile_query("release:latest", resolver=corr.resolve_release)
    assert [i.id for i in issues if query.matches(i)] == ["n", "a"]
    assert corr.resolve_release("latest", "mobile") is None
