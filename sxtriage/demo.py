"""`sxtriage demo`: Sentry API simulator + relay + four simulated services + the TUI.

Everything runs in one process: the simulated services post SDK envelopes to the relay
on loopback, and the TUI reads the relay in-process (no HTTP between them).  The data
dir is a temporary directory unless --data-dir is given.  The relay takes its default
port, or an ephemeral one when that is busy.  Palette commands "Simulate: …" trigger the
traffic generator's scenarios.

The TUI is on screen first: the simulator, the relay and the traffic (and their modules)
start once it is, like the sources of `sxtriage` (`core/build.py`).
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from sxtriage.config import LoadedSettings, Settings
from sxtriage.core.build import attach_sources, build_session, build_sources, start_resource_tracker
from sxtriage.core.session import Session
from sxtriage.store import Store
from sxtriage.ui.app import SxTriageApp

if TYPE_CHECKING:
    from sxtriage.relay.server import RelayServer
    from sxtriage.sim.server import SimServer
    from sxtriage.sim.traffic import TrafficGenerator

DEMO_ME = "oncall@scenextras.dev"


@dataclass
class DemoStack:
    settings: Settings
    store: Store
    sim: SimServer
    relay_server: RelayServer
    traffic: TrafficGenerator
    session: Session
    notes: list[str] = field(default_factory=list)

    async def stop(self) -> None:
        """Traffic first, then the session (its embedded relay last), then the simulator."""
        await self.traffic.stop()
        await self.session.stop()
        await self.sim.stop()


@dataclass
class _Servers:
    sim: SimServer
    relay_server: RelayServer
    settings: Settings
    """The settings pointed at the simulator and the relay."""
    notes: list[str]


def _demo_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"me": settings.me or DEMO_ME})


async def _start_servers(
    settings: Settings, store: Store, *, relay_port: int | None, sim_live: bool
) -> _Servers:
    from sxtriage.relay.server import RelayServer
    from sxtriage.sim.server import SimServer

    notes: list[str] = []
    sim = SimServer(live=sim_live)
    sim_url = await sim.start()
    relay_server = RelayServer(settings, store)
    port = settings.relay_port if relay_port is None else relay_port
    try:
        relay_url = await relay_server.start(settings.relay_host, port)
    except OSError:
        relay_server = RelayServer(settings, store)
        relay_url = await relay_server.start(settings.relay_host, 0)
        notes.append(f"port {port} is busy; the relay listens on {relay_url}")
    wired = _demo_settings(settings).model_copy(
        update={
            "sentry_url": sim_url,
            "sentry_org": "scenextras",
            "sentry_token": SecretStr("demo"),
            "github_api_url": sim.github_url,
            "github_token": settings.github_token or SecretStr("demo"),
            "relay_url": relay_url,
        }
    )
    return _Servers(sim, relay_server, wired, notes)


def _with_traffic(session: Session, servers: _Servers, rate: float) -> TrafficGenerator:
    """The simulated services' traffic, started with the session; its scenarios in the
    palette."""
    from sxtriage.sim.traffic import SCENARIOS, TrafficGenerator

    assert servers.settings.relay_url
    traffic = TrafficGenerator(servers.settings.relay_url, rate=rate)
    session.extra_tasks.append(("The simulated traffic", traffic.start))
    for name, description in SCENARIOS.items():
        session.commands[f"Simulate: {name} — {description}"] = partial(traffic.trigger, name)
    for line in servers.notes:
        session.notify(line, "warning")
    return traffic


async def start_demo(
    settings: Settings, *, rate: float, relay_port: int | None = None, sim_live: bool = True
) -> DemoStack:
    """Start the simulator, the relay and the traffic; return a wired Session."""
    store = Store(settings.db_path)
    servers = await _start_servers(settings, store, relay_port=relay_port, sim_live=sim_live)
    session = build_session(servers.settings, store, relay_server=servers.relay_server)
    traffic = _with_traffic(session, servers, rate)
    return DemoStack(
        servers.settings,
        store,
        servers.sim,
        servers.relay_server,
        traffic,
        session,
        servers.notes,
    )


def _import_stacks() -> None:
    """The simulator's, the relay's and the sources' modules (aiohttp, httpx, the relay's
    normalizer), imported off the event loop."""
    import sxtriage.relay.inproc
    import sxtriage.relay.server
    import sxtriage.sentry.client
    import sxtriage.sentry.poller
    import sxtriage.sim.server
    import sxtriage.sim.traffic
    import sxtriage.triage.actions  # noqa: F401


class _Demo:
    """The demo's servers, started by the session's `connect` once the app is on screen."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.servers: _Servers | None = None
        self.traffic: TrafficGenerator | None = None

    async def connect(self, session: Session) -> None:
        await asyncio.to_thread(_import_stacks)
        servers = await _start_servers(
            session.settings, session.store, relay_port=None, sim_live=True
        )
        self.servers = servers
        if session.stopped:
            return  # `stop` stops them
        sources = await asyncio.to_thread(
            build_sources, servers.settings, relay_server=servers.relay_server
        )
        if session.stopped:
            await sources.aclose()
            return
        session.settings = servers.settings
        attach_sources(session, sources, servers.relay_server)
        self.traffic = _with_traffic(session, servers, self.rate)

    async def stop(self, session: Session) -> None:
        """Traffic first, then the session (its embedded relay last), then the simulator;
        a relay started for a session already stopped is stopped here."""
        if self.traffic is not None:
            await self.traffic.stop()
        await session.stop()
        servers = self.servers
        if servers is not None:
            if servers.relay_server not in session.embedded:
                await servers.relay_server.stop()
            await servers.sim.stop()

    @property
    def notes(self) -> list[str]:
        return self.servers.notes if self.servers is not None else []


async def _main(settings: Settings, rate: float) -> int:
    start_resource_tracker()  # the relay's scrubbers are spawned while the app runs
    store = Store(settings.db_path)
    session = Session(_demo_settings(settings), store)
    session.load_cache()
    demo = _Demo(rate)
    session.connect = demo.connect
    app = SxTriageApp(session)
    try:
        await app.run_async()
    finally:
        await demo.stop(session)
        store.close()
    for line in demo.notes:
        print(f"sxtriage demo: {line}")
    return app.return_code or 0


def run_demo(loaded: LoadedSettings, *, rate: float) -> int:
    from sxtriage.runtime_tuning import tune_runtime

    gc.freeze()  # as `sxtriage` does (ui/run.py): the relay's start then collects nothing
    tune_runtime()
    settings = loaded.settings
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if loaded.origins.get("data_dir", "default") == "default" or settings.data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="sxtriage-demo-")
        settings = settings.model_copy(update={"data_dir": Path(tmp.name)})
    try:
        return asyncio.run(_main(settings, rate))
    finally:
        if tmp is not None:
            tmp.cleanup()
