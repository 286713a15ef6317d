"""Triage key actions, mixed into the App: resolve, assign, tickets, links, undo; Sentry's
workflow keys (archive, releases, priority, review, bookmark) come from WorkflowKeysMixin.

The App provides `self.session` (the running Session: settings, store, feed, triage,
detail_for), `self.selected_issues()`, `self.current_issue()` and Textual's `notify`.
Every action is handed to `session.triage` (the TriageEngine); nothing here speaks HTTP
except through the engine, in background workers (a failure is reported by the app's
`LoudWorkers`: a toast and the log file).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from sxtriage.models import Action, ActionKind, Issue
from sxtriage.sentry.capabilities import Feature
from sxtriage.ui.actions.workflow import WorkflowKeysMixin, new_action

if TYPE_CHECKING:
    from sxtriage.triage.actions import TriageEngine


def _plural(n: int) -> str:
    return "1 issue" if n == 1 else f"{n} issues"


class TriageKeysMixin(WorkflowKeysMixin):
    """Textual action methods for the triage keys (see ui/bindings.py for the keys)."""

    # The App provides these; declared for type checkers only (`session` in WorkflowKeysMixin).
    selected_issues: Callable[[], list[Issue]]
    current_issue: Callable[[], Issue | None]
    notify: Callable[..., None]
    push_screen: Callable[..., Any]
    run_worker: Callable[..., Any]

    link_opener: Callable[[str], bool] | None = None
    """Opens an http(s) URL in a browser; None = `webbrowser.open` (tests inject one)."""
    link_env: Mapping[str, str] | None = None
    """Environment used to decide whether a browser can be shown; None = `os.environ`."""

    # --- helpers --------------------------------------------------------------------
    def _engine(self) -> TriageEngine | None:
        engine = self.session.triage
        if engine is None:
            self.notify(
                "Triage is not ready yet (no Sentry or relay connection).", severity="warning"
            )
        return engine

    def _targets(self) -> list[Issue]:
        issues = list(self.selected_issues() or [])
        if not issues:
            self.notify(
                "No issue selected: move the cursor onto an issue first.", severity="warning"
            )
        return issues

    def _triage_targets(self) -> tuple[TriageEngine, list[Issue]] | None:
        """The triage engine and the issues an action applies to; None (after saying
        which is missing) when either is."""
        engine = self._engine()
        if engine is None:
            return None
        issues = self._targets()
        return (engine, issues) if issues else None

    def _confirm_then(
        self,
        issues: list[Issue],
        verb: str,
        go: Callable[[], Awaitable[None]],
        *,
        always: bool = False,
        title: str | None = None,
    ) -> None:
        """One confirmation for more than one issue (or a destructive action), then `go`."""
        if len(issues) <= 1 and not always:
            self._spawn(go())
            return
        from sxtriage.ui.modals.confirm import ConfirmModal

        def done(ok: bool | None) -> None:
            if ok:
                self._spawn(go())

        text = title or f"{verb} {_plural(len(issues))}?"
        self.push_screen(ConfirmModal(text, _summary(issues)), done)

    def _spawn(self, coro: Awaitable[None]) -> None:
        """Run in a worker; a failure says "Action failed: <why>" (LoudWorkers)."""
        self.run_worker(coro, name="Action", group="triage")

    async def _submit(self, action: Action, issues: list[Issue]) -> None:
        engine = self._engine()
        if engine is not None:
            await engine.submit(action, issues)

    def _simple(self, kind: ActionKind, verb: str, **fields: Any) -> None:
        ready = self._triage_targets()
        if ready is None:
            return
        _engine, issues = ready
        action = new_action(kind, issues, **fields)
        self._confirm_then(issues, verb, lambda: self._submit(action, issues))

    # --- status -----------------------------------------------------------------------
    def action_resolve(self) -> None:
        self._simple(ActionKind.RESOLVE, "Resolve")

    def action_unresolve(self) -> None:
        self._simple(ActionKind.UNRESOLVE, "Unresolve")

    # --- assignment ---------------------------------------------------------------------
    def action_assign(self) -> None:
        ready = self._triage_targets()
        if ready is None or self._lacks(Feature.ASSIGN, ready[1]):
            return
        engine, issues = ready
        from sxtriage.ui.modals.assign import AssignChoice, AssignModal

        async def open_modal() -> None:
            services = self.session.settings.services
            candidates = await engine.assign_candidates(issues, services)

            def chosen(choice: AssignChoice | None) -> None:
                if choice is None:
                    return
                action = new_action(
                    ActionKind.ASSIGN, issues, assign_to=choice.actor, assign_label=choice.label
                )
                self._confirm_then(issues, "Assign", lambda: self._submit(action, issues))

            self.push_screen(AssignModal(candidates), chosen)

        self._spawn(open_modal())

    def action_assign_me(self) -> None:
        ready = self._triage_targets()
        if ready is None or self._lacks(Feature.ASSIGN, ready[1]):
            return
        engine, issues = ready

        async def go() -> None:
            me = await engine.me_actor()
            if me is None:
                self.notify(
                    'Don\'t know who you are: set `me = "you@example.com"` in config.toml.',
                    severity="warning",
                    markup=False,
                )
                return
            actor, label = me
            action = new_action(ActionKind.ASSIGN, issues, assign_to=actor, assign_label=label)
            await self._submit(action, issues)

        self._confirm_then(issues, "Assign to me", go)

    # --- GitHub ---------------------------------------------------------------------------
    def action_create_ticket(self) -> None:
        """One GitHub issue for the current issue, or for all marked issues (an incident)."""
        engine = self._engine()
        if engine is None:
            return
        marked = list(self.selected_issues() or [])
        if len(marked) > 1:
            from sxtriage.ui.modals.ticket import start_incident_flow

            self._spawn(start_incident_flow(self, marked, self.notify))
            return
        issue = self.current_issue()
        if issue is None:
            self.notify(
                "No issue selected: move the cursor onto an issue first.", severity="warning"
            )
            return
        from sxtriage.ui.modals.ticket import start_ticket_flow

        self._spawn(start_ticket_flow(self, issue, self.notify))

    def action_open_ticket(self) -> None:
        issue = self.current_issue()
        if issue is None:
            return
        engine = self.session.triage
        url = issue.linked_ticket or (engine.linked_tickets.get(issue.key) if engine else None)
        if not url:
            self.notify(
                f"{issue.short_id} has no linked ticket; press t to create one.", markup=False
            )
            return
        self._open(url)

    # --- links -----------------------------------------------------------------------------
    def action_open_sentry(self) -> None:
        issue = self.current_issue()
        if issue is None:
            return
        if not issue.permalink:
            self.notify(f"{issue.short_id} has no Sentry link (a local issue).", markup=False)
            return
        self._open(issue.permalink)

    def _open(self, url: str) -> None:
        from sxtriage.triage.links import open_link

        if self.link_opener is not None:
            result = open_link(url, app=self, opener=self.link_opener, env=self.link_env)
        else:
            result = open_link(url, app=self, env=self.link_env)
        self.notify(result.message, severity=result.severity, markup=False)

    def action_copy_link(self) -> None:
        issue = self.current_issue()
        if issue is None:
            return
        from sxtriage.triage.links import copy_text

        text = issue.permalink or issue.short_id
        result = copy_text(text, app=self)
        self.notify(result.message, severity=result.severity, markup=False)

    # --- undo / retry / handoff ---------------------------------------------------------------
    def action_undo(self) -> None:
        engine = self._engine()
        if engine is None:
            return

        async def go() -> None:
            undone = await engine.undo()
            if undone is None:
                self.notify("Nothing to undo.")

        self._spawn(go())

    def action_retry_failed(self) -> None:
        """Send every failed (rolled back) action again, oldest first."""
        if self._engine() is None:
            return

        async def go() -> None:
            self.notify(await self.retry_failed_message())

        self._spawn(go())

    async def retry_failed_message(self) -> str:
        engine = self._engine()
        if engine is None:
            return "Triage is not ready yet."
        count = await engine.retry_all_failed()
        if not count:
            return "No failed action to retry."
        return f"Retrying {count} failed action(s)."

    def action_handoff(self) -> None:
        from sxtriage.triage.handoff import write_handoff

        session = self.session

        async def go() -> None:
            path = await asyncio.to_thread(write_handoff, session.settings, session.store)
            self.notify(f"Handoff report written to {path}", markup=False)

        self._spawn(go())


def _summary(issues: list[Issue], limit: int = 5) -> str:
    lines = [f"{i.short_id}  {i.title[:60]}" for i in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"… and {len(issues) - limit} more")
    return "\n".join(lines)
