"""Settings: defaults → ~/.sentryclirc → config.toml → environment → CLI flags.

Each layer is read into a plain dict; the merge remembers which layer set each key
(`config show` prints it) and the result is validated once by `Settings`.  Any problem
is raised as `ConfigError` with one line naming the file/key and the fix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

APP_NAME = "sxtriage"
PLATFORMS = {
    "python",
    "javascript",
    "javascript-react",
    "react-native",
    "go",
    "node",
    "java",
    "ruby",
    "php",
    "other",
}
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$")


class ConfigError(Exception):
    """A bad configuration; the message is one line naming the place and the fix."""


# Empty lists and dicts are plain defaults: pydantic copies a mutable default for each
# instance.  (`Field(default_factory=list)` would make pydantic read the builtin's text
# signature, compiling tokenize's patterns: ≈ 3 ms of every start-up.)


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    projects: list[str] = []
    """Sentry project slugs of this service."""
    relay_project_ids: list[int] = []
    """DSN project ids the relay maps to this service."""
    platform: str = "other"
    github_repo: str | None = None
    default_team: str | None = None

    @field_validator("platform")
    @classmethod
    def _platform(cls, v: str) -> str:
        if v not in PLATFORMS:
            raise ValueError(f"unknown platform {v!r}; use one of {', '.join(sorted(PLATFORMS))}")
        return v

    @field_validator("github_repo")
    @classmethod
    def _repo(cls, v: str | None) -> str | None:
        if v is not None and not _REPO.match(v):
            raise ValueError(f"github_repo {v!r} must look like owner/name")
        return v


class ViewConfig(BaseModel):
    """`[[views]]` in config.toml: a named feed section."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    query: str = "is:unresolved"
    sort: str = "date"
    services: list[str] = []


class CommandConfig(BaseModel):
    """`[[commands]]` in config.toml: a key that runs a program on the issue under the cursor.

    `run` is a list of arguments (or one string, split like a shell would, but never run
    by one); `{short_id}`, `{url}`, `{service}`, `{file}`, `{line}`, `{trace_id}`,
    `{release}`, … are filled in per argument.
    """

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=20)
    title: str = Field(min_length=1, max_length=60)
    run: list[str] | str
    mode: Literal["detached", "terminal"] = "detached"
    """detached: started in the background; terminal: the TUI suspends while it runs."""

    @field_validator("run")
    @classmethod
    def _run(cls, v: list[str] | str) -> list[str]:
        import shlex

        try:
            args = shlex.split(v) if isinstance(v, str) else list(v)
        except ValueError as exc:
            raise ValueError(f"cannot split run = {v!r} ({exc}); use a list of arguments") from None
        if not args or not args[0].strip():
            raise ValueError('run needs a program, e.g. run = ["code", "-g", "{file}:{line}"]')
        return args


def default_services() -> dict[str, ServiceConfig]:
    return {
        "api": ServiceConfig(
            projects=["api"],
            relay_project_ids=[1],
            platform="python",
            github_repo="scenextras/api",
            default_team="backend",
        ),
        "web": ServiceConfig(
            projects=["web"],
            relay_project_ids=[2],
            platform="javascript-react",
            github_repo="scenextras/web",
            default_team="frontend",
        ),
        "mobile": ServiceConfig(
            projects=["mobile"],
            relay_project_ids=[3],
            platform="react-native",
            github_repo="scenextras/mobile",
            default_team="mobile",
        ),
        "search": ServiceConfig(
            projects=["search"],
            relay_project_ids=[4],
            platform="go",
            github_repo="scenextras/search",
            default_team="search",
        ),
    }


