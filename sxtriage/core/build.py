"""Build a `Session` from the settings: Sentry client + poller when org and token are set;
the relay embedded in this process read in-process (`relay/inproc.py`), or an external
relay / Spotlight sidecar read over its SSE stream when a relay URL is set.

`open_session` is what `sxtriage` runs: the org's projects become the services when the
config names none, a relay already listening on the default address is joined, else one
is embedded when `[relay] embed = true`.
"""

from __future__ import annotations

import httpx

from sxtriage.config import LoadedSettings, Settings
from sxtriage.core.session import Session
from sxtriage.ports import RelaySource
from sxtriage.relay.client import RelayClient
from sxtriage.relay.inproc import InProcessRelay
from sxtriage.relay.server import RelayServer
from sxtriage.sentry import services as org_services
from sxtriage.sentry.client import SentryClient
from sxtriage.sentry.detail import SentryDetailSource
from sxtriage.sentry.errors import SentryError
from sxtriage.sentry.poller import SentryPoller
from sxtriage.store import Store

RELAY_PROBE_SECONDS = 0.5


def relay_projects(settings: Settings) -> dict[int, str]:
    """DSN project id → service, from the service map."""
    return {pid: name for name, svc in settings.services.items() for pid in svc.relay_project_ids}


def sentry_client(settings: Settings) -> SentryClient | None:
    return SentryClient.from_settings(settings)


def build_session(
    settings: Settings,
    store: Store,
    *,
    sentry: SentryClient | None = None,
    relay_server: RelayServer | None = None,
) -> Session:
    """A session over the configured sources (or the Sentry client given), its cache
    loaded.  With `relay_server` (started by the caller, stopped with the session) the
    session reads that relay in-process, whatever `relay_url` says."""
    sentry = sentry if sentry is not None else sentry_client(settings)
    relay: RelaySource | None = None
    if relay_server is not None:
        relay = InProcessRelay(
            relay_server.broadcaster, relay_server.store, projects=relay_projects(settings)
        )
    elif settings.relay_url:
        relay = RelayClient(settings.relay_url, projects=relay_projects(settings))
    session = Session(
        settings,
        store,
        sentry=sentry,
        sentry_detail=SentryDetailSource(sentry) if sentry is not None else None,
        relay=relay,
    )
    if sentry is not None:
        session.poller = SentryPoller(
            sentry, settings, on_delta=session.on_delta, on_health=session.on_health
        )
    if relay_server is not None:
        session.embedded.append(relay_server)
    session.load_cache()
    return session


async def relay_answers(url: str) -> bool:
    """A relay (ours or a Spotlight sidecar) already listens at `url`."""
    try:
        async with httpx.AsyncClient(timeout=RELAY_PROBE_SECONDS) as http:
            resp = await http.get(f"{url}/health")
    except httpx.HTTPError:
        return False
    return resp.status_code == 200


async def org_services_of(settings: Settings) -> Settings:
    """No [services] in config: the org's projects are the services (cached per org)."""
    assert settings.sentry_org and settings.sentry_token
    data_dir = settings.resolved_data_dir
    found = org_services.load_cached(data_dir, settings.sentry_url, settings.sentry_org)
    if found is None:
        client = SentryClient.from_settings(settings, timeout=5, max_retries=0)
        assert client is not None
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


async def open_session(loaded: LoadedSettings, store: Store) -> Session:
    """The session `sxtriage` runs: services, relay joined or embedded; notes as notices."""
    settings = loaded.settings
    notes: list[str] = []
    from_org = loaded.origins.get("services", "default") == "default"
    if settings.sentry_org and settings.sentry_token and from_org:
        settings = await org_services_of(settings)
    embedded: RelayServer | None = None
    if not settings.relay_url:
        local = f"http://{settings.relay_host}:{settings.relay_port}"
        if await relay_answers(local):
            settings = settings.model_copy(update={"relay_url": local})
        elif settings.relay_embed:
            embedded = RelayServer(settings, store)
            url = await embedded.start(settings.relay_host, settings.relay_port)
            settings = settings.model_copy(update={"relay_url": url})
            notes.append(f"relay: embedded, listening on {url}")
        else:
            notes.append(
                f"relay: none on {local}; run `sxtriage relay` there or set [relay] embed = true"
            )
    try:
        session = build_session(settings, store, relay_server=embedded)
    except BaseException:
        if embedded is not None:
            await embedded.stop()
        raise
    for line in notes:
        session.notify(line, "information")
    return session
