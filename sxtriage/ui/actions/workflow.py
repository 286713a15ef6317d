"""Sentry's issue workflow keys, mixed into the App through TriageKeysMixin: archive,
resolve in the next / a chosen release, priority, mark reviewed, bookmark.

Each key checks what the server can do (`Capabilities`): a feature it lacks is said in one
line and nothing is sent.  Modals return data; the TriageEngine does the I/O.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sxtriage.core.session import Session
from sxtriage.models import Action, ActionKind, IgnoreSpec, Issue, Release, Source
from sxtriage.sentry.capabilities import FULL, Capabilities, Feature
from sxtriage.ui.bindings import REGISTRY

if TYPE_CHECKING:
    from sxtriage.triage.actions import TriageEngine

log = logging.getLogger(__name__)

FEATURE_NAMES = {
    Feature.PRIORITY: "Priority",
    Feature.INBOX: "Mark reviewed",
    Feature.BOOKMARKS: "Bookmarks",
    Feature.RESOLVE_IN_RELEASE: "Resolve in a release",
    Feature.RELEASES: "The release list",
    Feature.ARCHIVE_UNTIL_ESCALATING: "Archive until escalating",
    Feature.ARCHIVE_CONDITIONS: "Archive on a condition",
    Feature.ASSIGN: "Assign",
}


def new_action(kind: ActionKind, issues: list[Issue], **fields: Any) -> Action:
    return Action(id=uuid.uuid4().hex, kind=kind, issues=[i.key for i in issues], **fields)


def capabilities_of(session: Session) -> Capabilities:
    """What the Sentry server can do; everything when there is no Sentry (relay only)."""
    return session.sentry.capabilities if session.sentry is not None else FULL


def unavailable_keys(session: Session) -> dict[str, str]:
    """Binding id → why the server cannot do it (for `?` help)."""
    caps = capabilities_of(session)
    out: dict[str, str] = {}
    for spec in REGISTRY:
        if spec.feature and (reason := caps.reason(Feature(spec.feature))):
            out[spec.id] = reason
    return out


RELEASE_LOOKUPS = 25
"""At most this many latest events are fetched to learn whether issues carry a release."""


async def without_release(session: Session, issues: list[Issue]) -> list[Issue]:
    """The issues whose events carry no release.  An issue's own release fields decide
    when set (the issue list of Sentry leaves them out), else its latest event does."""
    unknown = [i for i in issues if not (i.release or i.first_release)]

    async def carries(issue: Issue) -> bool:
        source = session.detail_for(issue)
        if source is None:
            return False
        try:
            event = await source.latest_event(issue)
        except Exception as exc:
            # Only a hint: whatever the server or the network answered (untrusted, maybe
            # malformed), the user is not stopped; "cannot tell" counts as carrying one.
            log.info("release lookup for %s failed: %r", issue.short_id, exc)
            return True
        return bool(event is not None and event.release)

    looked = unknown[:RELEASE_LOOKUPS]
    found = await asyncio.gather(*(carries(i) for i in looked))
    return [i for i, has in zip(looked, found, strict=True) if not has]


class WorkflowKeysMixin:
    # Provided by TriageKeysMixin / the App.
    session: Session
    now: Callable[[], datetime]
    notify: Callable[..., None]
    push_screen: Callable[..., Any]
    _triage_targets: Callable[[], tuple[TriageEngine, list[Issue]] | None]
    _confirm_then: Callable[..., None]
    _spawn: Callable[[Awaitable[None]], None]
    _submit: Callable[[Action, list[Issue]], Awaitable[None]]

    # --- helpers --------------------------------------------------------------------
    def _lacks(self, feature: Feature, issues: list[Issue]) -> bool:
        """True (after saying why) when Sentry issues need a feature the server lacks."""
        if not any(i.source is Source.SENTRY for i in issues):
            return False
        reason = capabilities_of(self.session).reason(feature)
        if reason:
            name = FEATURE_NAMES.get(feature, feature.value)
            self.notify(f"{name} is unavailable: {reason}", severity="warning", markup=False)
            return True
        return False

    def _sentry_only(self, issues: list[Issue], what: str) -> list[Issue]:
        """The Sentry issues among `issues`; says so when local (relay) ones are left out."""
        sentry = [i for i in issues if i.source is Source.SENTRY]
        local = len(issues) - len(sentry)
        if local and not sentry:
            only = issues[0].short_id if len(issues) == 1 else f"these {local} issues"
            self.notify(
                f"{only}: local (relay) issues have no {what}; it lives in Sentry.",
                markup=False,
            )
        elif local:
            self.notify(f"Skipping {local} local (relay) issue(s): no {what} there.")
        return sentry

    def _go(
        self,
        kind: ActionKind,
        issues: list[Issue],
        verb: str,
        *,
        title: str | None = None,
        **fields: Any,
    ) -> None:
        action = new_action(kind, issues, **fields)
        self._confirm_then(issues, verb, lambda: self._submit(action, issues), title=title)

    # --- archive --------------------------------------------------------------------
    def action_archive(self) -> None:
        ready = self._triage_targets()
        if ready is None:
            return
        _engine, issues = ready
        from sxtriage.ui.modals.archive import ArchiveModal

        caps = capabilities_of(self.session)
        sentry = any(i.source is Source.SENTRY for i in issues)

        def why(feature: Feature) -> str | None:
            reason = caps.reason(feature) if sentry else None
            return f"{FEATURE_NAMES[feature]}: {reason}" if reason else None

        def chosen(spec: IgnoreSpec | None) -> None:
            if spec is not None:
                self._go(ActionKind.ARCHIVE, issues, "Archive", ignore=spec)

        modal = ArchiveModal(
            count=len(issues),
            until_escalating=why(Feature.ARCHIVE_UNTIL_ESCALATING),
            conditions=why(Feature.ARCHIVE_CONDITIONS),
        )
        self.push_screen(modal, chosen)

    # --- resolve in a release ---------------------------------------------------------
    def action_resolve_next_release(self) -> None:
        ready = self._triage_targets()
        if ready is None:
            return
        _engine, issues = ready
        if self._lacks(Feature.RESOLVE_IN_RELEASE, issues):
            return
        from sxtriage.ui.modals.release import ARCHIVE, IN_RELEASE, NOW, NoReleaseModal

        def chosen(choice: str | None) -> None:
            if choice == NOW:
                self._go(ActionKind.RESOLVE, issues, "Resolve")
            elif choice == IN_RELEASE:
                self._pick_release(issues)
            elif choice == ARCHIVE:
                spec = IgnoreSpec(until_escalating=True)
                self._go(ActionKind.ARCHIVE, issues, "Archive", ignore=spec)

        async def check() -> None:
            missing = await without_release(self.session, issues)
            if not missing:
                self._go(ActionKind.RESOLVE_NEXT_RELEASE, issues, "Resolve in next release")
                return
            modal = NoReleaseModal([i.short_id for i in missing], len(issues))
            self.push_screen(modal, chosen)

        self._spawn(check())

    def action_resolve_in_release(self) -> None:
        ready = self._triage_targets()
        if ready is None:
            return
        _engine, issues = ready
        self._pick_release(issues)

    def _pick_release(self, issues: list[Issue]) -> None:
        issues = self._sentry_only(issues, "releases")
        if not issues or self._lacks(Feature.RESOLVE_IN_RELEASE, issues):
            return
        if self._lacks(Feature.RELEASES, issues):
            return
        projects = sorted({i.project or i.service for i in issues})
        if len(projects) > 1:
            self.notify(
                f"Resolve in a release works on one project at a time (Sentry's rule); the "
                f"marked issues are in {', '.join(projects)}: mark issues of one project.",
                severity="warning",
                markup=False,
            )
            return
        engine = self.session.triage
        if engine is None:
            return
        from sxtriage.ui.modals.release import ReleaseModal

        async def load() -> None:
            releases = await engine.releases(projects[0])  # a failure: LoudWorkers says why
            if not releases:
                self.notify(
                    f"Sentry has no release of {projects[0]}: resolve now (r) or archive (i).",
                    severity="warning",
                    markup=False,
                )
                return

            def chosen(release: Release | None) -> None:
                if release is not None:
                    version = release.version
                    title = f"Resolve {len(issues)} issues in {version}?"
                    kind = ActionKind.RESOLVE_IN_RELEASE
                    self._go(kind, issues, "Resolve", title=title, release=version)

            modal = ReleaseModal(releases, project=projects[0], count=len(issues), now=self.now())
            self.push_screen(modal, chosen)

        self._spawn(load())

    # --- priority, review, bookmark -----------------------------------------------------
    def action_set_priority(self) -> None:
        ready = self._triage_targets()
        if ready is None:
            return
        _engine, issues = ready
        issues = self._sentry_only(issues, "priority")
        if not issues or self._lacks(Feature.PRIORITY, issues):
            return
        from sxtriage.ui.modals.priority import PriorityModal

        current = {i.priority for i in issues}
        one = current.pop() if len(current) == 1 else None

        def chosen(priority: str | None) -> None:
            if priority:
                title = f"Set the priority of {len(issues)} issues to {priority}?"
                kind = ActionKind.SET_PRIORITY
                self._go(kind, issues, "Set priority", title=title, priority=priority)

        self.push_screen(PriorityModal(len(issues), one), chosen)

    def action_mark_reviewed(self) -> None:
        ready = self._triage_targets()
        if ready is None:
            return
        _engine, issues = ready
        issues = self._sentry_only(issues, "For Review inbox")
        if not issues or self._lacks(Feature.INBOX, issues):
            return
        waiting = [i for i in issues if i.for_review]
        if not waiting:
            what = issues[0].short_id if len(issues) == 1 else "None of the marked issues"
            verb = "is not" if len(issues) == 1 else "is"
            self.notify(f"{what} {verb} waiting for review.", markup=False)
            return
        self._go(ActionKind.REVIEW, waiting, "Mark reviewed", for_review=False)

    def action_toggle_bookmark(self) -> None:
        ready = self._triage_targets()
        if ready is None:
            return
        _engine, issues = ready
        issues = self._sentry_only(issues, "bookmarks")
        if not issues or self._lacks(Feature.BOOKMARKS, issues):
            return
        on = not all(i.is_bookmarked for i in issues)
        verb = "Bookmark" if on else "Remove the bookmark of"
        self._go(ActionKind.BOOKMARK, issues, verb, bookmark=on)
