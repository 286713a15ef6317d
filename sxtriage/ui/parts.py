"""The optional parts of a running session (correlation, alerts, triage), each built
only when its module is installed; a part that fails to build is simply absent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sxtriage.config import Settings


def make_triage(backend: Any) -> Any | None:
    if backend.sentry is None and backend.relay is None:
        return None
    try:
        from sxtriage.triage.actions import TriageEngine
    except ImportError:
        return None
    github = None
    try:
        from sxtriage.triage.github import GitHubClient  # type: ignore[attr-defined]

        token = backend.settings.github_token
        github = GitHubClient(
            backend.settings.github_api_url, token.get_secret_value() if token else None
        )
    except Exception:
        github = None
    return TriageEngine(
        store=backend.store,
        sentry=backend.sentry,
        relay=backend.relay,
        apply=backend.feed.apply_local,
        toast=lambda message, severity="information": backend.toast(message, severity),
        me=backend.settings.me,
        github=github,
    )


def make_correlator() -> Any | None:
    try:
        from sxtriage.correlate import Correlator
    except ImportError:
        return None
    try:
        return Correlator()
    except Exception:
        return None


def make_alerts(settings: Settings, clock: Callable[[], float]) -> tuple[Any | None, list[str]]:
    try:
        from sxtriage.triage.alerts import AlertEngine
    except ImportError:
        return None, []
    try:
        engine, errors = AlertEngine.from_settings(settings, clock=clock)
        return engine, list(errors)
    except Exception as exc:
        return None, [f"alert rules not loaded: {exc}"]
