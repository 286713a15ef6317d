"""Our SentryPoller on a real GlitchTip.  GlitchTip reads `lastSeen:>T` as a tag filter
(apps/issue_events/api/issues.py), so an incremental poll that sends it gets `[]` forever
and new issues would wait for the 300 s reconcile; the poller must find them within one
poll interval, and see new events of known issues and status changes too."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest

from sxtriage.config import Settings
from sxtriage.models import IssueDelta, Status
from sxtriage.sentry.poller import SentryPoller
from tests.compat.conftest import CompatServer, compat_services

pytestmark = pytest.mark.compat


def make_poller(gt_client, tmp_path: Path, deltas: list[IssueDelta], **kw) -> SentryPoller:
    settings = Settings(data_dir=tmp_path, poll_interval=1.0, services=compat_services())
    return SentryPoller(gt_client, settings, on_delta=deltas.append, **kw)


def upserted(deltas: list[IssueDelta]) -> dict[str, object]:
    return {i.id: i for d in deltas for i in d.upserts}


async def test_incremental_poll_finds_new_issue_and_new_events(
    glitchtip: CompatServer, gt_client, tmp_path: Path
) -> None:
    old, sent = await glitchtip.send_and_wait("api")
    deltas: list[IssueDelta] = []
    poller = make_poller(gt_client, tmp_path, deltas, reconcile_every=300.0)
    await poller.poll_now()  # cold load
    assert old["id"] in upserted(deltas)
    deltas.clear()
    assert await poller.poll_now() == 0  # idle: nothing changed, nothing emitted
    assert deltas == []

    new, _ = await glitchtip.send_and_wait("web")
    await poller.poll_now()  # one incremental poll, far from the reconcile
    got = upserted(deltas)
    assert new["id"] in got, "a new issue arrives with the next incremental poll"
    assert got[new["id"]].service == "web"

    deltas.clear()
    await glitchtip.send("api", sent[0].marker)
    await glitchtip.wait_until(
        lambda: _count_is(glitchtip, old["id"], int(old["count"]) + 1), "the second event"
    )
    await poller.poll_now()
    got = upserted(deltas)
    assert old["id"] in got and got[old["id"]].count == int(old["count"]) + 1
    assert poller.errors == 0 and poller.health.ok


async def _count_is(glitchtip: CompatServer, issue_id: str, count: int) -> bool:
    return int((await glitchtip.issue(issue_id))["count"]) >= count


async def test_running_poller_shows_a_new_issue_within_one_interval(
    glitchtip: CompatServer, gt_client, tmp_path: Path
) -> None:
    deltas: list[IssueDelta] = []
    poller = make_poller(gt_client, tmp_path, deltas, min_interval=1.0, max_interval=2.0)
    task = asyncio.create_task(poller.run())
    try:
        await glitchtip.wait_until(lambda: poller.polls >= 2, "the cold load and one poll")
        issue, _ = await glitchtip.send_and_wait("api")
        visible = time.monotonic()
        await glitchtip.wait_until(
            lambda: issue["id"] in upserted(deltas), "the poller's delta", within=2 * 2.0 + 1.0
        )
        lag = time.monotonic() - visible
        assert lag <= 2 * poller.max_interval + 1.0, f"took {lag:.1f} s"
        assert poller.errors == 0 and poller.health.ok
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_status_changed_in_glitchtip_reaches_the_feed(
    glitchtip: CompatServer, gt_client, tmp_path: Path
) -> None:
    raw, _ = await glitchtip.send_and_wait("web")
    deltas: list[IssueDelta] = []
    clock = [1000.0]
    poller = make_poller(gt_client, tmp_path, deltas, reconcile_every=300.0, clock=lambda: clock[0])
    await poller.poll_now()
    assert raw["id"] in upserted(deltas)
    await glitchtip.api("PUT", f"/issues/{raw['id']}/", json={"status": "resolved"})
    deltas.clear()
    clock[0] += 301  # the reconcile is due: issues that left the unresolved set
    await poller.poll_now()
    got = upserted(deltas)
    assert raw["id"] in got and got[raw["id"]].status is Status.RESOLVED
    assert not any(raw["id"] in d.removals for d in deltas)
