"""`sxtriage config init`: the org's projects as a `[services]` map in config.toml."""

from __future__ import annotations

import asyncio
import tomllib

from sxtriage.config import ConfigError, LoadedSettings, ServiceConfig


async def _fetch(loaded: LoadedSettings) -> dict[str, ServiceConfig]:
    from sxtriage.sentry.client import SentryClient
    from sxtriage.sentry.errors import SentryError
    from sxtriage.sentry.services import services_from_projects

    s = loaded.settings
    if not (s.sentry_org and s.sentry_token):
        raise ConfigError(
            "no Sentry org/token configured; run `sxtriage login` and set SENTRY_ORG first"
        )
    client = SentryClient.from_settings(s, timeout=10, max_retries=1)
    assert client is not None
    try:
        projects = await client.list_projects()
    except SentryError as exc:
        raise ConfigError(f"cannot read the org's projects: {exc}") from None
    finally:
        await client.aclose()
    if not projects:
        raise ConfigError(f"org {s.sentry_org!r} has no projects this token can see")
    return services_from_projects(projects)


def init_services(loaded: LoadedSettings, *, force: bool, just_print: bool) -> str:
    """Write (or print) the map; the line to show the user."""
    from sxtriage.sentry.services import to_toml

    services = asyncio.run(_fetch(loaded))
    text = to_toml(services)
    if just_print:
        return text.rstrip()
    path = loaded.config_path
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        current = tomllib.loads(existing) if existing else {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc}); fix it first") from None
    if "services" in current:
        if not force:
            raise ConfigError(f"{path} already has [services]; pass --force to replace it")
        import tomli_w

        current["services"] = tomllib.loads(text)["services"]
        body = tomli_w.dumps(current)
    else:
        body = (existing.rstrip() + "\n\n" if existing.strip() else "") + text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    names = ", ".join(services)
    return f"wrote {len(services)} service(s) to {path}: {names}"
