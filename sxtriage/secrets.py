"""Tokens in the OS keyring, or — where no keyring backend exists — in a 0600 file.

The fallback is announced once per process (`fallback_notice`) and never crashes with
NoKeyringError.  Token values are never logged or printed; use `redact`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from sxtriage.config import APP_NAME, config_dir

SENTRY = "sentry_token"
GITHUB = "github_token"
_warned = False


def redact(token: str | None) -> str:
    if not token:
        return "(not set)"
    return f"{'*' * 8}{token[-4:]}" if len(token) >= 12 else "********"


def _usable_backend() -> KeyringBackend | None:
    backend = keyring.get_keyring()
    name = type(backend).__module__ + "." + type(backend).__name__
    if "fail" in name.lower() or "null" in name.lower() or "chainer" in name.lower():
        # ChainerBackend with no real backends behind it behaves like fail.Keyring
        try:
            backend.get_password(APP_NAME, "__probe__")
        except keyring.errors.KeyringError:
            return None
        except Exception:
            return None
        if "fail" in name.lower() or "null" in name.lower():
            return None
    return backend


def backend_name() -> str:
    backend = _usable_backend()
    if backend is None:
        return f"file {fallback_path()} (no keyring backend)"
    return type(backend).__name__


def fallback_path() -> Path:
    return config_dir() / "secrets.json"


def fallback_notice() -> str:
    return (
        f"no system keyring found; tokens are stored in {fallback_path()} (mode 0600). "
        "Install a keyring backend (e.g. gnome-keyring) to use it instead."
    )


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        print(f"note: {fallback_notice()}", file=sys.stderr)


def _read_file() -> dict[str, str]:
    path = fallback_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _write_file(data: dict[str, str]) -> None:
    path = fallback_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def set_secret(name: str, value: str, *, quiet: bool = False) -> str:
    """Store a token; returns where it went ("keyring" or the file path)."""
    backend = _usable_backend()
    if backend is not None:
        try:
            backend.set_password(APP_NAME, name, value)
            return f"keyring ({type(backend).__name__})"
        except keyring.errors.KeyringError:
            pass
    if not quiet:
        _warn_once()
    data = _read_file()
    data[name] = value
    _write_file(data)
    return str(fallback_path())


def get_secret(name: str) -> str | None:
    backend = _usable_backend()
    if backend is not None:
        try:
            value = backend.get_password(APP_NAME, name)
        except keyring.errors.KeyringError:
            value = None
        if value:
            return value
    return _read_file().get(name)


def delete_secret(name: str) -> None:
    backend = _usable_backend()
    if backend is not None:
        try:
            backend.delete_password(APP_NAME, name)
        except keyring.errors.KeyringError:
            pass
    data = _read_file()
    if name in data:
        del data[name]
        _write_file(data)
