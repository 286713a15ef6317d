"""`sxtriage doctor` checks and `sxtriage config show` rendering (tokens redacted).

Each check imports what it needs when it runs: a Sentry URL that takes no TCP connection
is reported from a plain socket probe, without loading httpx and the Sentry client.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sxtriage import secrets
from sxtriage.logs import log_path

if TYPE_CHECKING:
    from sxtriage.config import LoadedSettings, Settings
    from sxtriage.sentry.client import SentryClient


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        text = f"{mark} {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f" — {self.fix}"
        return text


REQUIRED_SCOPES = ("event:read", "event:write", "member:read", "project:read", "org:read")
"""What sxtriage's calls need: issue list/detail (event:read), triage (event:write),
assignees (member:read), the project map (project:read), the org (org:read)."""
_SCOPE_RANK = {"read": 0, "write": 1, "admin": 2}


def missing_scopes(granted: list[str]) -> list[str]:
    """Required scopes the token lacks; a higher level of a resource covers the lower."""
    have: dict[str, int] = {}
    for scope in granted:
        resource, _, level = scope.partition(":")
        if level in _SCOPE_RANK:
            have[resource] = max(have.get(resource, -1), _SCOPE_RANK[level])
    out = []
    for scope in REQUIRED_SCOPES:
        resource, _, level = scope.partition(":")
        if have.get(resource, -1) < _SCOPE_RANK[level]:
            out.append(scope)
    return out


def run_checks(s: Settings, *, timeout: float = 3.0) -> Iterator[Check]:
    token = s.sentry_token.get_secret_value() if s.sentry_token else None
    yield Check(
        "sentry token",
        bool(token),
        f"present ({secrets.redact(token)})" if token else "missing",
        "run `sxtriage login` or set SENTRY_AUTH_TOKEN",
    )
    yield Check(
        "sentry org",
        bool(s.sentry_org),
        s.sentry_org or "missing",
        "set SENTRY_ORG or [sentry] org in config.toml",
    )
    unreachable = tcp_unreachable(s.sentry_url, timeout)
    if unreachable:
        yield _unreachable(s, unreachable)
    else:
        import asyncio

        yield from asyncio.run(_server_checks(s, token, timeout))
    yield _relay_port_check(s)
    backend = secrets.backend_name()
    yield Check("keyring", True, backend)
    gh = s.github_token.get_secret_value() if s.github_token else None
    yield Check(
        "github token",
        bool(gh),
        f"present ({secrets.redact(gh)})" if gh else "missing (needed for `t`)",
        "set GITHUB_TOKEN or `sxtriage login --github-token`",
    )
    yield _data_dir_check(s)
    yield Check("log file", True, str(log_path()))


def _unreachable(s: Settings, reason: str) -> Check:
    return Check(
        "sentry url",
        False,
        f"{s.sentry_url} unreachable ({reason})",
        "check the network or SENTRY_URL",
    )


_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy"}
_IN_PROGRESS = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN}


def tcp_unreachable(url: str, timeout: float) -> str | None:
    """ "ConnectError" (no such host; every address refused) or "ConnectTimeout" (no
    address answered within timeout), as httpx would name it; None when an address took
    the connection or only httpx can tell (a proxy from the environment, Windows, an odd URL).
    """
    if sys.platform == "win32":
        return None  # a refused non-blocking connect is not signalled as writable there
    if any(v and k.lower() in _PROXY_VARS for k, v in os.environ.items()):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not host:
        return None
    deadline = time.monotonic() + timeout
    try:  # an address, not a name: nothing to resolve, nothing that can hang
        numeric = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
    except (OSError, UnicodeError):
        pass
    else:
        return _connect_any(numeric, deadline)
    result: list[str | None] = []
    probe = threading.Thread(
        target=lambda: result.append(_resolve_and_connect(host, port, deadline)),
        name="doctor-probe",
        daemon=True,  # a resolver that hangs past the deadline must not hold the exit
    )
    probe.start()
    probe.join(timeout)
    return result[0] if result else "ConnectTimeout"


_AddrInfo = list[
    tuple[
        socket.AddressFamily,
        socket.SocketKind,
        int,
        str,
        tuple[str, int] | tuple[str, int, int, int],
    ]
]


def _resolve_and_connect(host: str, port: int, deadline: float) -> str | None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return "ConnectError"
    except (OSError, UnicodeError):
        return None
    return _connect_any(infos, deadline)


def _connect_any(infos: _AddrInfo, deadline: float) -> str | None:
    """Connect to every address at once; None as soon as one connects."""
    import selectors

    sel = selectors.DefaultSelector()
    try:
        for family, kind, proto, _, addr in infos:
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:
                continue
            sock.setblocking(False)
            try:
                err = sock.connect_ex(addr)
            except OSError:
                sock.close()
                continue
            if err == 0:
                sock.close()
                return None
            if err in _IN_PROGRESS:
                sel.register(sock, selectors.EVENT_WRITE)
            else:
                sock.close()
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "ConnectTimeout"
            for key, _ in sel.select(remaining):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sel.unregister(sock)
                sock.close()
                if err == 0:
                    return None
        return "ConnectError"
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        sel.close()


async def _bugsink(client: SentryClient) -> bool:
    """Bugsink serves its own API under /api/canonical/0/ and 404s all of /api/0/."""
    import httpx

    try:
        resp = await client.t.http.get("/api/canonical/0/")
    except httpx.HTTPError:
        return False
    return resp.status_code != 404


async def _server_checks(s: Settings, token: str | None, request_timeout: float) -> list[Check]:
    import httpx

    from sxtriage.sentry.capabilities import Feature
    from sxtriage.sentry.client import SentryClient
    from sxtriage.sentry.errors import SentryError

    out: list[Check] = []
    client = SentryClient(
        s.sentry_url,
        s.sentry_org or "-",
        token,
        services=s.services,
        dialect_override=s.server_dialect,
        timeout=request_timeout,
        max_retries=0,
        max_retry_after=0.0,
    )
    try:
        try:
            resp = await client.t.http.get("/api/0/")
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            out.append(_unreachable(s, type(exc).__name__))
            return out
        out.append(Check("sentry url", True, f"{s.sentry_url} answered {resp.status_code}"))
        if resp.status_code == 404 and await _bugsink(client):
            out.append(
                Check(
                    "server",
                    False,
                    f"{s.sentry_url} is Bugsink: it serves its own API (/api/canonical/0/), "
                    "not Sentry's web API",
                    "sxtriage can forward events to it ([relay] forward = DSN), but triage "
                    "needs sentry.io, self-hosted Sentry or GlitchTip",
                )
            )
            return out
        caps = await client.detect()
        out.append(Check("server", True, caps.label))
        if not (token and s.sentry_org):
            return out
        out += await _org_checks(client, s, caps.has(Feature.ASSIGN))
    except SentryError as exc:
        out.append(Check("sentry api", False, str(exc)))
    finally:
        await client.aclose()
    return out


async def _org_checks(client: SentryClient, s: Settings, assign: bool) -> list[Check]:
    from sxtriage.sentry.errors import SentryError

    out: list[Check] = []
    scopes = await client.token_scopes()
    if scopes is not None:
        lacking = missing_scopes(scopes)
        if not assign and "member:read" in lacking:
            lacking.remove("member:read")
        out.append(
            Check(
                "token scopes",
                not lacking,
                "all needed" if not lacking else f"missing {', '.join(lacking)}",
                "create a token with event:read, event:write, member:read, project:read "
                "and org:read, then `sxtriage login`",
            )
        )
    try:
        projects = await client.list_projects()
    except SentryError as exc:
        fix = f"check SENTRY_ORG ({s.sentry_org!r}) and the token's org:read/project:read"
        out.append(Check("org access", False, str(exc), fix))
        return out
    out.append(Check("org access", True, f"{s.sentry_org}: {len(projects)} project(s)"))
    try:
        page = await client.list_issues(projects=s.sentry_projects, limit=1)
    except SentryError as exc:
        out.append(Check("issue list", False, str(exc), "fix what it names; the TUI would fail"))
        return out
    out.append(Check("issue list", True, f"answered ({len(page.items)} on the first page)"))
    return out


def _relay_port_check(s: Settings) -> Check:
    if s.relay_url:
        return Check("relay", True, f"external relay {s.relay_url}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((s.relay_host, s.relay_port))
    except OSError as exc:
        return Check(
            "relay port",
            False,
            f"{s.relay_host}:{s.relay_port} not free ({exc.strerror})",
            "stop the process using it or set [relay] port",
        )
    finally:
        sock.close()
    return Check("relay port", True, f"{s.relay_host}:{s.relay_port} free")


def _data_dir_check(s: Settings) -> Check:
    path = s.resolved_data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".doctor-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return Check(
            "data dir", False, f"{path} not writable ({exc.strerror})", "pass --data-dir DIR"
        )
    return Check("data dir", True, str(path))


_SECRET_KEYS = {"sentry_token", "github_token"}


def _redact_dsn(dsn: str) -> str:
    """https://KEY@host/42 → https://****@host/42 (the key is a credential)."""
    scheme, sep, rest = dsn.partition("://")
    if not sep or "@" not in rest:
        return dsn
    return f"{scheme}://****@{rest.split('@', 1)[1]}"


def render_config(loaded: LoadedSettings) -> str:
    s = loaded.settings
    lines = [
        f"# config file: {loaded.config_path}",
        f"# data dir: {s.resolved_data_dir}",
        f"# log file: {log_path()}",
    ]
    data = s.model_dump(mode="json")
    for key in data:
        origin = loaded.origins.get(key, "default")
        if key in _SECRET_KEYS:
            secret = getattr(s, key)
            value = secrets.redact(secret.get_secret_value() if secret else None)
            lines.append(f"{key} = {value}    # from {origin}")
        elif key == "relay_keys":
            lines.append(f"{key} = {len(data[key])} key(s)    # from {origin}")
        elif key == "relay_forward":
            shown = {svc: _redact_dsn(dsn) for svc, dsn in data[key].items()}
            lines.append(f"{key} = {json.dumps(shown)}    # from {origin}")
        elif key == "services":
            lines.append(f"services:    # from {origin}")
            for name, svc in data[key].items():
                lines.append(f"  {name} = {json.dumps(svc)}")
        else:
            lines.append(f"{key} = {json.dumps(data[key])}    # from {origin}")
    return "\n".join(lines)
