"""Sentry search syntax: parsing, matching and clear errors."""

from __future__ import annotations

import pytest

from sxtriage.models import Level, Status
from sxtriage.search import SearchError, Term, compile_query, parse
from tests.fixtures_ui import make_issue


def test_parse_terms_quotes_and_negation() -> None:
    terms = parse('is:unresolved level:error !tag:value "free text here" -env:prod plain')
    assert terms == [
        Term("is", "unresolved"),
        Term("level", "error"),
        Term("tag", "value", negate=True),
        Term(None, "free text here"),
        Term("environment", "prod", negate=True),
        Term(None, "plain"),
    ]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ('"unterminated', "unterminated quote"),
        ("level:", "needs a value"),
        ("level:loud", "unknown level 'loud'"),
        ("is:sleeping", "unknown is:sleeping"),
        ("times_seen:lots", "needs a number"),
        ("assigned:me", "assigned:me needs your user"),
        ("release:latest", "release:latest needs release data"),
        ("level:[]", "empty list"),
    ],
)
def test_bad_queries_name_the_problem(query: str, fragment: str) -> None:
    with pytest.raises(SearchError) as err:
        compile_query(query)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_matching_fields() -> None:
    issue = make_issue(
        0,
        service="api",
        level=Level.ERROR,
        assignee="oncall@scenextras.dev",
        release="api@2.1.0",
        environment="production",
        tags={"customer": "acme"},
        count=50,
    )
    yes = [
        "is:unresolved",
        "level:error",
        "level:[fatal,error]",
        "service:api",
        "service:a*",
        "assigned:me",
        "assigned:oncall@scenextras.dev",
        "is:assigned",
        "release:api@2.1.0",
        "release:api@2.*",
        "environment:production",
        "env:prod*",
        "customer:acme",
        "!customer:globex",
        "times_seen:>10",
        "events:<=50",
        "timeout",
        '"generation timed"',
        "API-1",
        "has:customer",
        "is:unlinked",
    ]
    no = [
        "is:resolved",
        "level:warning",
        "service:web",
        "assigned:none",
        "is:unassigned",
        "release:web@2.1.0",
        "customer:globex",
        "!customer:acme",
        "times_seen:>50",
        "nothing-like-this",
        "is:linked",
    ]
    for q in yes:
        assert compile_query(q, me="oncall@scenextras.dev").matches(issue), q
    for q in no:
        assert not compile_query(q, me="oncall@scenextras.dev").matches(issue), q


def test_release_latest_uses_resolver_per_service() -> None:
    latest = {"api": "api@2.1.0", "web": "web@9.9.9"}
    q = compile_query("release:latest", resolver=lambda v, svc: latest.get(svc))
    assert q.matches(make_issue(1, service="api", release="api@2.1.0"))
    assert not q.matches(make_issue(2, service="api", release="api@2.0.0"))
    assert not q.matches(make_issue(3, service="search", release="search@1"))
    fq = compile_query("firstRelease:latest", resolver=lambda v, svc: "api@2.0.0")
    assert fq.matches(make_issue(1, service="api", first_release="api@2.0.0"))


def test_status_and_markup_text_are_plain_values() -> None:
    issue = make_issue(3, title="[bold red]boom[/] \x1b[31m", status=Status.IGNORED)
    assert compile_query('"[bold red]"').matches(issue)
    assert compile_query("is:archived").matches(issue)
    assert compile_query("").empty


def test_sentrys_workflow_terms() -> None:
    esc = make_issue(1, substatus="escalating", priority="high", for_review=True)
    arch = make_issue(2, status=Status.IGNORED, substatus="archived_forever", priority="low")
    odd = make_issue(3, substatus="frobnicated", priority="critical", is_bookmarked=True)
    cases = {
        "is:escalating": {1},
        "is:archived_forever": {2},
        "is:archived !is:archived_until_escalating": {2},
        "is:for_review": {1},
        "!is:for_review": {2, 3},
        "issue.priority:high": {1},
        "priority:low": {2},  # the short spelling
        "issue.priority:[high,low]": {1, 2},
        "bookmarks:me": {3},
        "is:unresolved !is:new": {1, 3},
    }
    for query, wanted in cases.items():
        got = {n for n, i in ((1, esc), (2, arch), (3, odd)) if compile_query(query).matches(i)}
        assert got == wanted, query
    with pytest.raises(SearchError, match="bookmarks:me"):
        compile_query("bookmarks:jane")


def test_the_part_of_a_filter_sentry_evaluates() -> None:
    from sxtriage.search import sentry_query

    text = 'is:bookmarked !is:bookmarked service:api env:prod "two words" is:linked age:-1h'
    assert sentry_query(text) == 'bookmarks:me !bookmarks:me environment:prod "two words" age:-1h'
    assert sentry_query("") == ""
    with pytest.raises(SearchError):
        sentry_query('"open')
