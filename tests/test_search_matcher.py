"""A compiled query's `matches` (one test made for its terms) says what the terms say:
every free-text needle (negated ones absent) and every predicate, with or without the
caller's haystack."""

from __future__ import annotations

import pytest

from sxtriage.search import compile_query, haystack
from tests.fixtures_ui import make_issue, make_issues

QUERIES = [
    "",
    "time",
    "!time",
    "timeout chat",
    "level:error",
    "!level:error",
    "level:[error,fatal] service:api",
    "service:a*",
    "times_seen:>100",
    "users:<=5",
    "timeout level:error",
    "!timeout service:web",
    "is:unresolved assigned:none",
    "age:-24h",
]


def _by_terms(text: str, issue: object) -> bool:
    query = compile_query(text, me="oncall@scenextras.dev")
    hay = haystack(issue)  # type: ignore[arg-type]
    return all((needle in hay) != negate for needle, negate in query.needles) and all(
        pred(issue)  # type: ignore[arg-type]
        for pred in query.predicates
    )


@pytest.mark.parametrize("text", QUERIES)
def test_matches_is_every_term(text: str) -> None:
    query = compile_query(text, me="oncall@scenextras.dev")
    issues = [*make_issues(120), make_issue(7, assignee=None, title="no hay at all")]
    got = [query.matches(i) for i in issues]
    assert got == [query.matches(i, haystack(i)) for i in issues]
    assert got == [_by_terms(text, i) for i in issues]
    if text and not query.server_only:
        assert 0 < sum(got) < len(issues)  # the sample tells the terms apart
