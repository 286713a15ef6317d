"""Admission control: the backlog's bounds, the measured cost, the 429 headers, /health."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from sentry_sdk.transport import _parse_rate_limits

from sxtriage.config import ConfigError, Settings
from sxtriage.relay.admission import Admission, AdmissionConfig, LoopLag, Refusal, Ticket
from sxtriage.relay.persist import Checkpointer
from sxtriage.relay.server import RelayServer
from sxtriage.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _admit(adm: Admission, n: int = 1) -> list[Ticket]:
    out = []
    for _ in range(n):
        t = adm.enter(100)
        assert isinstance(t, Ticket), t
        out.append(t)
    return out


def _warm(adm: Admission, clock: Clock, cost: float, rounds: int = 8) -> None:
    """Run batches of 10 events, each taking `cost` per event, until measured."""
    for _ in range(rounds):
        batch = _admit(adm, 10)
        clock.now += 10 * cost
        for t in batch:
            adm.leave(t)
    assert adm.measured


def test_cost_is_measured_from_busy_time_per_completed_event() -> None:
    clock = Clock()
    adm = Admission(AdmissionConfig(), clock)
    _warm(adm, clock, cost=0.004)
    assert adm.cost == pytest.approx(0.004, rel=0.05)
    clock.now += 60  # idle time is not pipeline time
    _warm(adm, clock, cost=0.001, rounds=150)  # 1.5 s of busy time: 3 time constants
    assert adm.cost == pytest.approx(0.001, rel=0.1)


def test_predicted_wait_over_budget_is_refused_with_sentry_headers() -> None:
    clock = Clock()
    adm = Admission(AdmissionConfig(burst_budget=0.5), clock)
    _warm(adm, clock, cost=0.01)  # 10 ms per event: 50 events fill 0.5 s
    held = _admit(adm, 45)
    while isinstance(refusal := adm.enter(100), Ticket):
        held.append(refusal)
    assert 48 <= len(held) <= 51
    assert "would take" in refusal.reason and "\n" not in refusal.reason
    assert refusal.headers["Retry-After"] == "1"
    assert re.fullmatch(r"1::organization:relay_backlog", refusal.headers["X-Sentry-Rate-Limits"])
    # the form sentry-python parses: no categories = every category, for 1 s
    assert [cat for cat, _ in _parse_rate_limits(refusal.headers["X-Sentry-Rate-Limits"])] == [None]
    for t in held[:10]:
        adm.leave(t)
    assert isinstance(adm.enter(100), Ticket)  # room again once events are answered
    assert adm.stats()["limited_by"]["latency"] == 1


def test_retry_after_is_the_time_to_drain_the_backlog() -> None:
    clock = Clock()
    adm = Admission(AdmissionConfig(burst_budget=5.0, standing_budget=5.0), clock)
    _warm(adm, clock, cost=0.01)
    _admit(adm, 499)  # ≈ 5 s of work
    refusal = adm.enter(0)
    assert isinstance(refusal, Refusal)
    assert refusal.retry_after == 5


def test_hard_caps_bound_memory_whatever_the_cost() -> None:
    clock = Clock()
    adm = Admission(AdmissionConfig(max_events=5, max_bytes=1000, initial_events=100), clock)
    _admit(adm, 5)
    refusal = adm.enter(0)
    assert isinstance(refusal, Refusal) and "backlog full" in refusal.reason
    adm2 = Admission(AdmissionConfig(max_bytes=1000), clock)
    assert isinstance(adm2.enter(900), Ticket)
    assert isinstance(adm2.enter(200), Refusal)


def test_stalled_pipeline_refuses_even_when_the_estimate_says_yes() -> None:
    clock = Clock()
    adm = Admission(AdmissionConfig(burst_budget=0.5), clock)
    _warm(adm, clock, cost=0.0001)  # the estimate: 0.1 ms per event
    _admit(adm, 3)
    clock.now += 0.6  # ...but nothing finished for 600 ms
    refusal = adm.enter(0)
    assert isinstance(refusal, Refusal) and "waited 600 ms" in refusal.reason


def test_empty_backlog_always_admits_one() -> None:
    """Even when one event costs more than the budget (a heavily throttled relay)."""
    clock = Clock()
    adm = Admission(AdmissionConfig(burst_budget=0.5), clock)
    for _ in range(16):  # one event at a time, 2 s each
        (t,) = _admit(adm, 1)
        clock.now += 2.0
        adm.leave(t)
    assert adm.measured and adm.cost > 0.5
    first = adm.enter(0)
    assert isinstance(first, Ticket)
    assert isinstance(adm.enter(0), Refusal)


def test_slow_start_until_measured() -> None:
    clock = Clock()
    adm = Admission(AdmissionConfig(burst_budget=0.5, initial_events=32), clock)
    _admit(adm, 32)
    assert isinstance(adm.enter(0), Refusal)
    throttled = Admission(AdmissionConfig(burst_budget=0.5, max_events_per_s=40), clock)
    _admit(throttled, 20)  # its known capacity: 20 events fill 0.5 s
    assert isinstance(throttled.enter(0), Refusal)


def test_a_standing_queue_gets_the_short_budget_and_a_burst_the_long_one() -> None:
    clock = Clock()
    cfg = AdmissionConfig(burst_budget=0.5, standing_budget=0.1, standing_after=1.0)
    adm = Admission(cfg, clock)
    _warm(adm, clock, cost=0.002)
    held = _admit(adm, 200)  # a burst: 0.4 s of work, within the burst budget
    assert adm.budget() == 0.5
    for _ in range(6):  # requests keep waiting longer than 0.1 s for over a second
        clock.now += 0.2
        assert adm.budget() == 0.5 or clock.now - held[0].admitted > 1.0
    assert adm.budget() == 0.1 and adm.stats()["standing"]
    for t in held:  # drained...
        adm.leave(t)
    clock.now += 0.5
    assert adm.budget() == 0.1  # ...not for long enough yet
    clock.now += 0.6
    assert adm.budget() == 0.5


def test_a_hiccup_is_not_a_standing_queue() -> None:
    clock = Clock()
    adm = Admission(AdmissionConfig(standing_budget=0.1, standing_after=1.0), clock)
    _warm(adm, clock, cost=0.002)
    for _ in range(5):  # every 0.4 s the machine stalls 0.3 s, then the backlog drains
        held = _admit(adm, 50)
        clock.now += 0.3
        assert adm.budget() == 0.5
        for t in held:
            adm.leave(t)
        clock.now += 0.1
        assert adm.budget() == 0.5
    assert not adm.standing


def test_env_overrides_and_one_line_errors() -> None:
    cfg = AdmissionConfig.from_env(
        {"SXTRIAGE_RELAY_MAX_EVENTS_PER_S": "40", "SXTRIAGE_RELAY_BUDGET_MS": "250"}
    )
    assert cfg.max_events_per_s == 40 and cfg.burst_budget == 0.25
    assert cfg.standing_budget == 0.1
    with pytest.raises(ConfigError) as err:
        AdmissionConfig.from_env({"SXTRIAGE_RELAY_MAX_EVENTS_PER_S": "fast"})
    text = str(err.value)
    assert text.startswith("SXTRIAGE_RELAY_MAX_EVENTS_PER_S='fast'") and "\n" not in text
    with pytest.raises(ConfigError, match="SXTRIAGE_RELAY_MAX_BACKLOG="):
        AdmissionConfig.from_env({"SXTRIAGE_RELAY_MAX_BACKLOG": "0"})


def _envelope(n: int) -> bytes:
    event = {"event_id": f"{n:032x}", "exception": {"values": [{"type": f"E{n}"}]}}
    payload = json.dumps(event)
    return f'{{"event_id":"{n:032x}"}}\n{{"type":"event"}}\n{payload}\n'.encode()


async def test_throttled_relay_answers_429_and_health_reports_the_backlog(tmp_path) -> None:
    cfg = AdmissionConfig(max_events_per_s=20, burst_budget=0.3, standing_budget=0.3)
    server = RelayServer(Settings(data_dir=tmp_path / "d"), workers=0, admission=cfg)
    await server.start(port=0)
    try:
        async with httpx.AsyncClient(timeout=10) as c:
            url = server.url + "/api/1/envelope/?sentry_key=k"
            answers = await asyncio.gather(*(c.post(url, content=_envelope(n)) for n in range(60)))
            health = (await c.get(server.url + "/health")).json()
            spotlight = await asyncio.gather(
                *(c.post(server.url + "/stream", content=_envelope(100 + n)) for n in range(60))
            )
        codes = [r.status_code for r in answers]
        assert set(codes) == {200, 429}
        limited = next(r for r in answers if r.status_code == 429)
        assert limited.headers["Retry-After"].isdigit()
        assert limited.headers["X-Sentry-Rate-Limits"].endswith("::organization:relay_backlog")
        assert "retry after" in limited.json()["detail"]
        assert limited.headers["X-Sentry-Error"] == limited.json()["detail"]
        assert health["limited"] == codes.count(429)
        backlog = health["backlog"]
        assert backlog["limited"] == codes.count(429) and backlog["max_events_per_s"] == 20
        assert backlog["limiting"] is True  # answered a 429 within the last second
        assert {"events", "bytes", "oldest_ms", "cost_us_per_event", "budget_ms"} <= set(backlog)
        assert 429 in {r.status_code for r in spotlight}  # Spotlight's POST is gated too
        ok = [r.json()["id"] for r in answers if r.status_code == 200]
        rows = await server.store.query("SELECT event_id FROM events")
        assert set(ok) <= {r[0] for r in rows}  # every 2xx is committed
    finally:
        await server.stop()


async def test_sentry_python_backs_off_when_the_relay_is_overloaded(tmp_path) -> None:
    """The real SDK reads our 429 (Retry-After + X-Sentry-Rate-Limits) and holds back."""
    import threading

    import sentry_sdk

    from benchmarks.openloop import HttpLoad, open_loop

    cfg = AdmissionConfig(max_events_per_s=10, burst_budget=0.2, standing_budget=0.2)
    server = RelayServer(Settings(data_dir=tmp_path / "d"), workers=0, admission=cfg)
    await server.start(port=0)
    client = sentry_sdk.Client(dsn=server.dsn(1), default_integrations=False)
    backed_off = threading.Event()
    stop = threading.Event()

    def sdk() -> None:  # an app capturing errors while the relay is overloaded
        n = 0
        while not stop.is_set() and not backed_off.is_set():
            n += 1
            client.capture_event({"message": f"sdk event {n}", "level": "error"})
            # its own view: every category held back because of the relay's answer
            if client.transport._check_disabled("error"):  # type: ignore[union-attr]
                backed_off.set()
            stop.wait(0.02)

    thread = threading.Thread(target=sdk)
    load = HttpLoad(server.url)
    try:
        thread.start()
        await open_loop(
            load, 100, 3.0, lambda n: (str(n), "/api/2/envelope/?sentry_key=k", _envelope(n))
        )
        assert await asyncio.to_thread(backed_off.wait, 5), "the SDK never backed off"
        assert server.stats["limited"] > 0
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 10)
        client.close(timeout=1)
        await load.close()
        await server.stop()


def test_loop_lag_counts_in_the_predicted_wait() -> None:
    """A request waits for the event loop before its ticket: that wait is part of the
    predicted one, so a loop far behind sheds load even with a short backlog."""
    clock = Clock()
    lag = LoopLag(clock)
    adm = Admission(AdmissionConfig(burst_budget=0.5), clock, lag)
    _warm(adm, clock, cost=0.01)  # 10 ms per event
    held = _admit(adm, 10)  # 100 ms of backlog: well within 500 ms
    lag.observe(0.45, clock.now)  # a timer fired 450 ms late
    refusal = adm.enter(100)
    assert isinstance(refusal, Refusal) and "450 ms behind" in refusal.reason
    assert adm.stats()["loop_lag_ms"] == pytest.approx(450, abs=1)
    for t in held:
        adm.leave(t)
    clock.now += 1.0  # the loop kept up since: the lag fades
    lag.observe(0.0, clock.now)
    assert lag.value() < 0.001
    _admit(adm, 10)
    assert isinstance(adm.enter(100), Ticket)
    assert adm.stats()["loop_lag_max_ms"] == pytest.approx(450, abs=1)


async def test_loop_lag_is_measured_by_a_timer_on_the_running_loop() -> None:
    import time

    lag = LoopLag()
    lag.start(asyncio.get_running_loop())
    try:
        await asyncio.sleep(0.05)
        time.sleep(0.2)  # noqa: ASYNC251 - the point: the loop is blocked
        deadline = asyncio.get_running_loop().time() + 5
        while lag.max < 0.1 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        assert lag.max >= 0.1
    finally:
        lag.stop()


async def test_checkpoints_run_off_the_writer_and_the_wal_stays_bounded(tmp_path) -> None:
    store = Store(tmp_path / "db.sqlite")
    try:
        ckpt = Checkpointer(store, interval=0.01)
        await ckpt.start()
        auto = await store.transact(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone())
        assert auto[0] == 0  # the writer's COMMIT never checkpoints
        wal = tmp_path / "db.sqlite-wal"
        blob = "x" * 4000
        for i in range(3):
            await store.write_many(
                [("CREATE TABLE IF NOT EXISTS t (v TEXT)", ())]
                + [("INSERT INTO t VALUES (?)", (blob,)) for _ in range(500)]
            )
            ckpt.written()
            deadline = asyncio.get_running_loop().time() + 10
            while ckpt.checkpoints <= i and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.01)
            assert ckpt.checkpoints > i
        # checkpointed: the writer restarts the WAL from its start instead of growing it
        size = wal.stat().st_size
        await store.write_many([("INSERT INTO t VALUES (?)", (blob,)) for _ in range(500)])
        assert wal.stat().st_size <= max(size, 3 * 1024 * 1024)
        await ckpt.stop()
        auto = await store.transact(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone())
        assert auto[0] == Checkpointer.AUTO_PAGES
        rows = await store.query("SELECT count(*) FROM t")
        assert rows[0][0] == 2000
    finally:
        store.close()


def test_the_429_body_is_json_whatever_the_reason() -> None:
    from sxtriage.relay.ingest_http import limited

    for reason in ("backlog of 3 events would take 5 ms; retry", 'a "quote" \\ and é'):
        response = limited(Refusal(2, reason))
        assert response.status == 429
        assert json.loads(response.body) == {"detail": reason}
        assert response.headers["Retry-After"] == "2"
        assert response.headers["X-Sentry-Error"] == reason
        assert response.headers["X-Sentry-Rate-Limits"] == "2::organization:relay_backlog"
