"""`sxtriage` paints the cached feed first and builds its sources after: the first frame
needs no HTTP stack, waits for no Sentry answer (a first run's org lookup included), and
what the sources' start-up finds (the org's projects, a failure, an embedded relay)
arrives on the screen that is already there."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from sxtriage.config import LoadedSettings, Settings
from sxtriage.core.build import prepare_session
from sxtriage.core.session import Session
from sxtriage.core.store_io import cache_ops
from sxtriage.store import Store
from sxtriage.ui.app import SxTriageApp
from sxtriage.ui.screens.feed.screen import FeedScreen
from sxtriage.ui.widgets.service_bar import ServiceBar
from tests.fixtures_ui import make_issues

ORG = "acme"
PROJECTS = [
    {"id": "11", "slug": "billing", "name": "Billing", "platform": "python"},
    {"id": "12", "slug": "checkout", "name": "Checkout", "platform": "javascript-react"},
]
DEFAULTS = ["api", "web", "mobile", "search"]


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class OrgStub:
    """A Sentry that answers the org's project list once `answer` is set (500 with
    `fail`), and 404 to everything else."""

    def __init__(self, *, fail: bool = False) -> None:
        self.answer = asyncio.Event()
        self.fail = fail
        self.asked = asyncio.Event()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _projects(self, request: web.Request) -> web.Response:
        self.asked.set()
        await self.answer.wait()
        if self.fail:
            return web.json_response({"detail": "Internal Error"}, status=500)
        return web.json_response(PROJECTS)

    async def _other(self, request: web.Request) -> web.Response:
        return web.json_response({"detail": "not here"}, status=404)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get(f"/api/0/organizations/{ORG}/projects/", self._projects)
        app.router.add_route("*", "/{tail:.*}", self._other)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self.answer.set()
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def stub() -> AsyncIterator[OrgStub]:
    server = OrgStub()
    await server.start()
    yield server
    await server.stop()


def _loaded(tmp_path: Path, sentry_url: str, **settings: Any) -> LoadedSettings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "sentry_url": sentry_url,
        "sentry_org": ORG,
        "sentry_token": SecretStr("sntrys_test"),
        "relay_url": f"http://127.0.0.1:{_free_port()}",
        "poll_interval": 60.0,
        **settings,
    }
    return LoadedSettings(Settings(**values), {}, tmp_path / "config.toml")


async def _cache(tmp_path: Path, count: int) -> Store:
    store = Store(tmp_path / "sxtriage.db")
    await store.write_many(cache_ops(make_issues(count)))
    return store


async def _until(what: Callable[[], bool], pilot: Any, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not what():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await pilot.pause(0.02)


class Recorder:
    """What the session had when the app sent its first frame of the feed, and the
    toasts the app showed."""

    def __init__(self, app: SxTriageApp) -> None:
        self.first: dict[str, object] | None = None
        self.toasts: list[tuple[str, str]] = []
        display, notify = app._display, app.notify

        def painted(screen: Any, update: Any) -> None:
            display(screen, update)
            if self.first is None and update is not None and isinstance(screen, FeedScreen):
                session = app.session
                self.first = {
                    "rows": len(screen.issue_list.order),
                    "sentry": session.sentry,
                    "poller": session.poller,
                    "triage": session.triage,
                    "services": list(screen.query_one(ServiceBar).services),
                }

        def recording(message: str, *args: Any, **kw: Any) -> None:
            self.toasts.append((str(message), str(kw.get("severity", "information"))))
            notify(message, *args, **kw)

        app._display = painted  # type: ignore[method-assign]
        app.notify = recording  # type: ignore[method-assign]

    def said(self, text: str) -> list[str]:
        return [severity for message, severity in self.toasts if text in message]


def test_the_first_frame_imports_no_http_stack(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import sxtriage.cli, sxtriage.ui.run\n"
        "from sxtriage.core.build import prepare_session\n"
        "heavy = [m for m in ('httpx', 'aiohttp', 'sentry_relay', 'sxtriage.relay.server',"
        " 'sxtriage.sentry.client', 'sxtriage.triage.actions') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == ""


async def test_the_cached_feed_is_on_screen_before_the_sources(
    tmp_path: Path, stub: OrgStub
) -> None:
    store = await _cache(tmp_path, 1000)
    loaded = _loaded(tmp_path, stub.url)
    loaded.origins["services"] = str(loaded.config_path)  # the config names the services
    session = prepare_session(loaded, store)
    app = SxTriageApp(session)
    seen = Recorder(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await _until(lambda: session.poller is not None and session.triage is not None, pilot)
        await _until(lambda: "relay" in session.health, pilot)
        assert seen.first is not None
        assert seen.first["rows"] == 500  # the newest part of the cache
        assert seen.first["sentry"] is None and seen.first["poller"] is None
        assert seen.first["triage"] is None
        await _until(lambda: len(session.feed.issues) == 1000, pilot)
        assert session.sentry is not None and session.relay is not None
        assert not seen.said("Reading the org's projects")  # the config's services
    await session.stop()
    store.close()


async def test_a_first_run_shows_the_defaults_then_the_orgs_projects(
    tmp_path: Path, stub: OrgStub
) -> None:
    store = await _cache(tmp_path, 0)
    loaded = _loaded(tmp_path, stub.url)
    session = prepare_session(loaded, store)
    app = SxTriageApp(session)
    seen = Recorder(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await _until(lambda: stub.asked.is_set(), pilot)
        assert seen.first is not None and seen.first["services"] == DEFAULTS
        await _until(lambda: bool(seen.said("Reading the org's projects")), pilot)
        assert session.sentry is None  # the sources use the org's services: they wait
        bar = app.screen.query_one(ServiceBar)
        assert bar.services == DEFAULTS
        stub.answer.set()
        await _until(lambda: session.poller is not None, pilot)
        await _until(
            lambda: [c.service for c in bar.query("ServiceCard")] == ["billing", "checkout"], pilot
        )
        assert list(session.settings.services) == ["billing", "checkout"]
        assert session.feed.services == ["billing", "checkout"]
        assert session.settings.services["billing"].relay_project_ids == [11]
        await pilot.press("2")
        assert session.feed.scope == "checkout"
    await session.stop()
    # the next start knows them at once, without asking
    again = prepare_session(_loaded(tmp_path, stub.url), store)
    assert list(again.settings.services) == ["billing", "checkout"]
    assert again.connect is not None
    store.close()


async def test_a_failed_org_lookup_is_one_line_and_the_rest_still_starts(
    tmp_path: Path,
) -> None:
    stub = OrgStub(fail=True)
    await stub.start()
    stub.answer.set()
    store = await _cache(tmp_path, 20)
    session = prepare_session(_loaded(tmp_path, stub.url), store)
    app = SxTriageApp(session)
    seen = Recorder(app)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await _until(lambda: bool(seen.said("The org's projects were not read")), pilot)
            assert seen.said("The org's projects were not read") == ["warning"]
            await _until(lambda: session.poller is not None, pilot)
            assert list(session.settings.services) == DEFAULTS
            assert seen.first is not None and seen.first["rows"] == 20
    finally:
        await session.stop()
        await stub.stop()
        store.close()


async def test_an_embedded_relay_starts_after_the_first_frame(
    tmp_path: Path, stub: OrgStub
) -> None:
    from sxtriage.relay.inproc import InProcessRelay

    store = await _cache(tmp_path, 5)
    port = _free_port()
    loaded = _loaded(tmp_path, stub.url, relay_url=None, relay_embed=True, relay_port=port)
    loaded.origins["services"] = "env"
    session = prepare_session(loaded, store)
    app = SxTriageApp(session)
    seen = Recorder(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await _until(lambda: session.relay is not None, pilot)
        assert seen.first is not None and seen.first["rows"] == 5
        assert isinstance(session.relay, InProcessRelay)
        assert session.settings.relay_url == f"http://127.0.0.1:{port}"
        assert len(session.embedded) == 1
        await _until(lambda: bool(seen.said("relay: embedded, listening on")), pilot)
    await session.stop()
    assert session.embedded == []
    with socket.socket() as s:  # the relay let its port go
        s.bind(("127.0.0.1", port))
    store.close()


async def test_quitting_while_the_org_is_asked_leaves_nothing_running(
    tmp_path: Path, stub: OrgStub
) -> None:
    store = await _cache(tmp_path, 5)
    session = prepare_session(_loaded(tmp_path, stub.url, relay_embed=True), store)
    app = SxTriageApp(session)
    async with app.run_test(size=(160, 45)) as pilot:
        await _until(lambda: stub.asked.is_set(), pilot)
        app.exit(0)
    assert session.stopped
    stub.answer.set()
    await asyncio.sleep(0)
    assert session.sentry is None and session.poller is None and session.embedded == []
    store.close()


def test_a_session_built_at_once_has_its_sources(tmp_path: Path) -> None:
    from sxtriage.core.build import build_session

    store = Store(tmp_path / "at-once.db")
    settings = _loaded(tmp_path, "http://127.0.0.1:9").settings
    session: Session = build_session(settings, store)
    assert session.sentry is not None and session.poller is not None
    assert session.relay is not None and session.triage is not None
    assert session.connect is None
    asyncio.run(session.stop())
    store.close()


async def test_the_demo_paints_first_then_starts_its_servers(tmp_path: Path) -> None:
    from sxtriage.demo import _Demo, _demo_settings
    from sxtriage.relay.inproc import InProcessRelay

    store = Store(tmp_path / "demo.db")
    port = _free_port()
    session = Session(_demo_settings(Settings(data_dir=tmp_path, relay_port=port)), store)
    session.load_cache()
    demo = _Demo(rate=0.0)
    session.connect = demo.connect
    app = SxTriageApp(session)
    seen = Recorder(app)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await _until(lambda: session.relay is not None and session.poller is not None, pilot)
            assert seen.first is not None and seen.first["sentry"] is None
            assert isinstance(session.relay, InProcessRelay)
            assert session.settings.sentry_org == "scenextras"
            assert any(title.startswith("Simulate: ") for title in session.commands)
            await _until(lambda: len(session.feed.issues) > 0, pilot)  # the simulator's
            assert session.health["sentry"].ok
    finally:
        await demo.stop(session)
        store.close()
    with socket.socket() as s:  # the relay let its port go
        s.bind(("127.0.0.1", port))
