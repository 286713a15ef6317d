"""Tokens in the OS keyring, or — where no keyring backend exists — in a 0600 file.

The fallback is announced once per process (`fallback_notice`) and never crashes with
NoKeyringError.  Token values are never logged or printed; use `redact`.

keyring is imported only when a token is really looked up in it.  Finding keyring's
backend imports every backend it knows (on Linux the macOS one alone costs tens of ms),
so the answer is remembered per machine in `keyring-backend.json` beside the fallback
file, with a fingerprint of what decides it: platform, host, Python, the installed
distributions, PYTHON_KEYRING_BACKEND, the D-Bus session and its service files and
keyringrc.cfg.  A later run imports just the remembered backend and checks it is still
viable, or, when the answer was "none", reads the file without importing keyring at all.
A changed fingerprint, a record older than a day, or a backend that no longer loads means
keyring's own discovery and a new record.  Storing or deleting a token always asks keyring
afresh, and so does a token missing from the file while a D-Bus session could offer one.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from sxtriage.config import APP_NAME, config_dir

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SENTRY = "sentry_token"
GITHUB = "github_token"
RECORD_MAX_AGE = 24 * 3600.0
"""Seconds a remembered backend is trusted before keyring discovers again."""
_warned = False


class _Reader(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...


@dataclass
class _Chain:
    """keyring's ChainerBackend, read side, over the remembered member backends:
    the first of them that has the password answers."""

    members: list[KeyringBackend]

    def get_password(self, service: str, username: str) -> str | None:
        for member in self.members:
            value = member.get_password(service, username)
            if value is not None:
                return value
        return None


class BackendRecord(BaseModel):
    """`keyring-backend.json`: which keyring backend this machine has."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    fingerprint: dict[str, str]
    backend: str | None
    """"module.Class" of the backend keyring chose; None: no usable backend (the file)."""
    chain: list[str] = []
    """The members, best first, when keyring chose its ChainerBackend."""
    saved_at: float


def redact(token: str | None) -> str:
    if not token:
        return "(not set)"
    return f"{'*' * 8}{token[-4:]}" if len(token) >= 12 else "********"


def fallback_path() -> Path:
    return config_dir() / "secrets.json"


def record_path() -> Path:
    return config_dir() / "keyring-backend.json"


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


# --- which backend ----------------------------------------------------------------------


def _qualname(obj: object) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _mtime(path: str | Path) -> str:
    try:
        return str(os.stat(path).st_mtime_ns)
    except OSError:
        return "-"


def _distributions(entry: str) -> str:
    """A digest of the *.dist-info / *.egg-info names in a sys.path directory."""
    import zlib

    try:
        with os.scandir(entry or ".") as it:
            names = sorted(e.name for e in it if e.name.endswith((".dist-info", ".egg-info")))
    except OSError:
        return "-"
    return f"{len(names)}:{zlib.crc32(chr(10).join(names).encode()):08x}"


def _keyringrc() -> Path:
    """keyring's config file (keyring.util.platform_.config_root() / keyringrc.cfg)."""
    if sys.platform == "win32":
        root = os.environ.get("LOCALAPPDATA", os.environ.get("PROGRAMDATA", "."))
        return Path(root, "Python Keyring", "keyringrc.cfg")
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base, "python_keyring", "keyringrc.cfg")


def fingerprint() -> dict[str, str]:
    """What keyring's choice of backend depends on; any change means discovering again."""
    env = os.environ
    data_home = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    rc = _keyringrc()
    out = {
        "platform": sys.platform,
        "host": os.uname().nodename if hasattr(os, "uname") else env.get("COMPUTERNAME", ""),
        "python": f"{sys.prefix} {sys.version}",
        "PYTHON_KEYRING_BACKEND": env.get("PYTHON_KEYRING_BACKEND", ""),
        "KEYCHAIN_PATH": env.get("KEYCHAIN_PATH", ""),
        "DBUS_SESSION_BUS_ADDRESS": env.get("DBUS_SESSION_BUS_ADDRESS", ""),
        "keyringrc": f"{rc} {_mtime(rc)}",
    }
    # the distributions installed on each path entry (keyring's version, backend plugins);
    # sys.path[0] is the script's directory or the working directory, not an install
    for entry in sys.path[1:]:
        out[f"path {entry}"] = _distributions(entry)
    # a Secret Service / KWallet provider installed later adds a D-Bus service file
    for services in (
        "/usr/share/dbus-1/services",
        "/usr/local/share/dbus-1/services",
        f"{data_home}/dbus-1/services",
    ):
        out[f"dbus {services}"] = _mtime(services)
    return out


def _chosen_in_process() -> KeyringBackend | None:
    """The backend this process already runs with (keyring.set_keyring, an earlier lookup)."""
    core = sys.modules.get("keyring.core")
    if core is None:
        return None
    if not hasattr(core, "_keyring_backend"):
        import keyring

        return keyring.get_keyring()
    chosen: KeyringBackend | None = core._keyring_backend
    return chosen


def _usable(backend: KeyringBackend) -> KeyringBackend | None:
    from keyring.errors import KeyringError

    name = _qualname(backend).lower()
    if "fail" in name or "null" in name or "chainer" in name:
        # ChainerBackend with no real backends behind it behaves like fail.Keyring
        try:
            backend.get_password(APP_NAME, "__probe__")
        except KeyringError:
            return None
        except Exception:
            return None
        if "fail" in name or "null" in name:
            return None
    return backend


