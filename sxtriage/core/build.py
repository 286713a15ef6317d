"""Build a `Session` from the settings: Sentry client + poller when org and token are set;
the relay embedded in this process read in-process (`relay/inproc.py`), or an external
relay / Spotlight sidecar read over its SSE stream when a relay URL is set.

`prepare_session` is what `sxtriage` runs: a session over the store with the issue cache
loaded and no source yet, so the first frame shows the cache at once.  Its `connect`
(run when the session starts, after the first frame) does the rest: the org's projects
become the services when the config names none (cached per org; the first run asks
Sentry), a relay already listening on the default address is joined, else one is
embedded when `[relay] embed = true`; the sources are built — their HTTP stacks imported
and their clients made on a worker thread — and attached.

`build_session` builds all of it at once (the demo, tests, benchmarks).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from sxtriage.config import LoadedSettings, ServiceConfig, Settings
from sxtriage.core.session import Session
from sxtriage.ports import DetailSource, GitHubSource, RelaySource
from sxtriage.store import Store

if TYPE_CHECKING:
    from sxtriage.relay.server import RelayServer
    from sxtriage.sentry.client import SentryClient

RELAY_PROBE_SECONDS = 0.5
ORG_LOOKUP_SECONDS = 5.0


def relay_projects(settings: Settings) -> dict[int, str]:
    """DSN project id → service, from the service map."""
    return {pid: name for name, svc in settings.services.items() for pid in svc.relay_project_ids}


def sentry_client(settings: Settings) -> SentryClient | None:
    from sxtriage.sentry.client import SentryClient

    return SentryClient.from_settings(settings)


@dataclass
class Sources:
    """What `build_sources` made, for `Session.attach`."""

    sentry: SentryClient | None
    sentry_detail: DetailSource | None
    relay: RelaySource | None
    github: GitHubSource

    async def aclose(self) -> None:
        """Close the clients (a session stopped before they were attached)."""
        for client in (self.sentry, self.relay, self.github):
            if client is not None:
                await client.aclose()


def build_sources(
    settings: Settings,
    *,
    sentry: SentryClient | None = None,
    relay_server: RelayServer | None = None,
) -> Sources:
    """The sources' clients (no I/O: runs on a worker thread too).  With `relay_server`
    the relay is read in-process, whatever `relay_url` says."""
    from sxtriage.sentry.detail import SentryDetailSource
    from sxtriage.triage.github import GitHubClient

    sentry = sentry if sentry is not None else sentry_client(settings)
    relay: RelaySource | None = None
    if relay_server is not None:
        from sxtriage.relay.inproc import InProcessRelay

        relay = InProcessRelay(
            relay_server.broadcaster, relay_server.store, projects=relay_projects(settings)
        )
    elif settings.relay_url:
        from sxtriage.relay.client import RelayClient

        relay = RelayClient(settings.relay_url, projects=relay_projects(settings))
    token = settings.github_token
    github = GitHubClient(settings.github_api_url, token.get_secret_value() if token else None)
    detail = SentryDetailSource(sentry) if sentry is not None else None
    return Sources(sentry, detail, relay, github)


def attach_sources(
    session: Session, sources: Sources, relay_server: RelayServer | None = None
) -> None:
    """The sources into the session (and the poller over its Sentry client)."""
    poller = None
    if sources.sentry is not None:
        from sxtriage.sentry.poller import SentryPoller

        poller = SentryPoller(
            sources.sentry,
            session.settings,
            on_delta=session.on_delta,
            on_health=session.on_health,
        )
    session.attach(
        sentry=sources.sentry,
        sentry_detail=sources.sentry_detail,
        relay=sources.relay,
        github=sources.github,
        poller=poller,
    )
    if relay_server is not None:
        session.embedded.append(relay_server)


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
    session = Session(settings, store)
    sources = build_sources(settings, sentry=sentry, relay_server=relay_server)
    attach_sources(session, sources, relay_server)
    session.load_cache()
    return session


async def relay_answers(url: str) -> bool:
    """A relay (ours or a Spotlight sidecar) already listens at `url`."""
    import httpx

    try:
        async with httpx.AsyncClient(timeout=RELAY_PROBE_SECONDS) as http:
            resp = await http.get(f"{url}/health")
    except httpx.HTTPError:
        return False
    return resp.status_code == 200


def _wants_org_services(loaded: LoadedSettings) -> bool:
    settings = loaded.settings
    from_org = loaded.origins.get("services", "default") == "default"
    return bool(settings.sentry_org and settings.sentry_token and from_org)


def cached_org_services(settings: Settings) -> dict[str, ServiceConfig] | None:
    """The org's projects as services, as cached by an earlier run (no network)."""
    from sxtriage.sentry import services as org_services

    assert settings.sentry_org
    return org_services.load_cached(
        settings.resolved_data_dir, settings.sentry_url, settings.sentry_org
    )


