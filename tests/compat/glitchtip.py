"""A real GlitchTip server on loopback, built from ``../shared/servers``' tarball.

Install (cached, once): unpack the tarball, ``uv sync --frozen`` its own ``uv.lock`` into a
venv, migrate a template PostgreSQL 15 cluster. Start (each run): copy the template cluster
to a temp dir, start it on a free port, seed an org/team/projects/token, start uvicorn on a
free port and wait until ``/_health/`` answers.

    python -m tests.compat.glitchtip up     # prints one JSON line, stays up until Ctrl-C
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.compat import pg

REPO_ROOT = Path(__file__).resolve().parents[2]
TARBALL_NAME = "glitchtip-backend-c264800f.tar.gz"
CACHE_NAME = "glitchtip-c264800f"


def tarball_path() -> Path:
    """``$SXTRIAGE_GLITCHTIP_TARBALL``, else ``<repo>/../shared/servers/<tarball>``."""
    override = os.environ.get("SXTRIAGE_GLITCHTIP_TARBALL")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "servers" / TARBALL_NAME


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sxtriage-compat"


def missing(tarball: Path | None = None) -> str | None:
    """One line naming what is missing to run GlitchTip here, or None."""
    tarball = tarball or tarball_path()
    if not tarball.is_file():
        return f"GlitchTip tarball not found: {tarball} (set SXTRIAGE_GLITCHTIP_TARBALL)"
    if shutil.which("python3.11") is None:
        return "python3.11 not found on PATH (GlitchTip's uv.lock is installed with it)"
    return pg.missing()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str, tick: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(tick)


def _log(msg: str) -> None:
    print(f"[glitchtip] {msg}", file=sys.stderr, flush=True)


@dataclass
class Project:
    id: int
    slug: str
    platform: str
    dsn: str


@dataclass
class GlitchTip:
    """What a running server offers to tests and to people developing against it."""

    url: str
    org: str
    team: str
    token: str
    projects: dict[str, Project]
    members: list[dict[str, object]]
    user: dict[str, object]
    timings: dict[str, float] = field(default_factory=dict)
    start_kind: str = "warm"
    log_path: Path | None = None
    """uvicorn's output (GlitchTip's tracebacks land here)."""

    def log_tail(self, lines: int = 20) -> str:
        return _tail(self.log_path, lines) if self.log_path else "(no log)"

    @property
    def api(self) -> str:
        return f"{self.url}/api/0"

    def as_json(self) -> str:
        return json.dumps(
            {
                "url": self.url,
                "org": self.org,
                "team": self.team,
                "token": self.token,
                "projects": {k: vars(v) for k, v in self.projects.items()},
                "members": self.members,
                "timings_s": self.timings,
                "start": self.start_kind,
                "env": {
                    "SENTRY_URL": self.url,
                    "SENTRY_ORG": self.org,
                    "SENTRY_AUTH_TOKEN": self.token,
                },
            }
        )


class Installation:
    """The cached, shared part: source tree, venv, migrated template cluster."""

    def __init__(self, root: Path | None = None, tarball: Path | None = None) -> None:
        self.root = (root or cache_root()) / CACHE_NAME
        self.tarball = tarball or tarball_path()
        self.src = self.root / "glitchtip-backend"
        self.venv = self.root / "venv"
        self.template = self.root / "pg-template"
        self.tools = self.root / "tools"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def env(self, db_url: str, web_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "UV_"))}
        env.update(
            DATABASE_URL=db_url,
            SECRET_KEY="sxtriage-compat-not-secret",
            GLITCHTIP_DOMAIN=web_url,
            DEFAULT_FROM_EMAIL="glitchtip@compat.example.com",
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            DJANGO_SETTINGS_MODULE="glitchtip.settings",
            PYTHONPATH=str(self.src),
            CELERY_TASK_ALWAYS_EAGER="true",
            VALKEY_URL="",
            REDIS_URL="",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            ENABLE_USER_REGISTRATION="false",
            DATABASE_POOL="false",
            PYTHONUNBUFFERED="1",
        )
        return env

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ensure(self, timings: dict[str, float]) -> None:
        with self._lock():
            if not (self.root / "src.ok").exists():
                t = time.monotonic()
                self._unpack()
                timings["unpack"] = round(time.monotonic() - t, 1)
            if not (self.root / "venv.ok").exists():
                t = time.monotonic()
                self._sync()
                timings["uv_sync"] = round(time.monotonic() - t, 1)
            if not (self.root / "pg-template.ok").exists():
                t = time.monotonic()
                self._migrate_template()
                timings["migrate"] = round(time.monotonic() - t, 1)

    def _unpack(self) -> None:
        _log(f"unpacking {self.tarball}")
        shutil.rmtree(self.src, ignore_errors=True)
        with tarfile.open(self.tarball) as tar:
            tar.extractall(self.root, filter="data")
        (self.root / "src.ok").touch()

    def _uv(self) -> str:
        found = os.environ.get("SXTRIAGE_UV") or shutil.which("uv")
        if found:
            return found
        uv = self.tools / "bin" / "uv"
        if not uv.exists():
            _log("installing uv into a tools venv")
            subprocess.run([sys.executable, "-m", "venv", str(self.tools)], check=True)
            pip = [str(self.tools / "bin" / "python"), "-m", "pip", "install", "-q", "uv"]
            proc = subprocess.run(pip, capture_output=True, text=True)
            if proc.returncode != 0:
                tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
                raise RuntimeError(f"pip install uv failed ({proc.returncode}): {tail}")
        return str(uv)

    def _sync(self) -> None:
        _log("uv sync --frozen (GlitchTip's uv.lock; ~2 min the first time)")
        env = dict(os.environ)
        env.update(
            UV_PROJECT_ENVIRONMENT=str(self.venv),
            UV_PYTHON="python3.11",
            UV_PYTHON_DOWNLOADS="never",
            UV_CACHE_DIR=str(self.root / "uv-cache"),
        )
        cmd = [self._uv(), "sync", "--frozen", "--no-dev", "--no-install-project", "-q"]
        proc = subprocess.run(cmd, cwd=self.src, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = " | ".join(proc.stderr.strip().splitlines()[-5:])
            raise RuntimeError(f"uv sync failed ({proc.returncode}): {tail}")
        (self.root / "venv.ok").touch()

    def _manage(self, args: list[str], env: dict[str, str], timeout: float = 300) -> None:
        cmd = [str(self.python), "manage.py", *args]
        proc = subprocess.run(
            cmd, cwd=self.src, env=env, capture_output=True, text=True, timeout=timeout
        )
        if proc.returncode != 0:
            tail = " | ".join(proc.stderr.strip().splitlines()[-5:])
            raise RuntimeError(f"manage.py {args[0]} failed ({proc.returncode}): {tail}")

    def _migrate_template(self) -> None:
        _log("migrating a template database (once)")
        with tempfile.TemporaryDirectory(prefix="sxtriage-gt-tpl-") as tmp:
            cluster = pg.Cluster(Path(tmp), free_port())
            cluster.init()
            cluster.start()
            try:
                cluster.createdb("glitchtip")
                env = self.env(cluster.url("glitchtip"), "http://127.0.0.1:1")
                self._manage(["migrate", "--no-input"], env)
                self._manage(["createcachetable"], env)
            finally:
                cluster.stop()
            shutil.rmtree(self.template, ignore_errors=True)
            shutil.copytree(cluster.data, self.template, symlinks=True)
        (self.root / "pg-template.ok").touch()


def _health(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_health/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running(
    install_root: Path | None = None, tarball: Path | None = None, quiet: bool = False
) -> Iterator[GlitchTip]:
    """GlitchTip up on loopback for the duration of the block; everything torn down after."""
    reason = missing(tarball)
    if reason:
        raise RuntimeError(reason)
    t0 = time.monotonic()
    timings: dict[str, float] = {}
    inst = Installation(install_root, tarball)
    inst.ensure(timings)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sxtriage-gt-")))
        os.chmod(tmp, 0o711)  # the cluster inside is run by user postgres
        t = time.monotonic()
        cluster = pg.Cluster(tmp / "pg", free_port())
        cluster.init(template=inst.template)
        cluster.start()
        stack.callback(cluster.stop)
        timings["postgres"] = round(time.monotonic() - t, 1)

        web_port = free_port()
        url = f"http://127.0.0.1:{web_port}"
        env = inst.env(cluster.url("glitchtip"), url)
        t = time.monotonic()
        seed = _seed(inst, env)
        timings["seed"] = round(time.monotonic() - t, 1)

        t = time.monotonic()
        log_path = tmp / "uvicorn.log"
        log = stack.enter_context(open(log_path, "wb"))
        proc = subprocess.Popen(
            [str(inst.python), "-m", "uvicorn", "glitchtip.asgi:application",
             "--host", "127.0.0.1", "--port", str(web_port), "--workers", "1",
             "--lifespan", "off", "--log-level", "warning"],
            cwd=inst.src, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        stack.callback(_stop, proc)
        try:
            wait_until(lambda: proc.poll() is not None or _health(url), 120, "GlitchTip /_health/")
        except TimeoutError as exc:
            raise RuntimeError(f"{exc}; log: {_tail(log_path)}") from exc
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited {proc.returncode}: {_tail(log_path)}")
        timings["web"] = round(time.monotonic() - t, 1)
        timings["total"] = round(time.monotonic() - t0, 1)
        kind = "cold" if {"uv_sync", "migrate"} & timings.keys() else "warm"
        if not quiet:
            _log(f"up in {timings['total']} s ({kind} start): {timings}")
        server = GlitchTip(
            url=url,
            org=seed["org"],
            team=seed["team"],
            token=seed["token"],
            projects={k: Project(**v) for k, v in seed["projects"].items()},
            members=seed["members"],
            user=seed["user"],
            timings=timings,
            start_kind=kind,
            log_path=log_path,
        )
        yield server


def _seed(inst: Installation, env: dict[str, str]) -> dict:
    # Fed on stdin: run as a file, its directory (this one, with a `glitchtip` module)
    # would shadow GlitchTip's own `glitchtip` package.
    script = Path(__file__).with_name("glitchtip_seed.py").read_text()
    proc = subprocess.run(
        [str(inst.python), "-"],
        input=script, cwd=inst.src, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"GlitchTip seed failed ({proc.returncode}): {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def main(argv: list[str]) -> int:
    if argv[:1] != ["up"]:
        print("usage: python -m tests.compat.glitchtip up", file=sys.stderr)
        return 2
    reason = missing()
    if reason:
        print(f"glitchtip: {reason}", file=sys.stderr)
        return 2
    stop = False

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        with running() as server:
            print(server.as_json(), flush=True)
            _log(f"{server.url} (org {server.org}); Ctrl-C to stop")
            while not stop:
                signal.pause()
    except KeyboardInterrupt:
        _log("stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
