"""Who an issue can be assigned to: "me", recent assignees, the service's team, everyone.

Mixed into the TriageEngine, which provides `sentry` (members/teams), `me` and
`recent_assignees`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sxtriage.models import Issue


@dataclass(frozen=True)
class AssignCandidate:
    actor: str | None
    """"user:12" / "team:3"; None means "nobody" (unassign)."""
    label: str
    kind: str
    """"me", "recent", "suggested", "member", "team" or "nobody"."""
    hint: str = ""


class PeopleMixin:
    sentry: Any | None
    me: str | None
    recent_assignees: list[tuple[str, str]]
    _members: list[Any] | None
    _teams: list[Any] | None

    # --- assignment helpers -----------------------------------------------------------------
    def _remember_assignee(self, actor: str, label: str) -> None:
        self.recent_assignees = [(a, n) for a, n in self.recent_assignees if a != actor]
        self.recent_assignees.insert(0, (actor, label))
        del self.recent_assignees[8:]

    async def _load_people(self) -> tuple[list[Any], list[Any]]:
        if self.sentry is None:
            return [], []
        if self._members is None:
            self._members, self._teams = await asyncio.gather(
                self.sentry.list_members(), self.sentry.list_teams()
            )
        return self._members or [], self._teams or []

    async def me_actor(self) -> tuple[str, str] | None:
        if not self.me:
            return None
        members, _ = await self._load_people()
        want = self.me.lower()
        for m in members:
            names = {(m.email or "").lower(), (m.username or "").lower(), m.name.lower()}
            if want in names:
                return m.actor, m.email or m.name
        if self.sentry is None:
            return f"user:{self.me}", self.me
        return None

    async def assign_candidates(
        self, issues: list[Issue], services: dict[str, Any] | None = None
    ) -> list[AssignCandidate]:
        """ "me" first, recent assignees next, the service's default team, then everyone."""
        members, teams = await self._load_people()
        out: list[AssignCandidate] = []
        seen: set[str | None] = set()

        def add(c: AssignCandidate) -> None:
            if c.actor not in seen:
                seen.add(c.actor)
                out.append(c)

        me = await self.me_actor()
        if me:
            add(AssignCandidate(me[0], me[1], "me", "me"))
        for actor, label in self.recent_assignees:
            add(AssignCandidate(actor, label, "recent", "recent"))
        for svc in dict.fromkeys(i.service for i in issues):
            default = getattr((services or {}).get(svc), "default_team", None)
            for t in teams:
                if default and t.slug == default:
                    add(AssignCandidate(t.actor, f"#{t.slug}", "suggested", f"{svc} team"))
        for m in members:
            add(AssignCandidate(m.actor, m.email or m.name, "member", m.name))
        for t in teams:
            add(AssignCandidate(t.actor, f"#{t.slug}", "team", t.name))
        add(AssignCandidate(None, "nobody", "nobody", "unassign"))
        return out
