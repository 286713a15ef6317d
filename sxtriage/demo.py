"""`sxtriage demo`: Sentry API simulator + relay + four simulated services + the TUI.

Everything runs in-process on loopback; the data dir is a temporary directory unless
--data-dir is given.  The relay takes its default port, or an ephemeral one when that is
busy.  Palette commands "Simulate: …" trigger the traffic generator's scenarios.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from sxtriage.config import LoadedSettings, Settings
from sxtriage.store import Store
from sxtriage.ui.backend import Backend

DEMO_ME = "oncall@scenextras.dev"


@dataclass
class DemoStack:
    settings: Settings
    store: Store
    sim: Any
    relay_server: Any
    traffic: Any | None
    backend: Backend
    notes: list[str] = field(default_factory=list)

    async def stop(self) -> None:
        if self.traffic is not None:
            with contextlib.suppress(Exception):
                await self.traffic.stop()
        await self.backend.stop()
        with contextlib.suppress(Exception):
            await self.relay_server.stop()
        with contextlib.suppress(Exception):
            await self.sim.stop()


async def start_demo(
    settings: Settings, *, rate: float, relay_port: int | None = None, sim_live: bool = True
) -> DemoStack:
    """Start the simulator, the relay and the traffic; return a wired Backend."""
    from sxtriage.relay.server import RelayServer
    from sxtriage.sim.server import SimServer
    from sxtriage.ui.run import build_backend

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
            "github_api_url": getattr(sim, "github_url", sim_url + "/github"),
            "github_token": settings.github_token or SecretStr("demo"),
            "me": settings.me or DEMO_ME,
            "relay_url": relay_url,
        }
    )
    backend = build_backend(settings, store)
    traffic = None
    try:
        from sxtriage.sim.traffic import SCENARIOS, TrafficGenerator
    except ImportError:
        notes.append("simulated SDK traffic is not available in this build")
    else:
        traffic = TrafficGenerator(relay_url, rate=rate)
        backend.extra_tasks.append(traffic.start)
        for name, description in SCENARIOS.items():
            backend.commands[f"Simulate: {name} — {description}"] = partial(traffic.trigger, name)
    for line in notes:
        backend.toast(line, "warning")
    return DemoStack(settings, store, sim, relay_server, traffic, backend, notes)


async def _main(settings: Settings, rate: float) -> int:
    from sxtriage.ui.app import SxTriageApp

    stack = await start_demo(settings, rate=rate)
    app = SxTriageApp(stack.backend)
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
