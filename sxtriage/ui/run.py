"""`sxtriage` with no command: the TUI on the configured Sentry (and relay, if any).

The first frame shows the issue cache: the session starts with no source, and builds
them (the org's projects, the relay, the Sentry and GitHub clients) once the app is on
screen (`core/build.py`)."""

from __future__ import annotations

import asyncio
import gc

import click

from sxtriage.config import LoadedSettings
from sxtriage.core.build import prepare_session
from sxtriage.core.session import Session
from sxtriage.runtime_tuning import tune_runtime
from sxtriage.store import Store
from sxtriage.ui.app import SxTriageApp


async def run_app(session: Session) -> int:
    app = SxTriageApp(session)
    await app.run_async()
    return app.return_code or 0


async def _main(loaded: LoadedSettings, store: Store) -> int:
    session = prepare_session(loaded, store)
    try:
        return await run_app(session)
    finally:
        await session.stop()  # done already when the app unmounted cleanly


def run_tui(loaded: LoadedSettings) -> int:
    settings = loaded.settings
    if (
        not (settings.sentry_org and settings.sentry_token)
        and not settings.relay_url
        and not settings.relay_embed
    ):
        click.echo(
            "sxtriage: no Sentry org/token configured; run `sxtriage login` and set SENTRY_ORG "
            "(or [sentry] org), pass --relay URL, set [relay] embed = true, or try "
            "`sxtriage demo`",
            err=True,
        )
        return 2
    # What start-up made (modules, classes, config) lives as long as the process: frozen
    # before tune_runtime's collection, that collection walks none of it (≈ 40 ms).
    gc.freeze()
    tune_runtime()  # rare full collections, prompt thread switches (see runtime_tuning.py)
    store = Store(settings.db_path)
    try:
        return asyncio.run(_main(loaded, store))
    finally:
        store.close()
