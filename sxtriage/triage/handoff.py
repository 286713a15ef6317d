"""`sxtriage handoff`: a Markdown report of the shift for the next on-call engineer.

Reads only the local store: actions from the audit log (who, what, when), issues still
open by service and level and issues first seen in the shift (from the issues cache),
alerts fired (audit kind "alert") and GitHub tickets created.  Tokens never appear.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter, defaultdict
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sxtriage.config import LoadedSettings, Settings
from sxtriage.models import Issue, Level, Status
from sxtriage.store import Store
from sxtriage.triage.links import is_web_url

_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_MD = re.compile(r"([\\`*_\[\]<>|#~!])")
_VERBS = {
    "resolve": "resolved",
    "resolve_next_release": "resolved in next release",
    "unresolve": "unresolved",
    "ignore": "archived",
    "archive": "archived",
    "resolve_in_release": "resolved in a release",
    "set_priority": "set the priority of",
    "review": "marked reviewed",
    "assign": "assigned",
    "bookmark": "bookmarked",
    "mark_seen": "marked seen",
    "note": "added a note to",
    "link_ticket": "linked a ticket to",
    "create_ticket": "created a GitHub issue for",
    "unlink_ticket": "unlinked the ticket of",
    "close_ticket": "closed and unlinked the ticket of",
}
LEVELS = [lv.value for lv in sorted(Level, key=lambda lv: -lv.rank)]


def parse_since(text: str) -> timedelta:
    m = _SINCE.match(text or "")
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"--since {text!r} is not a duration; use e.g. 30m, 8h, 2d or 1w")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])


_SECRETS: ContextVar[tuple[str, ...]] = ContextVar("handoff_secrets", default=())
"""Token values to blank out of every field, before it is cut or escaped."""


def md(text: object, limit: int = 120) -> str:
    """Untrusted text as plain Markdown: one line, no markup, no control characters,
    no token (redacted on the raw text, so escaping or truncation cannot hide one)."""
    raw = str(text or "")
    for secret in _SECRETS.get():
        raw = raw.replace(secret, "[redacted]")
    one = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", raw).split())[:limit]
    return _MD.sub(r"\\\1", one)


def _url(url: str) -> str:
    return f"<{url}>" if is_web_url(url) and ">" not in url else md(url, 300)


def _hm(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _issues(store: Store) -> list[Issue]:
    out = []
    for row in store.query_sync("SELECT data FROM issues"):
        try:
            out.append(Issue.model_validate_json(row["data"]))
        except ValidationError:
            continue
    return out


def _detail(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _actions(store: Store, since: float) -> list[str]:
    rows = store.query_sync(
        "SELECT ts, actor, kind, target, detail FROM audit "
        "WHERE ts >= ? AND kind != 'alert' ORDER BY seq",
        (since,),
    )
    lines = []
    for row in rows:
        d = _detail(row["detail"])
        ids = d.get("short_ids") or [row["target"] or "?"]
        count = int(d.get("count") or len(ids))
        what = ", ".join(md(i, 24) for i in ids[:8])
        if count > len(ids[:8]):
            what += f" (+{count - len(ids[:8])} more)"
        verb = _VERBS.get(row["kind"], md(row["kind"]))
        extra = ""
        if d.get("assignee"):
            extra = f" to {md(d['assignee'], 60)}"
        if d.get("ignore") or d.get("substatus"):
            cond = [f"{k}={v}" for k, v in (d.get("ignore") or {}).items()]
            cond = cond or [str(d["substatus"]).replace("archived_", "").replace("_", " ")]
            extra = " (" + md(", ".join(cond), 80) + ")"
        if d.get("priority"):
            extra = f" to {md(d['priority'], 10)}"
        if d.get("release"):
            extra = f" {md(d['release'], 60)}"
        if d.get("undo_of"):
            verb = f"undid: {verb}"
        lines.append(f"- {_hm(row['ts'])} — {md(row['actor'], 60)} {verb} {what}{extra}")
    return lines


def _open_by_service(issues: list[Issue]) -> list[str]:
    open_issues = [i for i in issues if i.status is Status.UNRESOLVED]
    if not open_issues:
        return ["No open issues in the local cache."]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for issue in open_issues:
        counts[issue.service][issue.level.value] += 1
    lines = ["| Service | " + " | ".join(LEVELS) + " | total |"]
    lines.append("|---" * (len(LEVELS) + 2) + "|")
    for service in sorted(counts):
        c = counts[service]
        cells = " | ".join(str(c.get(lv, 0)) for lv in LEVELS)
        lines.append(f"| {md(service, 32)} | {cells} | {sum(c.values())} |")
    lines += ["", "Worst open issues:", ""]
    worst = sorted(open_issues, key=lambda i: (-i.level.rank, -i.count))[:10]
    for i in worst:
        lines.append(
            f"- **{md(i.short_id, 24)}** [{md(i.service, 32)}] {i.level.value}: "
            f"{md(i.title)} — {i.count} events"
        )
    return lines


def _new_issues(issues: list[Issue], since: float) -> list[str]:
    new = sorted(
        (i for i in issues if i.first_seen.timestamp() >= since), key=lambda i: i.first_seen
    )
    return [
        f"- {_hm(i.first_seen.timestamp())} **{md(i.short_id, 24)}** [{md(i.service, 32)}] "
        f"{i.level.value}: {md(i.title)} ({i.status.value})"
        for i in new
    ]


def _alerts(store: Store, since: float) -> list[str]:
    rows = store.query_sync(
        "SELECT ts, target, detail FROM audit WHERE ts >= ? AND kind = 'alert' ORDER BY seq",
        (since,),
    )
    out = []
    for row in rows:
        d = _detail(row["detail"])
        text = d.get("message") or d.get("rule") or row["target"] or "alert"
        out.append(f"- {_hm(row['ts'])} — {md(text, 200)}")
    return out


def _tickets(store: Store, since: float, issues: list[Issue]) -> list[str]:
    names = {(i.source.value, i.id): i.short_id for i in issues}
    rows = store.query_sync(
        "SELECT source, issue_id, url, created FROM tickets WHERE created >= ? ORDER BY created",
        (since,),
    )
    return [
        f"- {_hm(r['created'])} {md(names.get((r['source'], r['issue_id']), r['issue_id']), 24)}"
        f" → {_url(r['url'])}"
        for r in rows
    ]


def build_report(store: Store, *, since: timedelta, now: float | None = None) -> str:
    now = time.time() if now is None else now
    start = now - since.total_seconds()
    issues = _issues(store)
    out = [f"# On-call handoff: {_hm(start)} → {_hm(now)} UTC", ""]
    sections = [
        ("Actions taken", _actions(store, start), "No triage actions in this shift."),
        ("Still open, by service and level", _open_by_service(issues), ""),
        ("New issues first seen in this shift", _new_issues(issues, start), "None."),
        ("Alerts fired", _alerts(store, start), "None."),
        ("GitHub tickets created", _tickets(store, start, issues), "None."),
    ]
    for title, lines, empty in sections:
        out += [f"## {title}", ""] + (lines or [empty]) + [""]
    return "\n".join(out)


def _token_values(settings: Settings) -> tuple[str, ...]:
    values = (
        s.get_secret_value() if s else "" for s in (settings.sentry_token, settings.github_token)
    )
    return tuple(v for v in values if len(v) >= 4)


def render(settings: Settings, store: Store, since: str = "8h") -> str:
    secrets = _token_values(settings)
    reset = _SECRETS.set(secrets)
    try:
        text = build_report(store, since=parse_since(since))
    finally:
        _SECRETS.reset(reset)
    for value in secrets:  # anything not built through md(), e.g. a URL
        text = text.replace(value, "[redacted]").replace(_MD.sub(r"\\\1", value), "[redacted]")
    return text


def write_handoff(settings: Settings, store: Store, since: str = "8h") -> Path:
    """Write the report into the data dir (the palette command); returns its path."""
    text = render(settings, store, since)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = settings.resolved_data_dir / f"handoff-{stamp}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(loaded: LoadedSettings, *, since: str, output: Path | None) -> int:
    """`sxtriage handoff [--since 8h] [-o FILE]`."""
    settings = loaded.settings
    try:
        parse_since(since)
    except ValueError as exc:
        print(f"sxtriage: {exc}", file=sys.stderr)
        return 2
    store = Store(settings.db_path)
    try:
        text = render(settings, store, since)
    finally:
        store.close()
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(
            f"sxtriage: cannot write {output} ({exc.strerror}); pick another -o path",
            file=sys.stderr,
        )
        return 2
    print(f"handoff report written to {output}", file=sys.stderr)
    return 0
