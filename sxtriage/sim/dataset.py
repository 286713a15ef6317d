"""The simulator's in-memory dataset: org, projects, teams, members, releases, issues,
events, traces and notes — seeded deterministically, mutated by the API and by `tick`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from sxtriage.sim.catalog import TEMPLATES
from sxtriage.sim.org_data import SimRelease, SimView, seed_releases, seed_views
from sxtriage.sim.templates import Template

_B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def short_suffix(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 32)
        out = _B32[r] + out
        if n == 0:
            return out


@dataclass(frozen=True, slots=True)
class SimProject:
    id: int
    slug: str
    platform: str
    team: str
    release: str


@dataclass(frozen=True, slots=True)
class SimTeam:
    id: int
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class SimMember:
    id: int
    name: str
    email: str
    username: str
    role: str = "member"
    teams: tuple[str, ...] = ()


@dataclass(slots=True)
class SimEvent:
    event_id: str
    issue_id: int
    ts: float
    trace_id: str
    span_id: str
    user_id: int
    release: str
    environment: str


@dataclass(slots=True)
class SimIssue:
    id: int
    project: SimProject
    template: Template
    short_id: str
    title: str
    level: str
    first_seen: float
    last_seen: float
    status: str = "unresolved"
    substatus: str | None = "new"
    status_details: dict[str, Any] = field(default_factory=dict)
    assigned: str | None = None
    """"user:ID" / "team:ID" or None."""
    count: int = 0
    user_count: int = 0
    has_seen: bool = False
    bookmarked: bool = False
    first_release: str | None = None
    environment: str = "production"
    priority: str = "high"
    num_comments: int = 0
    ignore_until: float | None = None
    ignore_count_base: int = 0
    ignore_user_base: int = 0
    archived_at: float | None = None
    escalation_threshold: int = 5
    """Events within an hour after archiving "until escalating" that count as a spike."""
    resolved_in: str | None = None
    """The release a resolution waits for / happened in (None: resolved now)."""
    priority_locked_at: float | None = None
    inbox: tuple[int, float] | None = None
    """(`GroupInboxReason`, date added) while the issue is "for review", else None."""
    events: list[SimEvent] = field(default_factory=list)


PROJECTS = (
    SimProject(1, "api", "python", "backend", "api@2026.11.3"),
    SimProject(2, "web", "javascript-react", "frontend", "web@4.12.0"),
    SimProject(3, "mobile", "react-native", "mobile", "com.scenextras.app@3.8.1+412"),
    SimProject(4, "search", "go", "search", "search@1.9.2"),
)
TEAMS = (
    SimTeam(1, "backend", "Backend"),
    SimTeam(2, "frontend", "Frontend"),
    SimTeam(3, "mobile", "Mobile"),
    SimTeam(4, "search", "Search"),
    SimTeam(5, "payments", "Payments"),
)
MEMBERS = (
    SimMember(1, "On-call", "oncall@scenextras.dev", "oncall", "admin", ("backend", "search")),
    SimMember(2, "Jane Park", "jane@scenextras.dev", "jane", "manager", ("backend", "payments")),
    SimMember(3, "Ravi Shah", "ravi@scenextras.dev", "ravi", "member", ("frontend",)),
    SimMember(4, "Mia Chen", "mia@scenextras.dev", "mia", "member", ("mobile",)),
    SimMember(5, "Tom Okafor", "tom@scenextras.dev", "tom", "member", ("search", "payments")),
)
EVENTS_PER_ISSUE_CAP = 50
_UPSTREAM = {"api": ("web", "mobile"), "search": ("api",)}


class SimState:
    """Everything the simulator serves.  Tests may read and mutate it directly."""

    def __init__(self, *, org: str = "scenextras", seed: int = 0, now: float | None = None):
        self.org = org
        self.rng = random.Random(seed)
        self.now = now or time.time()
        self.projects = {p.slug: p for p in PROJECTS}
        self.projects_by_id = {p.id: p for p in PROJECTS}
        self.teams = {t.id: t for t in TEAMS}
        self.members = {m.id: m for m in MEMBERS}
        self.issues: dict[int, SimIssue] = {}
        self.events: dict[str, SimEvent] = {}
        self.traces: dict[str, list[SimEvent]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.releases: list[SimRelease] = seed_releases(self.now)
        self.views: list[SimView] = seed_views(self.now)
        self.version = 0
        """Bumped by every change made through the API or `tick` (list caches key on it)."""
        self.list_cache: dict[tuple[Any, ...], tuple[float, list[SimIssue]]] = {}
        self._next_issue = 101
        self._short_seq = {p.slug: 0 for p in PROJECTS}
        self._recent_traces: dict[str, list[str]] = {p.slug: [] for p in PROJECTS}

    # --- ids ------------------------------------------------------------------------
    def hex_id(self, n: int) -> str:
        return f"{self.rng.getrandbits(n * 4):0{n}x}"

    def team_by_slug(self, slug: str) -> SimTeam | None:
        return next((t for t in self.teams.values() if t.slug == slug), None)

    def project_releases(self, slug: str) -> list[SimRelease]:
        """The project's releases, newest first."""
        mine = [r for r in self.releases if r.project == slug]
        return sorted(mine, key=lambda r: (r.released or r.created, r.id), reverse=True)

    def add_release(self, slug: str, version: str, *, now: float | None = None) -> SimRelease:
        """A new release of `slug` (its events carry it from now on)."""
        from dataclasses import replace

        ts = now or time.time()
        release = SimRelease(len(self.releases) + 1, version, slug, ts, ts)
        self.releases.append(release)
        project = replace(self.projects[slug], release=version)
        self.projects[slug] = self.projects_by_id[project.id] = project
        for issue in self.issues.values():
            if issue.project.slug == slug:
                issue.project = project
        self.version += 1
        return release

    # --- seeding ----------------------------------------------------------------------
    def seed(self, n_issues: int | None) -> None:
        """Create the realistic dataset (every template once, a few states) or `n`."""
        rng = self.rng
        if n_issues is None:
            for i, tpl in enumerate(TEMPLATES):
                age = (i + 1) * 3600.0 * 5
                issue = self.new_issue(tpl, first_seen=self.now - age)
                for _ in range(rng.randint(2, 6)):
                    self.add_event(issue, self.now - rng.uniform(60, age))
            self._vary_states()
            return
        templates = TEMPLATES
        for i in range(n_issues):
            tpl = templates[i % len(templates)]
            age = rng.uniform(3600, 14 * 86400)
            suffix = f" (#{i // len(templates)})" if i >= len(templates) else ""
            issue = self.new_issue(tpl, first_seen=self.now - age, suffix=suffix)
            self.add_event(issue, self.now - rng.uniform(60, age))
            issue.count = rng.randint(1, 5000)
            issue.user_count = rng.randint(1, max(1, issue.count // 3))

    def _vary_states(self) -> None:
        issues = list(self.issues.values())
        if len(issues) >= 6:
            issues[1].assigned = "user:1"
            issues[2].assigned = "team:5"
            issues[4].status, issues[4].substatus = "resolved", None
            issues[5].status, issues[5].substatus = "ignored", "archived_forever"
            issues[5].archived_at = self.now - 3600
            issues[4].inbox = issues[5].inbox = None
            issues[3].bookmarked = True
        for issue in issues[6::3]:
            issue.substatus = "ongoing"
            issue.inbox = None  # reviewed

    def new_issue(self, tpl: Template, *, first_seen: float, suffix: str = "") -> SimIssue:
        project = self.projects[tpl.project]
        first_seen = round(first_seen * 1e6) / 1e6
        seq = self._short_seq[project.slug] = self._short_seq[project.slug] + 1
        issue = SimIssue(
            id=self._next_issue,
            project=project,
            template=tpl,
            short_id=f"{project.slug.upper()}-{short_suffix(seq)}",
            title=tpl.title + suffix,
            level=tpl.level,
            first_seen=first_seen,
            last_seen=first_seen,
            first_release=project.release,
            priority="high" if tpl.level in ("fatal", "error") else "medium",
            inbox=(0, first_seen) if first_seen > self.now - 7 * 86400 else None,
        )
        self._next_issue += 1
        self.issues[issue.id] = issue
        return issue

    def add_event(self, issue: SimIssue, ts: float) -> SimEvent:
        rng = self.rng
        ts = round(ts * 1e6) / 1e6  # the API's precision: what is served is what is searched
        trace_id = ""
        for up in _UPSTREAM.get(issue.project.slug, ()):
            pool = self._recent_traces[up]
            if pool and rng.random() < 0.6:
                trace_id = rng.choice(pool)
                break
        trace_id = trace_id or self.hex_id(32)
        pool = self._recent_traces[issue.project.slug]
        pool.append(trace_id)
        if len(pool) > 20:
            del pool[0]
        ev = SimEvent(
            event_id=self.hex_id(32),
            issue_id=issue.id,
            ts=ts,
            trace_id=trace_id,
            span_id=self.hex_id(16),
            user_id=rng.randint(1000, 9999),
            release=issue.project.release,
            environment=issue.environment,
        )
        issue.events.append(ev)
        issue.events.sort(key=lambda e: e.ts)
        if len(issue.events) > EVENTS_PER_ISSUE_CAP:
            old = issue.events.pop(0)
            self.events.pop(old.event_id, None)
        self.events[ev.event_id] = ev
        self.version += 1
        self.traces.setdefault(trace_id, []).append(ev)
        issue.count += 1
        issue.user_count = min(issue.count, issue.user_count + (1 if rng.random() < 0.7 else 0))
        issue.last_seen = max(issue.last_seen, ts)
        issue.first_seen = min(issue.first_seen, ts)
        return ev

    def delete_issue(self, issue_id: int) -> bool:
        issue = self.issues.pop(issue_id, None)
        if issue is None:
            return False
        self.version += 1
        for ev in issue.events:
            self.events.pop(ev.event_id, None)
        return True

    def add_note(self, issue: SimIssue, text: str, user_id: int = 1) -> dict[str, Any]:
        note = {
            "id": str(sum(len(v) for v in self.notes.values()) + 1),
            "type": "note",
            "data": {"text": text},
            "user_id": user_id,
            "ts": time.time(),
        }
        self.notes.setdefault(issue.id, []).append(note)
        issue.num_comments += 1
        return note

    def duplicate_note(self, issue: SimIssue, data: dict[str, Any], user_id: int = 1) -> bool:
        """The same note by the same user within the hour (Sentry refuses it)."""
        hour_ago = time.time() - 3600
        return any(
            n["user_id"] == user_id and n["data"] == data and n["ts"] >= hour_ago
            for n in self.notes.get(issue.id, [])
        )