def _read_record() -> BackendRecord | None:
    try:
        return BackendRecord.model_validate_json(record_path().read_bytes())
    except (OSError, ValidationError):
        return None


def _write_record(backend: KeyringBackend | None) -> None:
    chain: list[str] = []
    if backend is not None and type(backend).__name__ == "ChainerBackend":
        chain = [_qualname(member) for member in getattr(backend, "backends", [])]
    record = BackendRecord(
        fingerprint=fingerprint(),
        backend=None if backend is None else _qualname(backend),
        chain=chain,
        saved_at=time.time(),
    )
    path = record_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(record.model_dump_json(), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable config dir only means discovering again next time


def _load_viable(qualname: str, *, chained: bool) -> KeyringBackend:
    """Import one backend class and build it; raises when it is gone or not viable here
    (keyring's check: reading `priority` raises; a chain member also needs it above 0)."""
    import importlib

    from keyring.backend import KeyringBackend

    module, _, cls_name = qualname.rpartition(".")
    cls = getattr(importlib.import_module(module), cls_name)
    if not (isinstance(cls, type) and issubclass(cls, KeyringBackend)):
        raise TypeError(f"{qualname} is not a keyring backend")
    priority = cls.priority
    if chained and not priority > 0:
        raise RuntimeError(f"{qualname} is not viable")
    backend: KeyringBackend = cls()
    return backend


_chains: dict[str, _Chain] = {}
_remembered: KeyringBackend | None = None
"""The backend this process set from the record (a write asks keyring afresh)."""


class _Stale(Exception):
    pass


def _from_record(record: BackendRecord) -> _Reader | None:
    """The remembered backend; raises _Stale when it no longer loads."""
    global _remembered
    if record.backend is None:
        return None
    if record.chain:
        key = record.model_dump_json()
        if key not in _chains:
            try:
                members = [_load_viable(name, chained=True) for name in record.chain]
            except Exception as exc:
                raise _Stale from exc
            _chains[key] = _Chain(members)
        return _chains[key]
    try:
        backend = _load_viable(record.backend, chained=False)
    except Exception as exc:
        raise _Stale from exc
    import keyring

    keyring.set_keyring(backend)  # later lookups in this process use it directly
    _remembered = backend
    return backend


def _discover() -> KeyringBackend | None:
    """keyring's own choice (PYTHON_KEYRING_BACKEND, keyringrc.cfg, the best viable
    backend), remembered for the next run."""
    import keyring.core

    keyring.core.init_backend()
    backend = _usable(keyring.core.get_keyring())
    _write_record(backend)
    return backend


def _reader() -> tuple[_Reader | None, bool]:
    """(the backend to read from, whether the record chose it); None: only the file."""
    chosen = _chosen_in_process()
    if chosen is not None:
        return _usable(chosen), chosen is _remembered
    record = _read_record()
    if (
        record is not None
        and 0 <= time.time() - record.saved_at < RECORD_MAX_AGE
        and record.fingerprint == fingerprint()
    ):
        try:
            return _from_record(record), True
        except _Stale:
            pass
    return _discover(), False


def _writer() -> KeyringBackend | None:
    """The backend to store in or delete from: keyring's current choice, never the record's
    (unless this process was given one, e.g. by keyring.set_keyring)."""
    chosen = _chosen_in_process()
    if chosen is not None and chosen is not _remembered:
        return _usable(chosen)
    return _discover()


def backend_name() -> str:
    backend, _ = _reader()
    if backend is None:
        return f"file {fallback_path()} (no keyring backend)"
    if isinstance(backend, _Chain):
        return "ChainerBackend"
    return type(backend).__name__


# --- the fallback file ------------------------------------------------------------------


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


# --- tokens -----------------------------------------------------------------------------


def set_secret(name: str, value: str, *, quiet: bool = False) -> str:
    """Store a token; returns where it went ("keyring" or the file path)."""
    backend = _writer()
    if backend is not None:
        from keyring.errors import KeyringError

        try:
            backend.set_password(APP_NAME, name, value)
            return f"keyring ({type(backend).__name__})"
        except KeyringError:
            pass
    if not quiet:
        _warn_once()
    data = _read_file()
    data[name] = value
    _write_file(data)
    return str(fallback_path())


def _lookup(backend: _Reader | None, name: str) -> str | None:
    if backend is not None:
        try:
            value = backend.get_password(APP_NAME, name)
        except Exception:  # a locked or broken keyring: the file may still have it
            value = None
        if value:
            return value
    return _read_file().get(name)


def get_secret(name: str) -> str | None:
    backend, remembered = _reader()
    value = _lookup(backend, name)
    if (
        value is None
        and remembered
        and backend is None
        and os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    ):
        # "no keyring" was remembered, but a session bus can start one (KWallet is only
        # viable while running): a missing token is worth keyring's own answer
        value = _lookup(_discover(), name)
    return value


def delete_secret(name: str) -> None:
    backend = _writer()
    if backend is not None:
        from keyring.errors import KeyringError

        try:
            backend.delete_password(APP_NAME, name)
        except KeyringError:
            pass
    data = _read_file()
    if name in data:
        del data[name]
        _write_file(data)
