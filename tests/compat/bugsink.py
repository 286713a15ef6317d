"""A real Bugsink (PyPI ``bugsink`` 2.6.x, SQLite) on loopback for the compatibility suite.

Install (cached, once): a venv with ``pip install "bugsink==2.6.*"``.  Start (each run): a
``--template=local`` config in a temp dir, migrate both SQLite databases, seed a team,
a project and a full-access token, then gunicorn on a free port until ``/health/ready``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.compat.glitchtip import _stop, _tail, cache_root, free_port, wait_until

SPEC = "bugsink==2.6.*"
CACHE_NAME = "bugsink-2.6"
SEED = """
import json, django
django.setup()
from teams.models import Team
from projects.models import Project
from bsmain.models import AuthToken
team = Team.objects.create(name="compat")
project = Project.objects.create(name="api", slug="api", team=team)
token = AuthToken.create_full_access(description="sxtriage compat")
print(json.dumps({"project_id": project.id, "dsn": project.dsn, "token": token.token}))
"""


def _log(msg: str) -> None:
    print(f"[bugsink] {msg}", file=sys.stderr, flush=True)


@dataclass
class Bugsink:
    url: str
    token: str
    project_id: int
    dsn: str
    log_path: Path
    start_s: float = 0.0

    def log_tail(self, lines: int = 10) -> str:
        return _tail(self.log_path, lines)


def missing() -> str | None:
    if shutil.which("python3.11") is None:
        return "python3.11 not found on PATH (Bugsink is installed into a venv of it)"
    return None


def _venv(root: Path) -> Path:
    venv = root / "venv"
    stamp = root / "venv.ok"
    if stamp.exists():
        return venv
    _log(f"pip install {SPEC} into {venv} (once)")
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", SPEC], capture_output=True, text=True
    )
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"pip install {SPEC} failed ({proc.returncode}): {tail}")
    stamp.touch()
    return venv


def _run(cmd: list[str], env: dict[str, str], cwd: Path, what: str) -> str:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise RuntimeError(f"Bugsink {what} failed ({proc.returncode}): {tail}")
    return proc.stdout


DATABASES = ("db.sqlite3", "snappea.sqlite3")


def _databases(root: Path, manage: Path, env: dict[str, str], tmp: Path) -> None:
    """Migrated SQLite databases in `tmp`: copies of a template migrated once."""
    template = root / "db-template"
    if not (root / "db-template.ok").exists():
        _run([str(manage), "migrate", "--no-input"], env, tmp, "migrate")
        _run([str(manage), "migrate", "snappea", "--database=snappea"], env, tmp, "migrate")
        shutil.rmtree(template, ignore_errors=True)
        template.mkdir()
        for name in DATABASES:
            shutil.copy2(tmp / name, template / name)
        (root / "db-template.ok").touch()
        return
    for name in DATABASES:
        shutil.copy2(template / name, tmp / name)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running(install_root: Path | None = None) -> Iterator[Bugsink]:
    root = (install_root or cache_root()) / CACHE_NAME
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    venv = _venv(root)
    bin_ = venv / "bin"
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sxtriage-bs-")))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "DJANGO_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="bugsink_conf",
            PYTHONPATH=str(tmp),
            DATABASE_PATH=str(tmp / "db.sqlite3"),
            PYTHONUNBUFFERED="1",
        )
        conf = [str(bin_ / "bugsink-create-conf"), "--template=local", "--host", "127.0.0.1"]
        _run([*conf, "--port", str(port), "-o", str(tmp / "bugsink_conf.py")], env, tmp, "conf")
        _databases(root, bin_ / "bugsink-manage", env, tmp)
        seed = json.loads(
            _run([str(bin_ / "python"), "-c", SEED], env, tmp, "seed").splitlines()[-1]
        )
        log_path = tmp / "gunicorn.log"
        log = stack.enter_context(open(log_path, "wb"))
        proc = subprocess.Popen(
            [str(bin_ / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--access-logfile", "-", "bugsink.wsgi"],
            cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        stack.callback(_stop, proc)
        wait_until(lambda: proc.poll() is not None or _ready(url), 60, "Bugsink /health/ready")
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited {proc.returncode}: {_tail(log_path)}")
        took = time.monotonic() - t0
        _log(f"Bugsink up in {took:.1f} s at {url}")
        yield Bugsink(url, seed["token"], int(seed["project_id"]), seed["dsn"], log_path, took)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":  # python -m tests.compat.bugsink: up until Ctrl-C (or SIGTERM)
    signal.signal(signal.SIGTERM, _interrupt)
    with running() as server:
        print(json.dumps({k: str(v) for k, v in vars(server).items()}), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    sys.exit(0)
