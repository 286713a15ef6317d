"""The feed's visible order under many small changes: the same as sorting from scratch."""

from __future__ import annotations

import random
from datetime import timedelta

from sxtriage.feed import Feed, SortKey
from sxtriage.models import IssueDelta, Source, Status
from tests.fixtures_ui import NOW, SERVICES, make_issue


def _expected(feed: Feed) -> list[tuple[Source, str]]:
    return sorted(
        (k for k, i in feed.issues.items() if feed._matches(i) or feed.leaving(k)),
        key=lambda k: feed._sort_value(feed.issues[k]),
    )


def test_order_after_random_upserts_removals_and_filters_matches_a_full_sort() -> None:
    rng = random.Random(7)
    feed = Feed(services=SERVICES, clock=lambda: NOW.timestamp(), linger=0)
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=[make_issue(n) for n in range(300)]))
    for step in range(300):
        source = rng.choice([Source.SENTRY, Source.RELAY])
        upserts = []
        for _ in range(rng.randint(0, 12)):
            n = rng.randrange(400)
            upserts.append(
                make_issue(
                    n,
                    source=source,
                    last_seen=NOW - timedelta(seconds=rng.randrange(9000)),
                    count=rng.randint(1, 50),
                    status=rng.choice([Status.UNRESOLVED, Status.RESOLVED]),
                )
            )
        if rng.random() < 0.2:  # the same issue twice in one delta
            upserts += upserts[:1]
        removals = [str(1000 + rng.randrange(400)) for _ in range(rng.randint(0, 3))]
        feed.apply(IssueDelta(source=source, upserts=upserts, removals=removals))
        if step % 50 == 10:
            feed.set_filter(rng.choice(["", "is:unresolved", "level:error"]))
        if step % 70 == 20:
            feed.set_sort(rng.choice(list(SortKey)))
        assert feed.order == _expected(feed)
        for index in rng.sample(range(len(feed.order)), min(5, len(feed.order))):
            assert feed.position(feed.order[index]) == index
    assert feed.position((Source.RELAY, "no such issue")) is None
