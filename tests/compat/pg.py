"""A private PostgreSQL 15 cluster for the compatibility suite: its own data dir, port and
socket dir in a temp dir, trust auth on loopback. Run as user ``postgres`` when we are root
(initdb refuses root). Debian's ``postgresql-15`` provides the binaries."""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("SXTRIAGE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def missing() -> str | None:
    """One line naming what is missing to run a cluster, or None."""
    if not (PG_BIN / "initdb").is_file():
        return f"PostgreSQL 15 not found at {PG_BIN} (apt-get install postgresql-15)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "user 'postgres' missing (apt-get install postgresql-15 creates it)"
        if not (shutil.which("runuser") or shutil.which("su")):
            return "neither runuser nor su found to run PostgreSQL as 'postgres'"
    return None


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(map(_quote, cmd))]


def _quote(arg: str) -> str:
    return shlex.quote(arg)


def _chown(path: Path) -> None:
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam("postgres")
    for root, dirs, files in os.walk(path):
        os.chown(root, user.pw_uid, user.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid, follow_symlinks=False)


def _run(cmd: list[str], what: str, timeout: float = 120) -> None:
    proc = subprocess.run(_as_owner(cmd), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"PostgreSQL {what} failed ({proc.returncode}): {' | '.join(tail)}")


@dataclass
class Cluster:
    """One cluster under ``base`` (``base/data``, ``base/sock``, ``base/pg.log``)."""

    base: Path
    port: int

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def sock(self) -> Path:
        return self.base / "sock"

    @property
    def log(self) -> Path:
        return self.base / "pg.log"

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def init(self, template: Path | None = None) -> None:
        """A fresh cluster, or a copy of a stopped template cluster's data dir."""
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)
        self.sock.mkdir(exist_ok=True)
        self.log.touch()
        if template is not None:
            shutil.copytree(template, self.data, symlinks=True)
            os.chmod(self.data, 0o700)
            _chown(self.base)
            return
        _chown(self.base)
        _run(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres",
             "-E", "UTF8", "--no-sync"],
            "initdb",
        )  # fmt: skip

    def start(self, timeout: float = 60) -> None:
        opts = (
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts,
             "-w", "-t", str(int(timeout)), "start"],
            "start",
            timeout=timeout + 10,
        )  # fmt: skip

    def createdb(self, name: str) -> None:
        _run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
             "postgres", name],
            "createdb",
        )  # fmt: skip

    def stop(self) -> None:
        if not (self.data / "postmaster.pid").exists():
            return
        try:
            _run(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30",
                 "stop"],
                "stop",
                timeout=40,
            )  # fmt: skip
        except (RuntimeError, subprocess.TimeoutExpired):
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():
                pid = int(pid_file.read_text().split()[0])
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
