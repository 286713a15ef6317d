"""The handoff report: actions, open issues by service/level, new issues, alerts, tickets."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from sxtriage.cli import main
from sxtriage.models import Issue, Level, Source, Status
from sxtriage.store import Store
from sxtriage.triage.handoff import build_report, parse_since
from sxtriage.triage.outbox import record_audit


def _issue(n: int, service: str, level: Level, status: Status, first_seen: datetime) -> Issue:
    return Issue(
        source=Source.SENTRY,
        id=str(n),
        service=service,
        short_id=f"{service.upper()}-{n}",
        title=f"Failure {n} *bold* [x](http://evil)",
        level=level,
        status=status,
        count=n * 10,
        first_seen=first_seen,
    )


def _seed(store: Store) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=3)
    issues = [
        _issue(1, "api", Level.ERROR, Status.UNRESOLVED, old),
        _issue(2, "api", Level.FATAL, Status.UNRESOLVED, now - timedelta(hours=1)),
        _issue(3, "web", Level.WARNING, Status.UNRESOLVED, old),
        _issue(4, "web", Level.ERROR, Status.RESOLVED, old),
    ]
    ops = [
        (
            "INSERT INTO issues(source, id, service, status, last_seen, data) VALUES(?,?,?,?,?,?)",
            (i.source.value, i.id, i.service, i.status.value, time.time(), i.model_dump_json()),
        )
        for i in issues
    ]
    ops.append(
        (
            "INSERT INTO audit(ts, actor, kind, action_id, target, detail) VALUES(?,?,?,?,?,?)",
            (
                time.time() - 600,
                "oncall@scenextras.dev",
                "resolve",
                "a1",
                "sentry:4",
                json.dumps({"short_ids": ["WEB-4"], "count": 1}),
            ),
        )
    )
    ops.append(
        (
            "INSERT INTO audit(ts, actor, kind, action_id, target, detail) VALUES(?,?,?,?,?,?)",
            (time.time() - 86400 * 2, "old@x", "resolve", "a0", "sentry:1", "{}"),
        )
    )
    ops.append(
        (
            "INSERT INTO tickets(source, issue_id, url, created) VALUES(?,?,?,?)",
            ("sentry", "2", "https://github.com/scenextras/api/issues/7", time.time() - 60),
        )
    )
    store.write_sync(ops)


async def test_report_sections(triage_store: Store) -> None:
    _seed(triage_store)
    await record_audit(
        triage_store, "alert", target="api", detail={"message": "api: 12 errors/min > 10"}
    )
    text = build_report(triage_store, since=timedelta(hours=8))
    actions = text.split("## Actions taken")[1].split("##")[0]
    assert "oncall@scenextras.dev resolved WEB-4" in actions
    assert "old@x" not in text  # outside the shift
    open_part = text.split("## Still open")[1].split("## New")[0]
    assert "| api | 1 | 1 | 0 | 0 | 0 | 2 |" in open_part
    assert "| web | 0 | 0 | 1 | 0 | 0 | 1 |" in open_part
    new_part = text.split("## New issues")[1].split("##")[0]
    assert "API-2" in new_part and "API-1" not in new_part.replace("API-2", "")
    assert r"api: 12 errors/min \> 10" in text.split("## Alerts fired")[1]
    assert "API-2 → <https://github.com/scenextras/api/issues/7>" in text
    # untrusted titles are escaped, never live Markdown
    assert "*bold*" not in text and r"\*bold\*" in text


def test_cli_writes_file_and_never_the_token(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", "sntrys_secret_value_1234")
    data = tmp_path / "data"
    store = Store(data / "sxtriage.db")
    _seed(store)
    store.write_sync(
        [
            (
                "INSERT INTO audit(ts, actor, kind, target, detail) VALUES(?,?,?,?,?)",
                (time.time(), "me", "note", "x", json.dumps({"text": "sntrys_secret_value_1234"})),
            )
        ]
    )
    store.close()
    out = tmp_path / "handoff.md"
    result = CliRunner().invoke(
        main, ["--data-dir", str(data), "handoff", "--since", "8h", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "# On-call handoff" in text and "WEB-4" in text
    assert "sntrys_secret_value_1234" not in text


def test_cli_bad_since_is_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "handoff", "--since", "soon"])
    assert result.exit_code == 2
    assert "--since 'soon' is not a duration" in result.output


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("8h", 28800), ("2d", 172800), ("1w", 604800)]
)
def test_parse_since(text: str, seconds: int) -> None:
    assert parse_since(text).total_seconds() == seconds
