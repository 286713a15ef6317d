"""Open/copy links: only http(s), no browser over SSH, OSC 52 copy; ticket Markdown."""

from __future__ import annotations

from datetime import UTC, datetime

from sxtriage.models import Breadcrumb, Event, ExceptionValue, Frame, Issue, Source
from sxtriage.triage.links import copy_text, has_display, is_web_url, open_link
from sxtriage.triage.ticket import draft_for, ticket_title


class FakeApp:
    def __init__(self) -> None:
        self.copied: list[str] = []

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)


def test_only_http_urls_open() -> None:
    opened: list[str] = []
    for bad in ("file:///etc/passwd", "javascript:alert(1)", "https://x\x1b]52;c;x\x07", ""):
        result = open_link(bad, opener=lambda u: opened.append(u) or True, env={"DISPLAY": ":0"})
        assert not result.ok and "only http(s)" in result.message
        assert "\x1b" not in result.message
    assert opened == []
    assert is_web_url("https://sentry.io/organizations/x/issues/1/")


def test_opens_in_browser_with_display() -> None:
    opened: list[str] = []
    result = open_link(
        "https://sentry.io/i/1", opener=lambda u: opened.append(u) or True, env={"DISPLAY": ":0"}
    )
    assert result.ok and opened == ["https://sentry.io/i/1"]


def test_over_ssh_copies_instead_of_launching() -> None:
    app = FakeApp()
    opened: list[str] = []
    env = {"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"}
    assert not has_display(env, "linux")
    result = open_link(
        "https://sentry.io/i/1", app=app, opener=lambda u: opened.append(u) or True, env=env
    )
    assert opened == [] and app.copied == ["https://sentry.io/i/1"]
    assert "link copied" in result.message


def test_copy_without_terminal_falls_back_to_message() -> None:
    assert "by hand: API-1F" in copy_text("API-1F", app=None).message
    app = FakeApp()
    assert copy_text("API-1F", app=app).ok and app.copied == ["API-1F"]


def test_ticket_draft_content_and_scrubbing() -> None:
    issue = Issue(
        source=Source.SENTRY,
        id="1",
        service="api",
        short_id="API-1F",
        title="Payment failed for jane@x.com",
        culprit="app.payments in charge",
        count=42,
        user_count=7,
        first_seen=datetime(2026, 1, 1, tzinfo=UTC),
        release="api@1.2.0",
        environment="production",
        permalink="https://sentry.io/organizations/scenextras/issues/1/",
    )
    event = Event(
        event_id="e1",
        exceptions=[
            ExceptionValue(
                type="CardError",
                value="card 4111 1111 1111 1111 declined",
                frames=[
                    Frame(filename="lib/stripe.py", function="post", lineno=3),
                    Frame(filename="app/pay.py", function="charge", lineno=10, in_app=True),
                ],
            )
        ],
        breadcrumbs=[Breadcrumb(category="http", message="POST /v1/charges ```evil```")],
    )
    draft = draft_for(issue, event, "scenextras/api")
    assert ticket_title(issue) == "[API] API-1F: Payment failed for [email]"
    body = draft.body
    for part in ("api@1.2.0", "production", "42", "app/pay.py:10 in charge", "POST /v1/charges"):
        assert part in body
    assert "lib/stripe.py" not in body  # only in-app frames when there are some
    assert "4111" not in body and "jane@x.com" not in body
    assert body.count("```") % 2 == 0  # fences from event text are neutralised
    assert "<https://sentry.io/organizations/scenextras/issues/1/>" in body
    assert draft.repo == "scenextras/api" and draft.labels == ["bug", "sentry"]