class Settings(BaseModel):
    """The merged, validated configuration."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    sentry_url: str = "https://sentry.io"
    sentry_org: str | None = None
    sentry_token: SecretStr | None = None
    github_token: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    me: str | None = None
    """Your Sentry user (email or username) for `assigned:me` and `A`."""
    poll_interval: float = Field(default=10.0, ge=1.0, le=3600.0)
    relay_host: str = "127.0.0.1"
    relay_port: int = Field(default=8969, ge=0, le=65535)
    relay_url: str | None = None
    """Read an external relay or Spotlight sidecar instead of embedding one."""
    relay_keys: list[str] = []
    relay_max_event_bytes: int = Field(default=1024 * 1024, ge=1024)
    relay_max_envelope_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    scrub_user_emails: bool = True
    data_dir: Path | None = None
    theme: str = "sxtriage-dark"
    keymap: dict[str, str] = {}
    """binding id → keys, e.g. {"resolve": "x"}."""
    services: dict[str, ServiceConfig] = Field(default_factory=default_services)
    relay_forward: dict[str, str] = {}
    """Off by default. Service → upstream DSN ("https://KEY@o1.ingest.sentry.io/42"): the
    relay also sends each envelope of that service on to the team's Sentry."""
    alert_rules: list[dict[str, Any]] = []
    """Raw rule tables; triage.alerts validates each on its own so one bad rule
    does not stop the others."""
    quiet_hours: str | None = None
    """"22:00-07:00": no bell at night."""
    alert_toasts: Literal["burst", "off", "every"] = "burst"
    """[alerts] toasts: one toast per burst of alerts (default), none, or one per alert."""
    views: list[ViewConfig] = []
    commands: list[CommandConfig] = []
    """Your own commands bound to keys ([[commands]])."""
    """Named feed sections, shown beside the org's saved issue views."""
    relay_embed: bool = False
    """Embed a relay in the TUI when none answers on relay_host:relay_port."""
    server_dialect: Literal["auto", "sentry", "self-hosted", "glitchtip"] = "auto"
    """Which Sentry-compatible server sentry_url is; "auto" detects it."""

    @field_validator("sentry_url", "github_api_url", "relay_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        try:
            parsed = urlsplit(v)
            _ = parsed.port  # raises on a malformed port
            host = parsed.hostname
        except ValueError:
            host = None
        if not host:
            raise ValueError(f"{v!r} is not a valid URL (check the host and port)")
        return v.rstrip("/")

    @field_validator("services")
    @classmethod
    def _services(cls, v: dict[str, ServiceConfig]) -> dict[str, ServiceConfig]:
        if not v:
            raise ValueError("at least one service is needed")
        seen: dict[int, str] = {}
        for name, svc in v.items():
            if not _SERVICE_NAME.match(name):
                raise ValueError(f"service name {name!r} must be lowercase letters/digits/-")
            for pid in svc.relay_project_ids:
                if pid in seen:
                    raise ValueError(
                        f"relay project id {pid} is used by both {seen[pid]!r} and {name!r}"
                    )
                seen[pid] = name
        return v

    @field_validator("relay_forward")
    @classmethod
    def _forward(cls, v: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        services = info.data.get("services") or {}
        for service, dsn in v.items():
            if service not in services:
                raise ValueError(f"names unknown service {service!r}; known: {', '.join(services)}")
            parts = urlsplit(dsn)
            project = parts.path.strip("/").rsplit("/", 1)[-1]
            if parts.scheme not in ("http", "https") or not parts.username or not project.isdigit():
                raise ValueError(
                    f"the DSN for {service!r} must look like https://KEY@HOST/PROJECT_ID"
                )
        return v

    # --- derived -------------------------------------------------------------------
    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir or Path(platformdirs.user_data_dir(APP_NAME))

    @property
    def db_path(self) -> Path:
        return self.resolved_data_dir / "sxtriage.db"

    def service_for_project(self, project_slug: str) -> str | None:
        for name, svc in self.services.items():
            if project_slug in svc.projects:
                return name
        return None

    def service_for_relay_project(self, project_id: int) -> str | None:
        for name, svc in self.services.items():
            if project_id in svc.relay_project_ids:
                return name
        return None

    @property
    def sentry_projects(self) -> list[str]:
        return [p for svc in self.services.values() for p in svc.projects]


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def default_config_path() -> Path:
    return config_dir() / "config.toml"


def sentryclirc_path() -> Path:
    return Path(os.environ.get("HOME") or Path.home()) / ".sentryclirc"


# --- the layers ------------------------------------------------------------------------

Layer = tuple[str, dict[str, Any]]


def _read_sentryclirc(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (configparser.Error, UnicodeDecodeError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"{path}: not a valid INI file ({first}); fix it or remove it "
            "(expected [auth] token=… and [defaults] org=…, url=…)"
        ) from None
    out: dict[str, Any] = {}
    if parser.has_option("auth", "token"):
        out["sentry_token"] = parser.get("auth", "token")
    if parser.has_option("defaults", "org"):
        out["sentry_org"] = parser.get("defaults", "org")
    if parser.has_option("defaults", "url"):
        out["sentry_url"] = parser.get("defaults", "url")
    return out


_TOML_ALIASES = {
    # [sentry] url/org/token → sentry_url …, [github] token/api_url, [relay] host/port/keys
    ("sentry", "url"): "sentry_url",
    ("sentry", "org"): "sentry_org",
    ("sentry", "token"): "sentry_token",
    ("sentry", "poll_interval"): "poll_interval",
    ("github", "token"): "github_token",
    ("github", "api_url"): "github_api_url",
    ("relay", "host"): "relay_host",
    ("relay", "port"): "relay_port",
    ("relay", "url"): "relay_url",
    ("relay", "keys"): "relay_keys",
    ("relay", "forward"): "relay_forward",
    ("relay", "max_event_bytes"): "relay_max_event_bytes",
    ("relay", "max_envelope_bytes"): "relay_max_envelope_bytes",
    ("relay", "embed"): "relay_embed",
    ("sentry", "dialect"): "server_dialect",
}


def _read_toml(path: Path, *, required: bool) -> dict[str, Any]:
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: config file not found; check the --config path")
        return {}
    import tomllib

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc}); fix the line it names") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc}); check its permissions") from None
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in {"sentry", "github", "relay"} and isinstance(value, dict):
            for sub, subval in value.items():
                alias = _TOML_ALIASES.get((key, sub))
                if alias is None:
                    raise ConfigError(
                        f"{path}: unknown key [{key}] {sub}; "
                        f"known: {', '.join(s for (t, s) in _TOML_ALIASES if t == key)}"
                    )
                out[alias] = subval
        elif key == "alerts" and isinstance(value, dict):
            out["alert_rules"] = value.get("rules", [])
            if "toasts" in value:
                out["alert_toasts"] = value["toasts"]
        else:
            out[key] = value
    return out


