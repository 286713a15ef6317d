"""A service map read from the org: one service per project (name = slug).

Used when config.toml has no `[services]` (first run on a real org), and by
`sxtriage config init`, which writes the map so the user can edit it.  The map is cached
per org in the data dir, so a later start does not wait for the org.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from sxtriage.config import PLATFORMS, ServiceConfig
from sxtriage.models import Project

_NAME_BAD = re.compile(r"[^a-z0-9_-]+")


def service_name(slug: str) -> str:
    """A config-valid service name for a project slug (lowercase, starts with a letter)."""
    name = _NAME_BAD.sub("-", slug.lower()).strip("-") or "project"
    if not name[0].isalpha():
        name = f"p-{name}"
    return name[:32]


def platform_of(project_platform: str | None) -> str:
    """Sentry's project platform ("python-fastapi", "javascript-react") → ours."""
    raw = (project_platform or "").lower()
    if raw in PLATFORMS:
        return raw
    for prefix, ours in (
        ("react-native", "react-native"),
        ("javascript-react", "javascript-react"),
        ("node", "node"),
        ("javascript", "javascript"),
        ("python", "python"),
        ("go", "go"),
        ("java", "java"),
        ("android", "java"),
        ("ruby", "ruby"),
        ("php", "php"),
    ):
        if raw.startswith(prefix):
            return ours
    return "other"


def services_from_projects(projects: list[Project]) -> dict[str, ServiceConfig]:
    """One service per project, in slug order.

    The relay maps a DSN's project id to its service; using the project's own Sentry id
    means an SDK's existing DSN, pointed at the relay's host, lands in the right service.
    """
    out: dict[str, ServiceConfig] = {}
    for n, project in enumerate(sorted(projects, key=lambda p: p.slug), start=1):
        name = service_name(project.slug)
        while name in out:
            name = f"{name[:29]}-{n}"
        relay_id = int(project.id) if project.id.isdigit() else n
        out[name] = ServiceConfig(
            projects=[project.slug],
            relay_project_ids=[relay_id],
            platform=platform_of(project.platform),
        )
    return out


def _cache_file(data_dir: Path, url: str, org: str) -> Path:
    key = re.sub(r"[^A-Za-z0-9]+", "_", f"{url}_{org}")[:120]
    return data_dir / f"services-{key}.json"


def load_cached(data_dir: Path, url: str, org: str) -> dict[str, ServiceConfig] | None:
    try:
        raw = json.loads(_cache_file(data_dir, url, org).read_text(encoding="utf-8"))
        return {name: ServiceConfig.model_validate(v) for name, v in raw.items()} or None
    except (OSError, ValueError, ValidationError, AttributeError):
        return None


def save_cached(data_dir: Path, url: str, org: str, services: dict[str, ServiceConfig]) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        body = {name: svc.model_dump(mode="json") for name, svc in services.items()}
        _cache_file(data_dir, url, org).write_text(json.dumps(body), encoding="utf-8")
    except OSError:
        pass


def to_toml(services: dict[str, ServiceConfig]) -> str:
    """The `[services.*]` tables config.toml takes."""
    import tomli_w

    body = {
        "services": {
            name: svc.model_dump(mode="json", exclude_defaults=True) | {"projects": svc.projects}
            for name, svc in services.items()
        }
    }
    return tomli_w.dumps(body)