async def read_org_services(settings: Settings) -> dict[str, ServiceConfig] | str:
    """The org's projects as services, asked of Sentry (and cached for the next start);
    or why not, in one line."""
    from sxtriage.sentry import services as org_services
    from sxtriage.sentry.client import SentryClient
    from sxtriage.sentry.errors import SentryError

    assert settings.sentry_org
    client = SentryClient.from_settings(settings, timeout=ORG_LOOKUP_SECONDS, max_retries=0)
    assert client is not None
    try:
        projects = await client.list_projects()
    except SentryError as exc:
        return f"The org's projects were not read ({exc}); showing the default services"
    finally:
        await client.aclose()
    if not projects:
        return f"Sentry lists no project in {settings.sentry_org}; showing the default services"
    found = org_services.services_from_projects(projects)
    org_services.save_cached(
        settings.resolved_data_dir, settings.sentry_url, settings.sentry_org, found
    )
    return found


async def org_services_of(settings: Settings) -> Settings:
    """No [services] in config: the org's projects are the services (cached per org);
    the settings unchanged when Sentry does not say (the poller reports why on screen)."""
    found = cached_org_services(settings)
    if found is None:
        answer = await read_org_services(settings)
        if isinstance(answer, str):
            return settings
        found = answer
    return settings.model_copy(update={"services": found})


def _import_stacks(embed: bool) -> None:
    """The sources' modules (httpx, aiohttp, the relay; ≈ 0.3 s), imported off the loop."""
    import sxtriage.relay.client
    import sxtriage.sentry.client
    import sxtriage.sentry.detail
    import sxtriage.sentry.poller
    import sxtriage.triage.actions
    import sxtriage.triage.github

    if embed:
        import sxtriage.relay.inproc
        import sxtriage.relay.server  # noqa: F401


def prepare_session(loaded: LoadedSettings, store: Store) -> Session:
    """The session `sxtriage` shows first: the cached (or default) services and the
    newest cached issues, no source yet; `session.connect` builds the sources when the
    session starts."""
    settings = loaded.settings
    ask_org = False
    if _wants_org_services(loaded):
        found = cached_org_services(settings)
        if found is not None:
            settings = settings.model_copy(update={"services": found})
        else:
            ask_org = True
    if not settings.relay_url and settings.relay_embed:
        start_resource_tracker()
    session = Session(settings, store)
    session.load_cache()
    session.connect = partial(connect_sources, ask_org=ask_org)
    return session


def start_resource_tracker() -> None:
    """An embedded relay scrubs in spawned processes, whose start launches
    multiprocessing's resource tracker with sys.stderr's file descriptor; while the app
    runs, sys.stderr is Textual's capture (no descriptor): launched now, before it."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


async def connect_sources(session: Session, *, ask_org: bool = False) -> None:
    """Build the session's sources and attach them; a part that fails is said in one
    line and the rest still comes.  The imports and the clients are made on a worker
    thread: the event loop keeps drawing."""
    settings = session.settings
    if ask_org:
        session.notify("Reading the org's projects from Sentry…")
    await asyncio.to_thread(_import_stacks, not settings.relay_url and settings.relay_embed)
    if ask_org:
        answer = await read_org_services(settings)
        if session.stopped:
            return
        if isinstance(answer, str):
            session.notify(answer, "warning")
        else:
            session.set_services(answer)
            settings = session.settings
    settings, embedded = await _relay_for(session, settings)
    if session.stopped:
        return
    sources = await asyncio.to_thread(build_sources, settings, relay_server=embedded)
    if session.stopped:  # and with it the embedded relay
        await sources.aclose()
        return
    session.settings = settings
    attach_sources(session, sources)


async def _relay_for(session: Session, settings: Settings) -> tuple[Settings, RelayServer | None]:
    """No relay URL: join one answering on the default address, else embed one when
    asked to (returned started, stopped with the session); the settings name the
    relay's URL."""
    if settings.relay_url:
        return settings, None
    local = f"http://{settings.relay_host}:{settings.relay_port}"
    if await relay_answers(local):
        return settings.model_copy(update={"relay_url": local}), None
    if not settings.relay_embed:
        session.notify(
            f"relay: none on {local}; run `sxtriage relay` there or set [relay] embed = true"
        )
        return settings, None
    from sxtriage.config import ConfigError
    from sxtriage.relay.server import RelayServer

    embedded = RelayServer(settings, session.store)
    try:
        url = await embedded.start(settings.relay_host, settings.relay_port)
    except (OSError, ConfigError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        session.notify(f"relay: not embedded on {local}: {reason}", "error")
        return settings, None
    if session.stopped:
        await embedded.stop()
        return settings, None
    session.embedded.append(embedded)
    session.notify(f"relay: embedded, listening on {url}")
    return settings.model_copy(update={"relay_url": url}), embedded
