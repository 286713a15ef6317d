"""`sxtriage` with no command: the TUI on the configured Sentry (and relay, if any)."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from sxtriage.config import LoadedSettings, Settings
from sxtriage.runtime_tuning import tune_runtime
from sxtriage.store import Store
from sxtriage.ui.backend import Backend


def build_backend(settings: Settings, store: Store) -> Backend:
    """Sentry client + poller when org and token are set; relay client when a URL is."""
    sentry: Any | None = None
    detail: Any | None = None
    if settings.sentry_org and settings.sentry_token is not None:
        from sxtriage.sentry.client import SentryClient, SentryDetailSource

        sentry = SentryClient(
            settings.sentry_url,
            settings.sentry_org,
            settings.sentry_token.get_secret_value(),
            services=settings.services,
        )
        detail = SentryDetailSource(sentry)
    relay: Any | None = None
    if settings.relay_url:
        from sxtriage.relay.client import RelayClient

        projects = {
            pid: name for name, svc in settings.services.items() for pid in svc.relay_project_ids
        }
        relay = RelayClient(settings.relay_url, projects=projects)
    backend = Backend(settings, store, sentry=sentry, sentry_detail=detail, relay=relay)
    if sentry is not None:
        try:
            from sxtriage.sentry.poller import SentryPoller
        except ImportError:
            backend.toast("Sentry polling is not available in this build.", "warning")
        else:
            backend.poller = SentryPoller(
                sentry, settings, on_delta=backend.on_delta, on_health=backend.on_health
            )
    backend.load_cache()
    return backend


async def run_app(backend: Backend) -> int:
    from sxtriage.ui.app import SxTriageApp

    app = SxTriageApp(backend)
    await app.run_async()
    return app.return_code or 0


def run_tui(loaded: LoadedSettings) -> int:
    settings = loaded.settings
    if not (settings.sentry_org and settings.sentry_token) and not settings.relay_url:
        click.echo(
            "sxtriage: no Sentry org/token configured; run `sxtriage login` and set SENTRY_ORG "
            "(or [sentry] org), pass --relay URL, or try `sxtriage demo`",
            err=True,
        )
        return 2
    tune_runtime()  # rare full collections, prompt thread switches (see runtime_tuning.py)
    store = Store(settings.db_path)
    try:
        backend = build_backend(settings, store)
        return asyncio.run(run_app(backend))
    finally:
        store.close()
