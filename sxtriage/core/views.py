"""Feed sections: "All" (the filter you type), our own `[[views]]` from config.toml, and
the org's saved issue views from Sentry (`list_issue_views()`; Sentry's
src/sentry/issues/endpoints/organization_group_search_views.py).

A section is a query, a sort and a set of services.  Switching to one applies them to the
feed; switching back to "All" restores what you had there.  The only I/O is
`load_sentry_views`, which the session runs in the background.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sxtriage.config import ViewConfig
from sxtriage.feed import Feed, SortKey
from sxtriage.models import IssueView
from sxtriage.ports import SentrySource
from sxtriage.search import SearchError
from sxtriage.sentry.capabilities import Feature
from sxtriage.sentry.errors import NotFound, SentryError, Unsupported

ALL = IssueView(id="all", name="All", query="", origin="config")
SORTS = {
    "date": SortKey.LAST_SEEN,
    "new": SortKey.FIRST_SEEN,
    "freq": SortKey.EVENTS,
    "user": SortKey.USERS,
    "priority": SortKey.PRIORITY,
}
"""Sentry's sort names (src/sentry/search/snuba/executors.py sort strategies) → ours;
any other (trends, inbox, recommended) sorts by last seen."""


@dataclass
class _Saved:
    query: str = ""
    sort: SortKey = SortKey.LAST_SEEN
    scope: str | None = None


@dataclass
class ViewSections:
    views: list[IssueView] = field(default_factory=lambda: [ALL])
    current: int = 0
    _all: _Saved = field(default_factory=_Saved)
    _applied: str = ""
    """The filter text the current section set (to tell when the user edited it)."""

    @classmethod
    def from_config(cls, configured: Iterable[ViewConfig]) -> ViewSections:
        out = cls()
        for n, view in enumerate(configured):
            out.views.append(
                IssueView(
                    id=f"config:{n}",
                    name=view.name,
                    query=view.query,
                    sort=view.sort,
                    services=list(view.services),
                    origin="config",
                )
            )
        return out

    def add_sentry(self, views: Iterable[IssueView]) -> int:
        """Add (or refresh) the org's saved views; returns how many there are now."""
        current_id = self.view.id
        kept = [v for v in self.views if v.origin != "sentry"]
        fresh = [v.model_copy(update={"origin": "sentry"}) for v in views]
        self.views = kept + fresh
        ids = [v.id for v in self.views]
        self.current = ids.index(current_id) if current_id in ids else 0
        return len(fresh)

    @property
    def view(self) -> IssueView:
        return self.views[self.current]

    def label(self, feed: Feed) -> str:
        """The name for the status line; "*" once the filter was edited in the section."""
        if self.current == 0:
            return ""
        edited = feed.query.text != self._applied
        return self.view.name + ("*" if edited else "")

    def index_of(self, view_id: str) -> int | None:
        for n, view in enumerate(self.views):
            if view.id == view_id:
                return n
        return None

    def switch(self, feed: Feed, index: int) -> str | None:
        """Apply section `index` to the feed; returns a one-line error (nothing changes)."""
        index %= len(self.views)
        view = self.views[index]
        if self.current == 0 and index != 0:
            self._all = _Saved(feed.query.text, feed.sort, feed.scope)
        if index == 0:
            saved = self._all
            query, sort, scope = saved.query, saved.sort, saved.scope
        else:
            query, scope = view.query, None
            services = [s for s in view.services if s in feed.services] or []
            if len(services) == 1:
                scope = services[0]
            elif services:
                query = f"service:[{','.join(services)}] {query}".strip()
            sort = SORTS.get(view.sort, SortKey.LAST_SEEN)
        try:
            feed.set_filter(query)
        except SearchError as exc:
            where = "Sentry" if view.origin == "sentry" else "config.toml [[views]]"
            return f"view {view.name!r} ({where}): {exc}"
        if feed.pinned is not None:
            feed.set_pinned(None)
        feed.set_scope(scope)
        if feed.sort is not sort:
            feed.set_sort(sort)
        self.current = index
        self._applied = query
        return None


async def load_sentry_views(sentry: SentrySource, sections: ViewSections) -> int | str:
    """Add the org's saved issue views to `sections`; returns how many (0 when the server
    lacks the feature), or a one-line warning when they could not be loaded (the feed
    keeps working)."""
    try:
        await sentry.detect()
        if not sentry.capabilities.has(Feature.ISSUE_VIEWS):
            return 0
        views = await sentry.list_issue_views()
    except (NotFound, Unsupported):
        return 0  # this server has no saved views: there is nothing to show
    except SentryError as exc:
        return f"Sentry's saved issue views were not loaded: {exc}"
    return sections.add_sentry(views)
