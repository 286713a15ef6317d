"""`sxtriage demo`: Sentry API simulator + relay + four simulated services + the TUI.

Everything runs in one process: the simulated services post SDK envelopes to the relay
on loopback, and the TUI reads the relay in-process (no HTTP between them).  The data
dir is a temporary directory unless --data-dir is given.  The relay takes its default
port, or an ephemeral one when that is busy.  Palette commands "Simulate: …" trigger the
traffic generator's scenarios.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pydantic import SecretStr

from sxtriage.config import LoadedSettings, Settings
from sxtriage.core.build import build_session
from sxtriage.core.session import Session
from sxtriage.relay.server import RelayServer
from sxtriage.sim.server import SimServer
from sxtriage.sim.traffic import SCENARIOS, TrafficGenerator
from sxtriage.store import Store

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


async def start_demo(
    settings: Settings, *, rate: float, relay_port: int | None = None, sim_live: bool = True
) -> DemoStack:
    """Start the simulator, the relay and the traffic; return a wired Session."""
    notes: list[str] = []
    sim = SimServer(live=sim_live)
    sim_url = await sim.start()
    store = Store(settings.db_path)
    relay_server = RelayServer(settings, store)
    port = settings.relay_port if relay_port is None else relay_port
    try:
        relay_url = await relay_server.start(settings.relay_host, port)
    except OSError:
        relay_server = RelayServer(settings, store)
        relay_url = await relay_server.start(settings.relay_host, 0)
        notes.append(f"port {port} is busy; the relay listens on {relay_url}")
    settings = settings.model_copy(
        update={
            "sentry_url": sim_url,
            "sentry_org": "scenextras",
            "sentry_token": SecretStr("demo"),
            "github_api_url": sim.github_url,
            "github_token": settings.github_token or SecretStr("demo"),
            "me": settings.me or DEMO_ME,
            "relay_url": relay_url,
        }
    )
    session = build_session(settings, store, relay_server=relay_server)
    traffic = TrafficGenerator(relay_url, rate=rate)
    session.extra_tasks.append(("The simulated traffic", traffic.start))
    for name, description in SCENARIOS.items():
        session.commands[f"Simulate: {name} — {description}"] = partial(traffic.trigger, name)
    for line in notes:
        session.notify(line, "warning")
    return DemoStack(settings, store, sim, relay_server, traffic, session, notes)


async def _main(settings: Settings, rate: float) -> int:
    from sxtriage.ui.app import SxTriageApp

    stack = await start_demo(settings, rate=rate)
    app = SxTriageApp(stack.session)
    try:
        await app.run_async()
    finally:
        await stack.stop()
        stack.store.close()
    for line in stack.notes:
        print(f"sxtriage demo: {line}")
    return app.return_code or 0


def run_demo(loaded: LoadedSettings, *, rate: float) -> int:
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
