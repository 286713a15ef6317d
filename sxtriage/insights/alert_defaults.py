"""The alert rules the four services' runbooks ask for, as data.

Each table is validated into an `AlertRule` by `triage.alerts.load_rules`; tables in the
config TOML (`[[alerts.rules]]`) with the same `id` override fields of these, for every
service or — with `service = "search"` — for one service only.  Thresholds are exclusive:
a rule fires when the value is strictly above its threshold.

Where a runbook names no number (payment failures, authentication failure spikes) the
defaults below are ours: one payment failure is worth a page, 20 auth failures in five
minutes is a spike.
"""

from __future__ import annotations

from typing import Any

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "id": "critical",
        "name": "critical error in production",
        "kind": "count",
        "level": "fatal",
        "environment": "production",
        "window": "5m",
        "threshold": 0,
    },
    {
        "id": "errors-per-minute",
        "name": "errors per minute",
        "kind": "count",
        "level": "error",
        "window": "1m",
        "threshold": 10,
    },
    {
        "id": "errors-5m",
        "name": "errors in 5 minutes",
        "kind": "count",
        "level": "error",
        "window": "5m",
        "threshold": 10,
    },
    {
        "id": "error-rate",
        "name": "error rate of transactions",
        "kind": "rate",
        "level": "error",
        "window": "10m",
        "threshold": "1%",
        "min_samples": 20,
    },
    {
        "id": "p95-duration",
        "name": "p95 transaction duration",
        "kind": "p95",
        "window": "10m",
        "threshold": "1000ms",
        "min_samples": 5,
    },
    {
        "id": "payment-failures",
        "name": "payment failures",
        "kind": "count",
        "level": "warning",
        "on": ["error", "transaction"],
        "window": "5m",
        "threshold": 0,
        "match": [
            {"fingerprint": "payment-failed"},
            {"any_tag": "payment-failed"},
            {"transaction": "*/payments*"},
            {"transaction": "*stripe*"},
            {"text": "stripe"},
        ],
    },
    {
        "id": "auth-failures",
        "name": "authentication failure spike",
        "kind": "count",
        "level": "warning",
        "on": ["error", "transaction"],
        "window": "5m",
        "threshold": 20,
        "match": [
            {"transaction": "*/auth*"},
            {"transaction": "*/login*"},
            {"tags": {"http.status_code": "401"}},
            {"any_tag": "auth-failed"},
            {"text": "unauthorized"},
            {"text": "authentication failed"},
            {"text": "invalid token"},
        ],
    },
    {
        "id": "new-issue",
        "name": "new issue",
        "kind": "new_issue",
        "window": "5m",
        "threshold": 0,
    },
    {
        "id": "regression",
        "name": "regression",
        "kind": "regression",
        "window": "10m",
        "threshold": 0,
    },
]

DEFAULT_OVERRIDES: list[dict[str, Any]] = [
    # The frontend and the backend tolerate slower requests than the others.
    {"id": "p95-duration", "service": "api", "threshold": "2s"},
    {"id": "p95-duration", "service": "web", "threshold": "2s"},
]
