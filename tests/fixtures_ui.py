"""Pytest fixtures and deterministic sample data for the feed / UI tests, scenes and bench."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sxtriage.models import (
    Breadcrumb,
    Event,
    ExceptionValue,
    Frame,
    Issue,
    Level,
    Source,
    SourceHealth,
    Span,
    Status,
    Trace,
)

if TYPE_CHECKING:
    from sxtriage.ui.app import SxTriageApp

NOW = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
"""The fixed clock of every UI test and scene."""
SERVICES = ("api", "web", "mobile", "search")
_TITLES = {
    "api": [
        ("TimeoutError", "chat generation timed out after 30s", "app.chat.generate"),
        ("StripeCardError", "Your card was declined", "app.payments.charge"),
        ("HTTPError", "TMDB 429 Too Many Requests", "app.tmdb.client.fetch"),
        ("AuthError", "JWT signature has expired", "app.auth.verify"),
    ],
    "web": [
        ("TypeError", "Cannot read properties of undefined (reading 'id')", "CheckoutPage"),
        ("ChunkLoadError", "Loading chunk 42 failed", "webpack/runtime"),
        ("Error", "Network request failed: /api/chat", "useChat"),
    ],
    "mobile": [
        ("Error", "Invariant Violation: requireNativeComponent", "App.tsx"),
        ("RangeError", "Maximum call stack size exceeded", "ScenePlayer"),
    ],
    "search": [
        ("panic", "runtime error: index out of range [3] with length 3", "search.(*Index).Query"),
        ("*errors.errorString", "context deadline exceeded", "search.Shard.Lookup"),
    ],
}
_LEVELS = (Level.ERROR, Level.ERROR, Level.ERROR, Level.WARNING, Level.FATAL, Level.INFO)


def make_issue(
    n: int, *, service: str | None = None, source: Source = Source.SENTRY, **over: object
) -> Issue:
    """Issue number `n`, deterministic."""
    svc = service or SERVICES[n % len(SERVICES)]
    kind, msg, culprit = _TITLES[svc][n % len(_TITLES[svc])]
    data: dict[str, object] = dict(
        source=source,
        id=str(1000 + n),
        service=svc,
        project=svc,
        short_id=f"{svc.upper()}-{n + 1:X}",
        title=f"{kind}: {msg}",
        culprit=culprit,
        level=_LEVELS[n % len(_LEVELS)],
        status=Status.UNRESOLVED,
        count=(n * 37) % 900 + 1,
        user_count=(n * 11) % 120,
        first_seen=NOW - timedelta(hours=(n % 48) + 1),
        last_seen=NOW - timedelta(seconds=n * 13 % 7200),
        release=f"{svc}@2.{n % 4}.0",
        first_release=f"{svc}@2.0.0",
        environment="production" if n % 5 else "staging",
        assignee="oncall@scenextras.dev" if n % 7 == 0 else None,
        permalink=f"https://sentry.io/organizations/scenextras/issues/{1000 + n}/",
        tags={"browser": "Chrome 131"} if svc == "web" else {"runtime": svc},
        platform="python",
    )
    data.update(over)
    return Issue(**data)  # type: ignore[arg-type]


def make_issues(count: int, *, start: int = 0) -> list[Issue]:
    return [make_issue(n) for n in range(start, start + count)]


def make_event(issue: Issue, *, frames: int = 12, crumbs: int = 25, seed: int = 1) -> Event:
    rnd = random.Random(seed)
    frame_list = [
        Frame(
            filename=f"app/module_{i}.py" if i % 3 else f"site-packages/lib/x_{i}.py",
            function=f"handler_{i}",
            module=f"app.module_{i}",
            lineno=10 + i,
            in_app=bool(i % 3),
            context_line=f"    result = step_{i}(payload)",
            pre_context=[f"def handler_{i}(payload):", "    # prepare"],
            post_context=["    return result"],
            vars={"payload": "{...}", "i": i},
        )
        for i in range(frames)
    ]
    cause = ExceptionValue(
        type="ConnectionError", value="upstream reset by peer", frames=frame_list[:3]
    )
    main = ExceptionValue(
        type=issue.title.split(":")[0], value=issue.title.split(": ", 1)[-1], frames=frame_list
    )
    start = NOW - timedelta(seconds=crumbs)
    bcs = [
        Breadcrumb(
            timestamp=start + timedelta(seconds=i, milliseconds=rnd.randint(0, 900)),
            category=("http", "navigation", "ui.click", "console")[i % 4],
            level=Level.WARNING if i % 9 == 8 else Level.INFO,
            message=f"GET /api/items/{i} 200" if i % 4 == 0 else f"step {i}",
        )
        for i in range(crumbs)
    ]
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    t0 = NOW - timedelta(seconds=3)

    def span(
        sid: str,
        parent: str | None,
        svc: str,
        op: str,
        desc: str,
        a: int,
        b: int,
        status: str = "ok",
        issues: list[str] | None = None,
    ) -> Span:
        return Span(
            span_id=sid,
            trace_id=trace_id,
            parent_span_id=parent,
            op=op,
            description=desc,
            start=t0 + timedelta(milliseconds=a),
            end=t0 + timedelta(milliseconds=b),
            status=status,
            service=svc,
            issue_ids=issues or [],
        )

    spans = [
        span("a1", None, "web", "pageload", "/checkout", 0, 2900),
        span("a2", "a1", "web", "http.client", "POST /api/checkout", 120, 2700),
        span("b1", "a2", "api", "http.server", "POST /api/checkout", 150, 2650),
        span("b2", "b1", "api", "db.query", "SELECT * FROM orders", 170, 240),
        span("c1", "b1", "search", "rpc", "search.Query", 260, 2600, "internal_error", [issue.id]),
    ]
    return Event(
        event_id=f"{seed:02x}f3c2a1b0d94e8fa6c5b3d2e1f0a9b8",
        issue_id=issue.id,
        source=issue.source,
        service=issue.service,
        timestamp=NOW - timedelta(seconds=2),
        level=issue.level,
        title=issue.title,
        message=issue.title,
        culprit=issue.culprit,
        platform="python",
        exceptions=[cause, main],
        breadcrumbs=bcs,
        tags={"environment": "production", "release": issue.release or "", "url": "/checkout"},
        contexts={"os": {"name": "Linux"}, "runtime": {"name": "CPython", "version": "3.12"}},
        user={"id": "u-42", "email": "[email]", "ip_address": "[ip]"},
        request={"method": "POST", "url": "https://api.scenextras.dev/checkout"},
        release=issue.release,
        environment="production",
        trace_id=trace_id,
        spans=spans,
    )


def make_trace(event: Event) -> Trace:
    return Trace(trace_id=event.trace_id or "", spans=event.spans)


@pytest.fixture
def sample_issues() -> list[Issue]:
    return make_issues(60)


class SampleDetail:
    """A DetailSource over the deterministic sample data (for UI tests and scenes)."""

    def __init__(self, *, frames: int = 12, crumbs: int = 25) -> None:
        self.frames = frames
        self.crumbs = crumbs

    async def latest_event(self, issue: Issue) -> Event | None:
        return make_event(issue, frames=self.frames, crumbs=self.crumbs)

    async def events(self, issue: Issue, limit: int = 50) -> list[Event]:
        out = []
        for seed in range(1, 6):
            event = make_event(issue, frames=3, crumbs=2, seed=seed)
            event.timestamp = NOW - timedelta(minutes=seed * 7)
            out.append(event)
        return out[:limit]

    async def event(self, issue: Issue, event_id: str) -> Event | None:
        seed = int(event_id[:2], 16)
        return make_event(issue, frames=self.frames, crumbs=self.crumbs, seed=seed)

    async def trace(self, trace_id: str) -> Trace | None:
        return Trace(trace_id=trace_id, spans=make_event(make_issue(0)).spans)


def build_app(
    data_dir: Path,
    issues: list[Issue] | None = None,
    *,
    detail: object | None = None,
    settings: object | None = None,
    **kw: object,
) -> SxTriageApp:
    """An app over a fresh store with `issues` in the feed and a fixed clock."""
    from sxtriage.config import Settings
    from sxtriage.core.session import Session
    from sxtriage.models import IssueDelta
    from sxtriage.store import Store
    from sxtriage.ui.app import SxTriageApp

    cfg = settings or Settings(data_dir=data_dir)
    session = Session(
        cfg,  # type: ignore[arg-type]
        Store(data_dir / "ui.db"),
        sentry_detail=detail or SampleDetail(),  # type: ignore[arg-type]
        clock=lambda: NOW.timestamp(),
    )
    if issues:
        session.feed.apply(IssueDelta(source=Source.SENTRY, upserts=issues))
    return SxTriageApp(session, clock=lambda: NOW, **kw)  # type: ignore[arg-type]


def health(name: str, ok: bool, error: str | None = None) -> SourceHealth:
    """A source's report as the poller / relay client gives it (for `session.on_health`)."""
    return SourceHealth(name=name, ok=ok, error=error, last_success=NOW if ok else None)


@pytest.fixture
def ui_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Factory: ui_app(issues, **kw) → an app; stores closed after the test."""
    made: list[SxTriageApp] = []

    def make(issues: list[Issue] | None = None, **kw: object) -> SxTriageApp:
        app = build_app(tmp_path / f"app{len(made)}", issues, **kw)
        made.append(app)
        return app

    yield make
    for app in made:
        app.session.store.close()
