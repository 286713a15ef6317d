"""Real ``sentry-sdk`` events for the compatibility suite: one fresh ``Client`` (and so one
transport) per send, flushed before returning, never the global hub of the test process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sentry_sdk


class CompatError(RuntimeError):
    """The exception the compat events carry (its own type, so its issue is its own)."""


@dataclass
class Sent:
    event_id: str
    marker: str
    """A unique word in the message: find the issue by it."""
    title: str
    tags: dict[str, str] = field(default_factory=dict)


def _raise_in_app(message: str) -> None:
    def checkout_handler(order_id: int) -> None:
        total = order_id * 3  # a local the frame carries
        raise CompatError(f"{message} (total {total})")

    checkout_handler(7)


def send_error(
    dsn: str,
    marker: str | None = None,
    *,
    release: str = "compat@1.0.0",
    environment: str = "production",
    tags: dict[str, str] | None = None,
    breadcrumbs: int = 3,
    level: str = "error",
) -> Sent:
    """Capture one exception with a stack, breadcrumbs and tags through `dsn`; flush."""
    marker = marker or f"m{uuid.uuid4().hex[:10]}"
    tags = {"compat.marker": marker, "shard": "eu-1", **(tags or {})}
    client = sentry_sdk.Client(
        dsn,
        release=release,
        environment=environment,
        default_integrations=False,
        auto_enabling_integrations=False,
        traces_sample_rate=None,
    )
    # Scope.get_client() is a classmethod reading the *current* scope: bind the client
    # to a forked current scope, never the process-wide one.
    with sentry_sdk.isolation_scope(), sentry_sdk.new_scope() as scope:
        scope.set_client(client)
        scope.level = level  # type: ignore[assignment]
        for key, value in tags.items():
            scope.set_tag(key, value)
        scope.set_user({"id": "u-42"})
        for i in range(breadcrumbs):
            scope.add_breadcrumb(
                category="http" if i % 2 == 0 else "ui.click",
                message=f"step {i} of {marker}",
                level="info",
            )
        try:
            _raise_in_app(f"compat failure {marker}")
        except CompatError as exc:
            event_id = scope.capture_exception(exc)
    client.flush(timeout=10)
    client.close(timeout=10)
    if event_id is None:
        raise RuntimeError(f"sentry-sdk dropped the event for {marker}")
    return Sent(event_id=event_id, marker=marker, title=f"CompatError: compat failure {marker}",
                tags=tags)  # fmt: skip


def send_message(dsn: str, text: str, *, level: str = "warning") -> str:
    client = sentry_sdk.Client(dsn, default_integrations=False, auto_enabling_integrations=False)
    with sentry_sdk.isolation_scope(), sentry_sdk.new_scope() as scope:
        scope.set_client(client)
        event_id = scope.capture_message(text, level=level)  # type: ignore[arg-type]
    client.flush(timeout=10)
    client.close(timeout=10)
    if event_id is None:
        raise RuntimeError(f"sentry-sdk dropped the message {text!r}")
    return event_id
