"""`sxtriage doctor` checks and `sxtriage config show` rendering (tokens redacted)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from sxtriage import __version__, secrets
from sxtriage.config import LoadedSettings, Settings


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
    headers = {"User-Agent": f"sxtriage/{__version__}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    reachable = False
    try:
        with httpx.Client(timeout=timeout, headers=headers, follow_redirects=True) as client:
            resp = client.get(f"{s.sentry_url}/api/0/")
            reachable = True
            yield Check("sentry url", True, f"{s.sentry_url} answered {resp.status_code}")
            if token and s.sentry_org:
                resp = client.get(f"{s.sentry_url}/api/0/organizations/{s.sentry_org}/")
                ok = resp.status_code == 200
                fix = {
                    401: "the token is invalid or expired; create a new one and `sxtriage login`",
                    403: "the token lacks org:read; add that scope",
                    404: f"no org {s.sentry_org!r} visible to this token; check SENTRY_ORG",
                }.get(resp.status_code, "check the Sentry status page")
                yield Check("org access", ok, f"HTTP {resp.status_code}", fix)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        if not reachable:
            yield Check(
                "sentry url",
                False,
                f"{s.sentry_url} unreachable ({type(exc).__name__})",
                "check the network or SENTRY_URL",
            )
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
    lines = [f"# config file: {loaded.config_path}", f"# data dir: {s.resolved_data_dir}"]
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
