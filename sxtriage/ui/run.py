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
            dialect_override=settings.server_dialect,
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


async def _relay_answers(url: str) -> bool:
    """A relay (ours or a Spotlight sidecar) already listens at `url`."""
    import httpx

    try:
        async with httpx.AsyncClient(timeout=0.5) as http:
            resp = await http.get(f"{url}/health")
    except httpx.HTTPError:
        return False
    return resp.status_code == 200


async def _org_services(settings: Settings) -> Settings:
    """No [services] in config: the org's projects are the services (cached per org)."""
    from sxtriage.sentry import services as org_services
    from sxtriage.sentry.client import SentryClient
    from sxtriage.sentry.errors import SentryError

    assert settings.sentry_org and settings.sentry_token
    data_dir = settings.resolved_data_dir
    found = org_services.load_cached(data_dir, settings.sentry_url, settings.sentry_org)
    if found is None:
        client = SentryClient(
            settings.sentry_url,
            settings.sentry_org,
            settings.sentry_token.get_secret_value(),
            dialect_override=settings.server_dialect,
            timeout=5,
            max_retries=0,
        )
        try:
            projects = await client.list_projects()
        except SentryError:
            return settings  # the poller reports the problem on screen
        finally:
            await client.aclose()
        if not projects:
            return settings
        found = org_services.services_from_projects(projects)
        org_services.save_cached(data_dir, settings.sentry_url, settings.sentry_org, found)
    return settings.model_copy(update={"services": found})


async def _main(loaded: LoadedSettings, store: Store) -> int:
    settings = loaded.settings
    notes: list[str] = []
    from_org = loaded.origins.get("services", "default") == "default"
    if settings.sentry_org and settings.sentry_token and from_org:
        settings = await _org_services(settings)
    embedded = None
    if not settings.relay_url:
        local = f"http://{settings.relay_host}:{settings.relay_port}"
        if await _relay_answers(local):
            settings = settings.model_copy(update={"relay_url": local})
        elif settings.relay_embed:
            from sxtriage.relay.server import RelayServer

            embedded = RelayServer(settings, store)
            url = await embedded.start(settings.relay_host, settings.relay_port)
            settings = settings.model_copy(update={"relay_url": url})
            notes.append(f"relay: embedded, listening on {url}")
        else:
            notes.append(
                f"relay: none on {local}; run `sxtriage relay` there or set [relay] embed = true"
            )
    backend = build_backend(settings, store)
    for line in notes:
        backend.toast(line, "information")
    try:
        return await run_app(backend)
    finally:
        if embedded is not None:
            await embedded.stop()


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
    tune_runtime()  # rare full collections, prompt thread switches (see runtime_tuning.py)
    store = Store(settings.db_path)
    try:
        return asyncio.run(_main(loaded, store))
    finally:
        store.close()
