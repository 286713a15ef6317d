"""The remembered keyring backend: later runs load just it (or only read the file), a
stale record is rediscovered, writes always ask keyring, a token in env never loads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend

from sxtriage import secrets
from tests.json_keyring import JsonKeyring

ROOT = Path(__file__).resolve().parent.parent
STORE_A = "SXTRIAGE_TEST_KEYRING_A"
STORE_B = "SXTRIAGE_TEST_KEYRING_B"


class JsonKeyringA(JsonKeyring):
    store_var = STORE_A


class JsonKeyringB(JsonKeyring):
    store_var = STORE_B


A = f"{__name__}.JsonKeyringA"
B = f"{__name__}.JsonKeyringB"


@pytest.fixture
def no_backend_yet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """This process has chosen no keyring backend; yields a count of discoveries."""
    previous = keyring.core._keyring_backend
    keyring.core._keyring_backend = None
    monkeypatch.setattr(secrets, "_remembered", None)
    monkeypatch.setattr(secrets, "_chains", {})
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    calls: list[int] = []
    real = secrets._discover

    def counting() -> KeyringBackend | None:
        calls.append(1)
        return real()

    monkeypatch.setattr(secrets, "_discover", counting)
    try:
        yield calls
    finally:
        keyring.core._keyring_backend = previous


def _record(backend: str | None, *, chain: list[str] | None = None, **changes: object) -> None:
    record = secrets.BackendRecord(
        fingerprint=secrets.fingerprint(),
        backend=backend,
        chain=chain or [],
        saved_at=time.time(),
    ).model_copy(update=changes)
    path = secrets.record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record.model_dump_json(), encoding="utf-8")


def test_no_backend_is_remembered_and_the_file_is_read(
    no_backend_yet: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    secrets.set_secret(secrets.SENTRY, "tok-in-the-file-1234", quiet=True)
    assert no_backend_yet == [1]
    record = secrets.BackendRecord.model_validate_json(secrets.record_path().read_text())
    assert record.backend is None
    assert record.fingerprint == secrets.fingerprint()

    keyring.core._keyring_backend = None  # as a new process starts
    assert secrets.get_secret(secrets.SENTRY) == "tok-in-the-file-1234"
    assert secrets.get_secret(secrets.GITHUB) is None
    assert "no keyring backend" in secrets.backend_name()
    assert no_backend_yet == [1]  # the record answered: no discovery


@pytest.mark.parametrize(
    "stale",
    [
        {"fingerprint": {"host": "another machine"}},
        {"saved_at": time.time() - secrets.RECORD_MAX_AGE - 60},
        {"saved_at": time.time() + 3600},  # the clock went back
        {"backend": "nowhere.Keyring"},  # uninstalled since
        {"backend": "tests.json_keyring.JsonKeyring"},  # no longer viable (no store)
    ],
)
def test_stale_record_is_rediscovered_and_rewritten(
    no_backend_yet: list[int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    stale: dict[str, object],
) -> None:
    monkeypatch.setenv(STORE_A, str(tmp_path / "a.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", A)
    JsonKeyringA().set_password("sxtriage", secrets.SENTRY, "tok-in-keyring-a-5678")
    _record(**{"backend": None, **stale})  # type: ignore[arg-type]

    assert secrets.get_secret(secrets.SENTRY) == "tok-in-keyring-a-5678"
    assert no_backend_yet == [1]
    record = secrets.BackendRecord.model_validate_json(secrets.record_path().read_text())
    assert record.backend == A
    assert record.fingerprint == secrets.fingerprint()
    assert time.time() - record.saved_at < 60


def test_installing_a_distribution_changes_the_fingerprint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    before = secrets.fingerprint()
    (site / "notes.txt").write_text("not a distribution")
    assert secrets.fingerprint() == before
    (site / "keyrings.alt-5.0.2.dist-info").mkdir()
    assert secrets.fingerprint() != before
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    assert secrets.fingerprint()["PYTHON_KEYRING_BACKEND"] == "keyring.backends.null.Keyring"


def test_unreadable_record_is_rediscovered(
    no_backend_yet: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    secrets.record_path().parent.mkdir(parents=True, exist_ok=True)
    secrets.record_path().write_text('{"version": 1, "backend": ')
    assert secrets.get_secret(secrets.SENTRY) is None
    assert no_backend_yet == [1]
    assert secrets.BackendRecord.model_validate_json(secrets.record_path().read_text())


def test_remembered_backend_is_used_without_discovery(
    no_backend_yet: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(STORE_A, str(tmp_path / "a.json"))
    JsonKeyringA().set_password("sxtriage", secrets.GITHUB, "ghp-in-keyring-a-9012")
    _record(A)
    assert secrets.get_secret(secrets.GITHUB) == "ghp-in-keyring-a-9012"
    assert secrets.backend_name() == "JsonKeyringA"
    assert no_backend_yet == []


def test_a_broken_keyring_still_leaves_the_file(
    no_backend_yet: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = tmp_path / "a.json"
    store.write_text("{not json")  # get_password raises
    monkeypatch.setenv(STORE_A, str(store))
    _record(A)
    secrets._write_file({"sentry_token": "tok-in-the-file-7777"})
    assert secrets.get_secret(secrets.SENTRY) == "tok-in-the-file-7777"


def test_remembered_chain_reads_its_members_in_order(
    no_backend_yet: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(STORE_A, str(tmp_path / "a.json"))
    monkeypatch.setenv(STORE_B, str(tmp_path / "b.json"))
    JsonKeyringA().set_password("sxtriage", secrets.SENTRY, "tok-from-a-1111")
    JsonKeyringB().set_password("sxtriage", secrets.SENTRY, "tok-from-b-2222")
    JsonKeyringB().set_password("sxtriage", secrets.GITHUB, "ghp-from-b-3333")
    _record("keyring.backends.chainer.ChainerBackend", chain=[A, B])
    assert secrets.get_secret(secrets.SENTRY) == "tok-from-a-1111"
    assert secrets.get_secret(secrets.GITHUB) == "ghp-from-b-3333"
    assert secrets.backend_name() == "ChainerBackend"
    assert no_backend_yet == []


def test_a_write_asks_keyring_not_the_record(
    no_backend_yet: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(STORE_A, str(tmp_path / "a.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", A)
    _record(None)  # "no keyring" remembered for this very fingerprint; keyring's choice is A
    where = secrets.set_secret(secrets.SENTRY, "tok-stored-in-a-4444")
    assert where == "keyring (JsonKeyringA)"
    assert no_backend_yet == [1]
    assert JsonKeyringA().get_password("sxtriage", secrets.SENTRY) == "tok-stored-in-a-4444"
    assert not secrets.fallback_path().exists()


def test_missing_token_with_a_session_bus_asks_keyring(
    no_backend_yet: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    _record(None)
    assert secrets.get_secret(secrets.GITHUB) is None
    assert no_backend_yet == [1]  # a KWallet started since could have it


# --- whole processes: what is imported --------------------------------------------------

_PROBE = """
import json, sys
from sxtriage.cli import main
try:
    main(sys.argv[1:], prog_name="sxtriage")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("keyring", "httpx"))))
