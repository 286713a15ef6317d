"""Events → issues: the grouping hash, the title/culprit, and issue accumulation.

Works on normalized events (relay) and on raw SDK events (a Spotlight sidecar's
stream, grouped client-side), so every accessor tolerates both shapes.

Grouping, like Sentry's:
- an explicit `fingerprint` wins; `{{ default }}` expands to the default components,
  `{{ transaction }}`, `{{ type }}`/`{{ error.type }}`, `{{ error.value }}`,
  `{{ message }}` and `{{ level }}` to the event's values;
- otherwise each exception in the chain contributes its type and its in-app frames
  (module or file + function, never line numbers); frames are all used when none is
  in-app; an exception without frames contributes its value;
- otherwise the message template (`logentry.message`), else the formatted message.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

_VAR = re.compile(r"^\{\{\s*([\w.]+)\s*\}\}$")


def _values(container: Any) -> list[Any]:
    if isinstance(container, dict):
        container = container.get("values")
    return container if isinstance(container, list) else []


def exceptions(event: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in _values(event.get("exception")) if isinstance(e, dict)]


def frames_of(exc: dict[str, Any]) -> list[dict[str, Any]]:
    st = exc.get("stacktrace")
    frames = st.get("frames") if isinstance(st, dict) else None
    return [f for f in frames if isinstance(f, dict)] if isinstance(frames, list) else []


def message_of(event: dict[str, Any], *, template: bool = False) -> str:
    entry = event.get("logentry")
    if isinstance(entry, dict):
        keys = ("message", "formatted") if template else ("formatted", "message")
        for key in keys:
            if isinstance(entry.get(key), str) and entry[key]:
                return entry[key]
    msg = event.get("message")
    if isinstance(msg, dict):
        for key in ("message", "formatted") if template else ("formatted", "message"):
            if isinstance(msg.get(key), str) and msg[key]:
                return msg[key]
    return msg if isinstance(msg, str) else ""


def _frame_id(frame: dict[str, Any]) -> str:
    where = frame.get("module") or frame.get("filename") or frame.get("abs_path") or "?"
    return f"{where}:{frame.get('function') or '?'}"


def default_components(event: dict[str, Any]) -> list[str]:
    excs = exceptions(event)
    if excs:
        parts: list[str] = []
        for exc in excs:
            parts.append(str(exc.get("type") or "Error"))
            frames = frames_of(exc)
            in_app = [f for f in frames if f.get("in_app") is True]
            chosen = in_app or frames
            if chosen:
                parts.extend(_frame_id(f) for f in chosen)
            else:
                parts.append(str(exc.get("value") or ""))
        return parts
    msg = message_of(event, template=True)
    if msg:
        return [msg]
    return [str(event.get("transaction") or event.get("culprit") or "<no message>")]


def fingerprint_components(event: dict[str, Any]) -> list[str]:
    fp = event.get("fingerprint")
    if not isinstance(fp, list) or not fp:
        return default_components(event)
    excs = exceptions(event)
    last = excs[-1] if excs else {}
    out: list[str] = []
    for part in fp:
        m = _VAR.match(str(part))
        if not m:
            out.append(str(part))
            continue
        var = m.group(1).lower()
        if var == "default":
            out.extend(default_components(event))
        elif var in ("transaction", "culprit"):
            out.append(str(event.get("transaction") or event.get("culprit") or "<no transaction>"))
        elif var in ("type", "error.type"):
            out.append(str(last.get("type") or "<no type>"))
        elif var in ("error.value", "value"):
            out.append(str(last.get("value") or "<no value>"))
        elif var == "message":
            out.append(message_of(event) or "<no message>")
        elif var == "level":
            out.append(str(event.get("level") or "error"))
        else:
            out.append(str(part))
    return out


def group_hash(event: dict[str, Any]) -> str:
    joined = "\x00".join(fingerprint_components(event))
    return hashlib.sha1(joined.encode("utf-8", "replace")).hexdigest()


def title_of(event: dict[str, Any]) -> str:
    if event.get("type") == "transaction":
        return str(event.get("transaction") or "<unnamed transaction>")
    excs = exceptions(event)
    if excs:
        last = excs[-1]
        etype = str(last.get("type") or "Error")
        value = str(last.get("value") or "").split("\n", 1)[0]
        return f"{etype}: {value}"[:200] if value else etype
    msg = message_of(event).split("\n", 1)[0]
    return (msg or str(event.get("transaction") or "<no message>"))[:200]


def culprit_of(event: dict[str, Any]) -> str:
    if isinstance(event.get("transaction"), str) and event["transaction"]:
        return event["transaction"]
    excs = exceptions(event)
    if excs:
        frames = frames_of(excs[-1])
        in_app = [f for f in frames if f.get("in_app") is True] or frames
        if in_app:
            f = in_app[-1]
            where = f.get("module") or f.get("filename") or "?"
            return f"{where} in {f.get('function') or '?'}"
    return str(event.get("culprit") or "")


def issue_id_for(service: str, ghash: str) -> str:
    return hashlib.sha1(f"{service}\x00{ghash}".encode()).hexdigest()[:16]


def short_id(service: str, counter: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n, out = counter, ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            break
    return f"{service.upper()}-LOCAL-{out}"


def user_key(event: dict[str, Any]) -> str | None:
    user = event.get("user")
    if not isinstance(user, dict):
        return None
    for key in ("id", "email", "username", "ip_address"):
        if user.get(key):
            return f"{key}:{user[key]}"
    return None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def apply_event(
    issue: dict[str, Any] | None,
    summary: dict[str, Any],
    *,
    service: str,
    short: str,
    new_user: bool,
) -> dict[str, Any]:
    """Fold one event (its summary) into an issue dict shaped like `models.Issue` JSON."""
    ts = float(summary.get("received") or summary.get("timestamp") or 0.0)
    if issue is None:
        issue = {
            "source": "relay",
            "id": summary["issue_id"],
            "service": service,
            "short_id": short,
            "title": summary["title"],
            "culprit": summary["culprit"],
            "level": summary["level"],
            "status": "unresolved",
            "count": 0,
            "user_count": 0,
            "first_seen": _iso(ts),
            "last_seen": _iso(ts),
            "first_release": summary.get("release"),
            "project": service,
            "platform": summary.get("platform"),
            "tags": {},
        }
    elif issue.get("status") == "resolved":
        issue["status"] = "unresolved"  # a regression
        issue["substatus"] = "regressed"
    issue["count"] = int(issue.get("count") or 0) + 1
    if new_user:
        issue["user_count"] = int(issue.get("user_count") or 0) + 1
    issue["last_seen"] = _iso(ts)
    issue["title"] = summary["title"]
    issue["level"] = summary["level"]
    for key in ("release", "environment"):
        if summary.get(key):
            issue[key] = summary[key]
    return issue
