"""Keyring storage and the 0600 file fallback when no backend exists."""

from __future__ import annotations

import stat

import keyring
import pytest
from keyring.backends import fail

from sxtriage import secrets
from tests.conftest import MemoryKeyring


def test_keyring_backend_is_used(memory_keyring: MemoryKeyring) -> None:
    where = secrets.set_secret(secrets.SENTRY, "sntrys_secret_value_1234")
    assert where.startswith("keyring")
    assert memory_keyring.store[("sxtriage", "sentry_token")] == "sntrys_secret_value_1234"
    assert secrets.get_secret(secrets.SENTRY) == "sntrys_secret_value_1234"
    assert not secrets.fallback_path().exists()


@pytest.fixture
def no_keyring() -> object:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    secrets._warned = False
    yield
    keyring.set_keyring(previous)


def test_fallback_file_is_private_and_announced_once(
    no_keyring: object, capsys: pytest.CaptureFixture[str]
) -> None:
    where = secrets.set_secret(secrets.SENTRY, "tok-1111-2222-3333")
    secrets.set_secret(secrets.GITHUB, "gh-4444-5555-6666")
    path = secrets.fallback_path()
    assert where == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secrets.get_secret(secrets.SENTRY) == "tok-1111-2222-3333"
    assert secrets.get_secret(secrets.GITHUB) == "gh-4444-5555-6666"
    err = capsys.readouterr().err
    assert err.count("no system keyring") == 1
    assert "tok-1111" not in err
    secrets.delete_secret(secrets.SENTRY)
    assert secrets.get_secret(secrets.SENTRY) is None
    assert "no keyring backend" in secrets.backend_name()


def test_redact_never_shows_the_token() -> None:
    assert secrets.redact(None) == "(not set)"
    assert secrets.redact("short") == "********"
    red = secrets.redact("sntrys_verysecretvalue_9876")
    assert "verysecret" not in red and red.endswith("9876")
