"""Your own commands (`[[commands]]`) on keys: run a program on the cursor's issue.

The keys come from the registry's shape (`bindings.user_command_specs`), so `?` help and
the palette list them with their title; a key that collides with a built-in one is
refused at start (one line naming both).  The fields come from the issue and its latest
event (fetched in a worker when the screen has not loaded it); `user_commands.argv` puts
each value into its own argument and no shell ever runs.  `mode = "detached"` starts the
program in the background; `mode = "terminal"` suspends the TUI (`App.suspend`), runs it
in the foreground and comes back.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported

from sxtriage.config import CommandConfig
from sxtriage.models import Event, Issue
from sxtriage.ui.bindings import KeySpec, user_command_specs
from sxtriage.user_commands import CommandError, argv, fields_of, run_detached

if TYPE_CHECKING:
    from sxtriage.ui.host import AppHost


class UserCommandsMixin:
    user_specs: list[KeySpec]
    user_commands: list[CommandConfig]

    def bind_user_commands(self: AppHost) -> list[str]:
        """Bind the configured commands; returns the refusals (one line each)."""
        configured = list(self.session.settings.commands)
        specs, errors = user_command_specs(
            [(c.key, c.title) for c in configured], self.keymap_overrides
        )
        self.user_commands = configured
        self.user_specs = specs
        for spec in specs:
            self._bindings.bind(spec.keys, spec.action, spec.description, show=False)
        return errors

    def action_user_command(self: AppHost, index: int) -> None:
        if not 0 <= index < len(self.user_commands):
            return
        command = self.user_commands[index]
        issue = self.current_issue()
        if issue is None:
            self.notify(f"{command.title}: move the cursor onto an issue first.", markup=False)
            return
        self.run_worker(
            self._run_user_command(command, issue, self._loaded_event(issue)),
            name=command.title,
            group="user-commands",
        )

    def _loaded_event(self: AppHost, issue: Issue) -> Event | None:
        from sxtriage.ui.screens.issue.screen import IssueScreen

        screen = self.screen
        if isinstance(screen, IssueScreen) and screen.key == issue.key:
            return screen.event
        return None

    async def _run_user_command(
        self: AppHost, command: CommandConfig, issue: Issue, event: Event | None
    ) -> None:
        if event is None:
            source = self.session.detail_for(issue)
            if source is not None:
                event = await source.latest_event(issue)
        try:
            args = argv(command, fields_of(issue, event))
        except CommandError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        if command.mode == "detached":
            try:
                started = await run_detached(args)
            except OSError as exc:
                self.notify(f"{command.title}: {exc}", severity="error", markup=False)
                return
            self.notify(f"{command.title}: started (pid {started.pid})", markup=False, timeout=3)
            return
        try:
            with self.suspend():
                # The TUI is suspended and must not draw until the program exits, so it
                # waits here, as Textual's `App.suspend` expects (the sources catch up after).
                code = subprocess.run(args, check=False).returncode  # noqa: ASYNC221
        except SuspendNotSupported:
            self.notify(
                f'{command.title}: this terminal cannot be suspended; use mode = "detached"',
                severity="warning",
                markup=False,
            )
            return
        except OSError as exc:
            self.notify(f"{command.title}: {exc}", severity="error", markup=False)
            return
        self.refresh()
        if code != 0:
            self.notify(f"{command.title}: exited with status {code}", severity="warning")