_ENV = {
    "SENTRY_AUTH_TOKEN": "sentry_token",
    "SENTRY_ORG": "sentry_org",
    "SENTRY_URL": "sentry_url",
    "GH_TOKEN": "github_token",
    "GITHUB_TOKEN": "github_token",  # wins over GH_TOKEN, like gh does
}
_ENV_SCALARS = {
    "sentry_url",
    "sentry_org",
    "sentry_token",
    "github_token",
    "github_api_url",
    "me",
    "poll_interval",
    "relay_host",
    "relay_port",
    "relay_url",
    "data_dir",
    "theme",
    "quiet_hours",
}


def _read_env(env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for var, key in _ENV.items():
        if env.get(var):
            out[key] = env[var]
    for var, value in env.items():
        if var.startswith("SXTRIAGE_") and value:
            key = var[len("SXTRIAGE_") :].lower()
            if key in _ENV_SCALARS:
                out[key] = value
            elif key == "relay_keys":
                out[key] = [k.strip() for k in value.split(",") if k.strip()]
    return out


@dataclass
class LoadedSettings:
    """The validated settings with where each came from (built here, never from input)."""

    settings: Settings
    origins: dict[str, str]
    """top-level key → the layer that set it ("default", a file path, "env", ...)."""
    config_path: Path


def load_settings(
    config_path: Path | None = None,
    *,
    env: dict[str, str] | None = None,
    cli: dict[str, Any] | None = None,
) -> LoadedSettings:
    """Read every layer, merge (later wins), validate.  Raises ConfigError."""
    env = dict(os.environ) if env is None else env
    toml_path = config_path or default_config_path()
    rc = sentryclirc_path()
    layers: list[Layer] = [
        (str(rc), _read_sentryclirc(rc)),
        (str(toml_path), _read_toml(toml_path, required=config_path is not None)),
        ("env", _read_env(env)),
        ("command line", {k: v for k, v in (cli or {}).items() if v is not None}),
    ]
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for origin, values in layers:
        for key, value in values.items():
            merged[key] = value
            origins[key] = origin
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        top = str(err["loc"][0]) if err["loc"] else ""
        where = origins.get(top, "defaults")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting; check its spelling (see `sxtriage config show`)"
        raise ConfigError(f"{where}: {loc}: {msg}") from None
    for key in Settings.model_fields:
        origins.setdefault(key, "default")
    return LoadedSettings(settings=settings, origins=origins, config_path=toml_path)
