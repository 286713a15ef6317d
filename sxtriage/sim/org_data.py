"""The org's releases and saved issue views in the simulator's dataset."""

from __future__ import annotations

from dataclasses import dataclass

_DAY = 86400.0

RELEASE_HISTORY: dict[str, tuple[str, ...]] = {
    "api": ("api@2026.11.1", "api@2026.11.2", "api@2026.11.3"),
    "web": ("web@4.10.2", "web@4.11.0", "web@4.12.0"),
    "mobile": (
        "com.scenextras.app@3.7.0+398",
        "com.scenextras.app@3.8.0+405",
        "com.scenextras.app@3.8.1+412",
    ),
    "search": ("search@1.9.0", "search@1.9.1", "search@1.9.2"),
}
"""Oldest first; the last one is the project's current release (`SimProject.release`)."""
_AGES = (20 * _DAY, 9 * _DAY, 2 * _DAY)


@dataclass(frozen=True, slots=True)
class SimRelease:
    id: int
    version: str
    project: str
    """The project's slug."""
    created: float
    released: float | None


@dataclass(slots=True)
class SimView:
    """A saved issue view (`GroupSearchView`)."""

    id: int
    name: str
    query: str
    query_sort: str
    projects: tuple[int, ...]
    """Project ids; empty with `all_projects`."""
    all_projects: bool
    environments: tuple[str, ...]
    period: str
    owner_id: int
    visibility: str
    """`owner` or `organization`."""
    starred: bool
    created: float
    last_visited: float | None = None


def seed_releases(now: float) -> list[SimRelease]:
    out: list[SimRelease] = []
    for slug, versions in RELEASE_HISTORY.items():
        for version, age in zip(versions, _AGES, strict=True):
            created = round(now - age)
            out.append(SimRelease(len(out) + 1, version, slug, created, created + 600))
    return out


def seed_views(now: float) -> list[SimView]:
    """Two views of the on-call user (member 1), both starred."""
    return [
        SimView(
            id=1,
            name="Mobile crashes",
            query="is:unresolved level:fatal",
            query_sort="date",
            projects=(3,),
            all_projects=False,
            environments=("production",),
            period="14d",
            owner_id=1,
            visibility="organization",
            starred=True,
            created=round(now - 30 * _DAY),
            last_visited=round(now - 3600),
        ),
        SimView(
            id=2,
            name="Unassigned high priority",
            query="is:unresolved is:unassigned issue.priority:high",
            query_sort="freq",
            projects=(),
            all_projects=True,
            environments=(),
            period="24h",
            owner_id=1,
            visibility="owner",
            starred=True,
            created=round(now - 12 * _DAY),
            last_visited=round(now - 7200),
        ),
    ]
