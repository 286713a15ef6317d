"""A real TUI reading a relay, headless, in its own process: what bench_overload watches.

`python -m benchmarks.overload_tui RELAY_URL DATA_DIR OUT_FILE` builds the session as
`sxtriage` does with `relay_url` set (`build_session`: the relay's SSE stream read by
`RelayClient`) and runs `SxTriageApp` headless at 160×45 (`App.run_test`).  Its own
process, so the load generator never shares its interpreter.

Protocol (stdout lines, stdin commands):

  → ``ready``          the relay's stream is connected and the issue list is mounted
  ← ``stop N SECONDS`` stop typing; wait until N relay issues have been shown (or SECONDS
                       have passed), write OUT_FILE, exit
  → ``done``           OUT_FILE written

EOF on stdin is ``stop 0 0`` (the bench went away: exit at once).  Startup failure prints
``error <why>`` and exits 1.

Typing: once the list has two rows, a key every 100 ms on a fixed schedule, alternately
``down`` and ``up``, posted to the app as a terminal driver posts it (a late event loop
delays the key, it does not skip it).  Per key: *handled* is the time from its scheduled
press to the issue list's cursor action running; *painted* is the time to the end of the
first frame the screen renders after that (the compositor's update; headless, the
terminal write is skipped).  The whole path a key takes while relay deltas compete for
the same loop.

Shown: every relay issue that becomes visible in the feed, by title, with the wall-clock
time it first did (the feed's change notifications).  Every bench event is a new issue
with its own exception type, so the title (``"<type>: <value>"``, relay/grouping.py
`title_of`) names the event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual import events
    from textual.screen import Screen

    from sxtriage.ui.app import SxTriageApp
    from sxtriage.ui.widgets.issue_list.widget import IssueList

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import percentile  # noqa: E402

KEY_INTERVAL_S = 0.1
SIZE = (160, 45)
READY_DEADLINE_S = 60.0
STDERR_TAIL = 8192


class TuiError(RuntimeError):
    """The TUI process did not start, or did not answer within its deadline."""


class TuiProcess:
    """The bench's side: starts this module in its own process, waits for ``ready``,
    asks for the result; `kill` (always, in a `finally`) ends its process group."""

    def __init__(self, url: str, data_dir: Path, out: Path) -> None:
        self.url, self.data_dir, self.out = url, data_dir, out
        self.proc: asyncio.subprocess.Process | None = None
        self._stderr = bytearray()
        self._drain: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, deadline_s: float = READY_DEADLINE_S + 30) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "benchmarks.overload_tui", self.url, str(self.data_dir), str(self.out)),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        assert self.proc.stderr is not None
        self._drain = asyncio.create_task(self._keep_tail(self.proc.stderr))
        line = await self._line(deadline_s, "start")
        if line != "ready":
            raise TuiError(f"the TUI did not start: {line or 'it exited'}{self._tail()}")

    async def result(self, shown: int, wait_s: float) -> dict[str, Any]:
        """Stop typing; the TUI's numbers once it has shown `shown` relay issues (or
        `wait_s` has passed)."""
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(f"stop {shown} {wait_s}\n".encode())
            await self.proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            raise TuiError(f"the TUI exited before the end{self._tail()}") from None
        line = await self._line(wait_s + 60, "finish")
        if line != "done":
            raise TuiError(f"the TUI did not finish: {line or 'it exited'}{self._tail()}")
        data: dict[str, Any] = json.loads(await asyncio.to_thread(self.out.read_text))
        return data

    async def _line(self, deadline_s: float, what: str) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), deadline_s)
        except TimeoutError:
            raise TuiError(
                f"the TUI did not {what} within {deadline_s:.0f} s{self._tail()}"
            ) from None
        return raw.decode(errors="replace").strip()

    async def _keep_tail(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self._stderr += chunk
            del self._stderr[:-STDERR_TAIL]

    def _tail(self) -> str:
        text = self._stderr.decode(errors="replace").strip()
        return f"; its stderr ends:\n{text}" if text else ""

    async def kill(self) -> None:
        proc = self.proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain


def say(line: str) -> None:
    """One protocol line on the real stdout (Textual wraps sys.stdout while running)."""
    out = sys.__stdout__
    assert out is not None
    out.write(line + "\n")
    out.flush()


@dataclass(slots=True)
class Press:
    key: str
    at: float
    """Wall-clock time the key was due (time.time())."""
    due: float
    """The same instant on the perf_counter clock."""
    handled: float | None = None
    painted: float | None = None


@dataclass
class Probe:
    """Key presses awaiting their handler and their frame; titles shown in the feed."""

    presses: list[Press] = field(default_factory=list)
    unhandled: deque[Press] = field(default_factory=deque)
    unpainted: list[Press] = field(default_factory=list)
    shown: dict[str, float] = field(default_factory=dict)
    stray_actions: int = 0

    def pressed(self, press: Press) -> None:
        self.presses.append(press)
        self.unhandled.append(press)

    def handled(self) -> None:
        if not self.unhandled:  # a cursor move no key of ours asked for
            self.stray_actions += 1
            return
        press = self.unhandled.popleft()
        press.handled = time.perf_counter()
        self.unpainted.append(press)

    def painted(self) -> None:
        if self.unpainted:
            now = time.perf_counter()
            for press in self.unpainted:
                press.painted = now
            self.unpainted.clear()

    def result(self, caught_up_s: float | None, feed_relay_issues: int) -> dict[str, Any]:
        return {
            "presses": [
                {
                    "key": p.key,
                    "at": round(p.at, 4),
                    "handled_ms": None if p.handled is None else (p.handled - p.due) * 1000,
                    "painted_ms": None if p.painted is None else (p.painted - p.due) * 1000,
                }
                for p in self.presses
            ],
            "stray_actions": self.stray_actions,
            "shown": self.shown,
            "feed_relay_issues": feed_relay_issues,
            "caught_up_s": caught_up_s,
        }


def _wrap_action(target: Callable[[], None], probe: Probe) -> Callable[[], None]:
    def action() -> None:
        target()
        probe.handled()

    return action


async def _stdin_command() -> str:
    """The next stdin line ('' on EOF), read off the event loop."""
    return await asyncio.to_thread(sys.stdin.readline)


async def run(url: str, data_dir: Path, out: Path) -> int:
    from textual import events
    from textual.css.query import NoMatches

    from sxtriage.config import Settings
    from sxtriage.core.build import build_session
    from sxtriage.feed import FeedChange
    from sxtriage.models import Source
    from sxtriage.runtime_tuning import tune_runtime
    from sxtriage.store import Store
    from sxtriage.ui.app import SxTriageApp
    from sxtriage.ui.widgets.issue_list.widget import IssueList

    tune_runtime()  # as `sxtriage` does at start
    settings = Settings(data_dir=data_dir, relay_url=url)
    store = Store(settings.db_path)
    session = build_session(settings, store)
    probe = Probe()
    feed = session.feed

    def on_change(change: FeedChange) -> None:
        now = time.time()
        for key in change.added:
            issue = feed.get(key)
            if issue is not None and issue.source is Source.RELAY:
                probe.shown.setdefault(issue.title, now)

    feed.subscribe(on_change)
    app = SxTriageApp(session)
    display = getattr(app, "_display", None)
    if display is None:
        say("error this Textual has no App._display to time frames with")
        return 1

    def timed_display(screen: Screen[Any], renderable: RenderableType | None) -> None:
        display(screen, renderable)
        if renderable is not None:
            probe.painted()

    app._display = timed_display  # type: ignore[method-assign]
    try:
        async with app.run_test(size=SIZE):
            deadline = time.monotonic() + READY_DEADLINE_S
            issue_list: IssueList | None = None
            while time.monotonic() < deadline:
                health = session.health.get("relay")
                if issue_list is None:
                    with contextlib.suppress(NoMatches):
                        issue_list = app.screen.query_one(IssueList)
                if issue_list is not None and health is not None and health.ok:
                    break
                await asyncio.sleep(0.05)
            else:
                health = session.health.get("relay")
                why = "no issue list mounted" if issue_list is None else f"relay: {health}"
                say(f"error the TUI did not connect within {READY_DEADLINE_S:.0f} s ({why})")
                return 1
            issue_list.action_cursor_down = _wrap_action(  # type: ignore[method-assign]
                issue_list.action_cursor_down, probe
            )
            issue_list.action_cursor_up = _wrap_action(  # type: ignore[method-assign]
                issue_list.action_cursor_up, probe
            )
            issue_list.focus()
            say("ready")
            command = asyncio.create_task(_stdin_command())
            typing = asyncio.create_task(_type(app, issue_list, probe, events.Key))
            try:
                line = await command
            finally:
                typing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await typing
            parts = line.split()
            want = int(parts[1]) if len(parts) >= 2 and parts[0] == "stop" else 0
            wait_s = float(parts[2]) if len(parts) >= 3 and parts[0] == "stop" else 0.0
            started = time.monotonic()
            caught_up: float | None = None
            while True:
                if len(probe.shown) >= want:
                    caught_up = time.monotonic() - started
                    break
                if time.monotonic() - started >= wait_s:
                    break
                await asyncio.sleep(0.05)
            for issue in feed.issues.values():  # anything shown without a change notice
                if issue.source is Source.RELAY:
                    probe.shown.setdefault(issue.title, time.time())
            relay_issues = sum(1 for k in feed.issues if k[0] is Source.RELAY)
            text = json.dumps(probe.result(caught_up, relay_issues))
            await asyncio.to_thread(out.write_text, text)
    finally:
        await session.stop()
        store.close()
    say("done")
    return 0


async def _type(
    app: SxTriageApp, issue_list: IssueList, probe: Probe, key_event: type[events.Key]
) -> None:
    """A key every KEY_INTERVAL_S on a fixed schedule, down/up alternately, once the list
    has two rows to move between."""
    while len(issue_list.order) < 2:
        await asyncio.sleep(0.05)
    wall0, perf0 = time.time(), time.perf_counter()
    n = 0
    while True:
        due = perf0 + n * KEY_INTERVAL_S
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if app.focused is not issue_list:
            issue_list.focus()
        key = "down" if n % 2 == 0 else "up"
        probe.pressed(Press(key, wall0 + (due - perf0), due))
        event = key_event(key, None)
        event.set_sender(app)
        app.post_message(event)
        n += 1


def keystrokes(presses: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    """The keys due within [start, end) (wall clock): key → handled and key → frame
    painted, in ms; a key never handled or never painted is counted apart."""
    window = [p for p in presses if start <= p["at"] < end]
    handled = [p["handled_ms"] for p in window if p["handled_ms"] is not None]
    painted = [p["painted_ms"] for p in window if p["painted_ms"] is not None]
    return {
        "count": len(window),
        "unhandled": len(window) - len(handled),
        "unpainted": len(window) - len(painted),
        "handled_p50_ms": round(percentile(handled, 50), 1),
        "handled_p99_ms": round(percentile(handled, 99), 1),
        "p50_ms": round(percentile(painted, 50), 1),
        "p99_ms": round(percentile(painted, 99), 1),
        "max_ms": round(max(painted, default=0.0), 1),
    }


def shown_lag(acked: list[tuple[str, float]], shown_at: dict[str, float]) -> dict[str, float]:
    """(exception type, time of its 2xx at the sender) → its issue in the TUI's feed, in
    ms (below zero when the feed had it before the answer was back)."""
    ms = [(shown_at[kind] - at) * 1000 for kind, at in acked if kind in shown_at]
    return {"p50_ms": round(percentile(ms, 50), 1), "p99_ms": round(percentile(ms, 99), 1)}


def main() -> int:
    if len(sys.argv) != 4:
        print("usage: python -m benchmarks.overload_tui RELAY_URL DATA_DIR OUT_FILE")
        return 2
    url, data_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    data_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(run(url, data_dir, out))


if __name__ == "__main__":
    sys.exit(main())
