"""A keyring backend in a JSON file named by an environment variable (`store_var`), for
tests and the start-up benchmark: loaded by name through PYTHON_KEYRING_BACKEND like any
third-party backend, viable only while that variable names a file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties


class JsonKeyring(KeyringBackend):
    """A keyring backend in a JSON file named by an environment variable; viable only then."""

    store_var = ""

    @classmethod
    def _path(cls) -> Path:
        path = os.environ.get(cls.store_var)
        if not path:
            raise RuntimeError(f"{cls.store_var} is not set")
        return Path(path)

    @properties.classproperty
    def priority(cls) -> float:
        cls._path()
        return 1.0

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}/{username}", None)
        self._path().write_text(json.dumps(data), encoding="utf-8")