"""


def _run(args: list[str], home: Path, **env: str) -> tuple[str, list[str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "GITHUB_"))}
    base.pop("PYTHON_KEYRING_BACKEND", None)
    base.pop("DBUS_SESSION_BUS_ADDRESS", None)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        env={
            **base,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "SXTRIAGE_LOG_DIR": str(home / "log"),
            **env,
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out, _, modules = proc.stdout.rstrip("\n").rpartition("\n")
    return out, json.loads(modules)


def test_tokens_in_env_never_load_keyring(isolated_home: Path) -> None:
    env = {"SENTRY_AUTH_TOKEN": "sntrys_env_token_1234", "GITHUB_TOKEN": "ghp_env_token_5678"}
    out, modules = _run(["config", "show"], isolated_home, **env)
    assert "sentry_token = ********1234    # from env" in out
    assert modules == []
    assert not (isolated_home / ".config" / "sxtriage" / "keyring-backend.json").exists()


def test_file_fallback_after_login_without_keyring(isolated_home: Path) -> None:
    """Stored where no backend exists; every later run reads the file without keyring."""
    _run(
        ["login", "--sentry-token", "sntrys_file_token_abcd"],
        isolated_home,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    secrets_file = isolated_home / ".config" / "sxtriage" / "secrets.json"
    assert json.loads(secrets_file.read_text()) == {"sentry_token": "sntrys_file_token_abcd"}
    # the first run without PYTHON_KEYRING_BACKEND discovers (this machine has a keyring
    # backend or not); the record it leaves answers the next
    out, _ = _run(["config", "show"], isolated_home)
    record = json.loads(
        (isolated_home / ".config" / "sxtriage" / "keyring-backend.json").read_text()
    )
    out, modules = _run(["config", "show"], isolated_home)
    assert "sentry_token = ********abcd    # from keyring" in out
    if record["backend"] is None:
        assert modules == []
    else:  # only the remembered backend, not keyring's discovery of all of them
        assert record["backend"].rpartition(".")[0] in modules
        assert len([m for m in modules if m.startswith("keyring.backends.")]) <= 3


def test_remembered_backend_alone_is_imported(isolated_home: Path, tmp_path: Path) -> None:
    store = tmp_path / "a.json"
    store.write_text(json.dumps({"sxtriage/sentry_token": "sntrys_in_a_wxyz"}))
    env = {STORE_A: str(store), "PYTHON_KEYRING_BACKEND": A}
    _run(["config", "show"], isolated_home, **env)  # discovers A (named by the env)
    record_file = isolated_home / ".config" / "sxtriage" / "keyring-backend.json"
    record = json.loads(record_file.read_text())
    assert record["backend"] == A
    # the same machine without the variable: rewrite the record for that fingerprint, naming A
    del env["PYTHON_KEYRING_BACKEND"]
    _run(["config", "show"], isolated_home, **env)
    record = json.loads(record_file.read_text())
    record["backend"], record["chain"] = A, []
    record_file.write_text(json.dumps(record))
    out, modules = _run(["config", "show"], isolated_home, **env)
    assert "sentry_token = ********wxyz    # from keyring" in out
    assert "keyring.backends.SecretService" not in modules
    assert "keyring.backends.macOS" not in modules
    assert json.loads(record_file.read_text())["backend"] == A
