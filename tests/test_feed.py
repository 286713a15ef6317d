"""The feed index: merge, filter, sort, age-out, optimistic local upserts, stats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sxtriage.feed import Feed, FeedChange, SortKey
from sxtriage.models import Event, IssueDelta, Level, Source, Status
from sxtriage.search import SearchError
from tests.fixtures_ui import NOW, SERVICES, make_issue, make_issues


class Clock:
    def __init__(self) -> None:
        self.t = NOW.timestamp()

    def __call__(self) -> float:
        return self.t


def _feed(**kw: object) -> tuple[Feed, Clock, list[FeedChange]]:
    clock = Clock()
    feed = Feed(services=SERVICES, clock=clock, **kw)  # type: ignore[arg-type]
    seen: list[FeedChange] = []
    feed.subscribe(seen.append)
    return feed, clock, seen


def test_upserts_are_keyed_by_source_and_id_and_sorted_by_last_seen() -> None:
    feed, _, seen = _feed()
    issues = make_issues(20)
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=issues))
    relay_twin = make_issue(0, source=Source.RELAY)
    feed.apply(IssueDelta(source=Source.RELAY, upserts=[relay_twin]))
    assert feed.total == 21 and len(feed) == 21
    assert (Source.RELAY, "1000") in feed.issues and (Source.SENTRY, "1000") in feed.issues
    last = [feed.issues[k].last_seen for k in feed.order]
    assert last == sorted(last, reverse=True)
    assert len(seen[0].new) == 20 and seen[1].new == [(Source.RELAY, "1000")]
    assert feed.position(feed.order[5]) == 5


def test_removal_and_filter_and_scope() -> None:
    feed, _, _ = _feed()
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=make_issues(40)))
    feed.apply(IssueDelta(source=Source.SENTRY, removals=["1000", "nope"]))
    assert (Source.SENTRY, "1000") not in feed.issues
    change = feed.set_filter("level:fatal")
    assert change.removed and all(feed.issues[k].level is Level.FATAL for k in feed.order)
    feed.set_scope("api")
    assert all(feed.issues[k].service == "api" for k in feed.order)
    with pytest.raises(SearchError):
        feed.set_filter('"oops')
    assert feed.query.text == "level:fatal"  # the old filter stays
    feed.set_filter("")
    feed.set_scope(None)
    assert len(feed) == 39


def test_rows_that_stop_matching_age_out_after_linger() -> None:
    feed, clock, _ = _feed(linger=5.0)
    feed.set_filter("is:unresolved")
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=make_issues(5)))
    resolved = make_issue(2, status=Status.RESOLVED)
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=[resolved]))
    assert resolved.key in feed.order and feed.leaving(resolved.key)
    assert feed.tick().empty
    clock.t += 6
    change = feed.tick()
    assert change.removed == [resolved.key] and resolved.key not in feed.order


def test_local_upsert_survives_older_poll_while_pending() -> None:
    feed, clock, _ = _feed()
    issue = make_issue(1)
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=[issue]))
    pending = {issue.key}
    feed.is_pending = lambda k: k in pending
    feed.apply_local([issue.model_copy(update={"status": Status.RESOLVED})])
    stale = issue.model_copy(update={"count": issue.count + 5})
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=[stale]))
    got = feed.get(issue.key)
    assert got is not None and got.status is Status.RESOLVED and got.count == issue.count + 5
    pending.clear()
    clock.t += 60
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=[stale]))
    got = feed.get(issue.key)
    assert got is not None and got.status is Status.UNRESOLVED


def test_local_upsert_dropped_once_source_confirms() -> None:
    feed, _, _ = _feed()
    issue = make_issue(1)
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=[issue]))
    feed.apply_local([issue.model_copy(update={"assignee": "me@x"})])
    feed.apply(
        IssueDelta(source=Source.SENTRY, upserts=[issue.model_copy(update={"assignee": "me@x"})])
    )
    feed.apply(
        IssueDelta(source=Source.SENTRY, upserts=[issue.model_copy(update={"assignee": "other@x"})])
    )
    got = feed.get(issue.key)
    assert got is not None and got.assignee == "other@x"


def test_sort_orders_and_relay_link_hides_duplicate() -> None:
    feed, _, _ = _feed()
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=make_issues(30)))
    feed.set_sort(SortKey.EVENTS)
    counts = [feed.issues[k].count for k in feed.order]
    assert counts == sorted(counts, reverse=True)
    feed.set_sort(SortKey.USERS)
    users = [feed.issues[k].user_count for k in feed.order]
    assert users == sorted(users, reverse=True)
    linked = make_issue(99, source=Source.RELAY, sentry_issue_id="1003")
    feed.apply(IssueDelta(source=Source.RELAY, upserts=[linked]))
    assert linked.key not in feed.order
    sentry_issue = feed.get((Source.SENTRY, "1003"))
    assert sentry_issue is not None and feed.linked_relay(sentry_issue) == linked.key


def test_service_stats_open_worst_and_rate() -> None:
    feed, clock, _ = _feed()
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=make_issues(12)))
    api = feed.stats("api")
    assert api.open == 3 and api.worst is Level.FATAL
    before = feed.rate("web")[-1]
    for _ in range(4):
        feed.observe_event(Event(event_id="e", service="web"))
    assert feed.rate("web")[-1] == before + 4
    clock.t += 120
    rate = feed.rate("web")
    assert rate[-1] == 0 and rate[-3] == before + 4


def test_hundred_issue_delta_on_ten_thousand_is_fast() -> None:
    import time

    feed, _, _ = _feed()
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=make_issues(10_000)))
    delta = [
        i.model_copy(update={"last_seen": NOW + timedelta(seconds=1), "count": i.count + 1})
        for i in make_issues(100, start=5000)
    ]
    t0 = time.perf_counter()
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=delta))
    assert time.perf_counter() - t0 < 0.1  # budget 20 ms; generous for CI noise
    assert feed.order[0] in {i.key for i in delta}
