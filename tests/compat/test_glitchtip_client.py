"""Our SentryClient against a real GlitchTip: detection, issue list, search, one issue,
event detail (stack, breadcrumbs, tags), org lists.  Events come from the real sentry-sdk
through GlitchTip's DSN; what GlitchTip stored is read back with plain HTTP.

What GlitchTip answers is in apps/issue_events/api/issues.py and events.py of its source
(the tarball in ../shared/servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sxtriage.models import Level, Status
from sxtriage.sentry.capabilities import Dialect, Feature
from tests.compat.conftest import CompatServer

pytestmark = pytest.mark.compat


async def test_detects_glitchtip_and_says_what_it_lacks(gt_client) -> None:
    caps = gt_client.capabilities
    assert caps.dialect is Dialect.GLITCHTIP
    assert caps.label.startswith("GlitchTip")
    assert "unknown" not in caps.label  # its placeholder version "0.0.0-unknown" is not shown
    for feature in (Feature.ASSIGN, Feature.PRIORITY, Feature.ARCHIVE_CONDITIONS):
        reason = caps.reason(feature)
        assert reason and "GlitchTip" in reason, feature
    for feature in (Feature.NOTES, Feature.RELEASES):
        assert caps.has(feature), feature


async def test_lists_issues_of_one_service_with_their_fields(
    glitchtip: CompatServer, gt_client
) -> None:
    raw, sent = await glitchtip.send_and_wait("api", events=2, level="fatal")
    _, web_sent = await glitchtip.send_and_wait("web")
    page = await gt_client.list_issues(query="is:unresolved", projects=["api"], limit=100)
    by_id = {i.id: i for i in page.items}
    assert raw["id"] in by_id, "the api issue is listed"
    assert all(i.project == "api" and i.service == "api" for i in page.items)
    assert not any(web_sent[0].marker in i.title for i in page.items)
    issue = by_id[raw["id"]]
    assert sent[0].marker in issue.title and issue.title.startswith("CompatError")
    assert issue.short_id == raw["shortId"] and issue.short_id.startswith("API-")
    assert issue.level is Level.FATAL and issue.status is Status.UNRESOLVED
    assert issue.count == 2
    now = datetime.now(UTC)
    assert now - timedelta(minutes=5) < issue.first_seen <= issue.last_seen <= now
    assert issue.permalink and issue.permalink.startswith(glitchtip.url)


async def test_every_sort_the_feed_uses_is_accepted(gt_client) -> None:
    for sort in ("date", "new", "freq", "priority", "user"):
        page = await gt_client.list_issues(query="is:unresolved", sort=sort, limit=5)
        assert isinstance(page.items, list), sort


async def test_pages_follow_glitchtips_link_header(glitchtip: CompatServer, gt_client) -> None:
    for _ in range(3):
        await glitchtip.send_and_wait("web")
    seen: list[str] = []
    pages = 0
    async for page in gt_client.iter_issues(query="", projects=["web"], limit=2):
        pages += 1
        seen += [i.id for i in page.items]
    expected = await glitchtip.api(
        "GET", f"/organizations/{glitchtip.org}/issues/", params={"project": "2", "limit": "100"}
    )
    assert pages >= 2
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == {i["id"] for i in expected}


async def test_search_terms_glitchtip_understands(glitchtip: CompatServer, gt_client) -> None:
    raw, sent = await glitchtip.send_and_wait("api", tags={"customer": "acme-compat"})
    for query in (
        f"is:unresolved {sent[0].marker}",
        f"compat.marker:{sent[0].marker}",
        "customer:acme-compat",
        f'is:unresolved "compat failure {sent[0].marker}"',
    ):
        page = await gt_client.list_issues(query=query, projects=["api"])
        assert raw["id"] in {i.id for i in page.items}, query


async def test_one_issue_and_an_event_id_lookup(glitchtip: CompatServer, gt_client) -> None:
    raw, sent = await glitchtip.send_and_wait("api")
    issue = await gt_client.get_issue(raw["id"])
    assert issue.id == raw["id"] and sent[0].marker in issue.title
    assert await gt_client.resolve_event_id(sent[0].event_id) == raw["id"]


async def test_event_detail_stack_breadcrumbs_tags(glitchtip: CompatServer, gt_client) -> None:
    raw, sent = await glitchtip.send_and_wait("api", events=2, breadcrumbs=4)
    latest = await gt_client.latest_event(raw["id"])
    assert latest.event_id == sent[-1].event_id
    assert latest.project == "api" and latest.service == "api"
    (exc,) = latest.exceptions
    assert exc.type == "CompatError" and sent[0].marker in (exc.value or "")
    crash = exc.frames[-1]
    assert crash.function == "checkout_handler" and crash.in_app
    assert crash.filename == "tests/compat/sdk.py" and crash.lineno
    assert crash.context_line and "raise CompatError" in crash.context_line
    assert crash.pre_context and crash.post_context  # GlitchTip's [[line, text], …] context
    assert str(crash.vars.get("total")) == "21"
    assert [b.message for b in latest.breadcrumbs] == [
        f"step {i} of {sent[0].marker}" for i in range(4)
    ]
    assert latest.breadcrumbs[0].category == "http"
    assert latest.tags["compat.marker"] == sent[0].marker and latest.tags["shard"] == "eu-1"
    assert latest.release == "compat@1.0.0" and latest.environment == "production"
    assert latest.trace_id and len(latest.trace_id) == 32

    page = await gt_client.list_events(raw["id"])
    assert {e.event_id for e in page.items} == {s.event_id for s in sent}
    first = await gt_client.get_event(raw["id"], sent[0].event_id)
    assert first.event_id == sent[0].event_id and first.exceptions[0].frames


async def test_members_teams_projects(glitchtip: CompatServer, gt_client) -> None:
    members = await gt_client.list_members()
    by_email = {m.email: m for m in members}
    assert set(by_email) == {"owner@compat.example.com", "alice@compat.example.com"}
    expected = {m["email"]: str(m["id"]) for m in glitchtip.server.members}
    # the actor is the *user* id (user:N), not the org-membership id
    assert {e: m.id for e, m in by_email.items()} == expected
    assert by_email["alice@compat.example.com"].name == "Alice Member"
    teams = await gt_client.list_teams()
    assert [t.slug for t in teams] == ["oncall"]
    projects = {p.slug: p.id for p in await gt_client.list_projects()}
    assert projects == {name: str(p.id) for name, p in glitchtip.projects.items()}
