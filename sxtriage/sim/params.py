"""Query parameters as Sentry's code reads them, with its refusals.

Each function names the Sentry file it follows; a refusal raises an aiohttp HTTP error
whose JSON body is the one Sentry sends (`refuse`).
"""

from __future__ import annotations

import re
import time
from typing import Any, NoReturn

from aiohttp import web

from sxtriage.sim.dataset import SimProject, SimState

FORBIDDEN = "You do not have permission to perform this action."
NOT_FOUND = "The requested resource does not exist"
ENVIRONMENTS = ("production", "staging")
"""The org's environments (`GET /projects/` lists them on every project)."""

_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
}


def refuse(status: int, body: Any) -> NoReturn:
    """Answer `status` with Sentry's JSON body (a string becomes `{"detail": ...}`)."""
    import json

    payload = body if isinstance(body, dict) else {"detail": body}
    raise _ERRORS[status](
        text=json.dumps(payload, separators=(",", ":")), content_type="application/json"
    )


# --- projects and environments ----------------------------------------------------------


def projects(request: web.Request, state: SimState) -> list[SimProject]:
    """`src/sentry/api/bases/organization.py` `OrganizationEndpoint.get_projects`:
    `project` = numeric ids (`-1` = all), `projectSlug` = slugs (`$all`); an id or slug
    the org lacks is a 403; nothing asked = every project."""
    q = request.query
    slugs = {s for s in q.getall("projectSlug", []) if s}
    try:
        ids = {int(v) for v in q.getall("project", [])}
    except ValueError:
        refuse(400, "Invalid project parameter. Values must be numbers.")
    everything = sorted(state.projects.values(), key=lambda p: p.id)
    if slugs:
        if "$all" in slugs:
            return everything
        found = [p for p in everything if p.slug in slugs]
        if {p.slug for p in found} != slugs:
            refuse(403, FORBIDDEN)
        return found
    if not ids or -1 in ids:
        return everything
    found = [p for p in everything if p.id in ids]
    if {p.id for p in found} != ids:
        refuse(403, FORBIDDEN)
    return found


def environments(request: web.Request) -> set[str] | None:
    """`src/sentry/api/helpers/environments.py` `get_environments`: unknown → 404."""
    wanted = set(request.query.getall("environment", []))
    if not wanted:
        return None
    if not wanted <= set(ENVIRONMENTS):
        refuse(404, NOT_FOUND)
    return wanted


# --- pagination ---------------------------------------------------------------------------

_INT = re.compile(r"^\s*[+-]?\d+(?:_\d+)*\s*$")
_FLOAT = re.compile(r"^\s*[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$")


def cursor_offset(request: web.Request) -> tuple[int, bool]:
    """`src/sentry/utils/cursors.py` `Cursor.from_string` via `src/sentry/api/base.py`
    `get_cursor_from_request`: `value:offset:is_prev`, three integers (the value may be a
    float) → (offset, is_prev); anything else → 400."""
    raw = request.query.get("cursor")
    if not raw:
        return 0, False
    bits = raw.split(":")
    ok = len(bits) == 3 and (_INT.match(bits[0]) or _FLOAT.match(bits[0]))
    ok = ok and all(_INT.match(b) for b in bits[1:])
    if not ok:
        refuse(400, "Invalid cursor parameter.")
    return max(0, int(bits[1].replace("_", ""))), bool(int(bits[2].replace("_", "")))


def per_page(request: web.Request, default: int = 100, maximum: int = 100) -> int:
    """`src/sentry/api/base.py` `Endpoint.get_per_page`: refused above the max."""
    raw = request.query.get("per_page")
    if raw is None:
        return default
    if not _INT.match(raw):
        refuse(400, "Invalid per_page parameter.")
    value = int(raw.replace("_", ""))
    top = max(maximum, default)
    if value > top:
        refuse(400, f"Invalid per_page value. Cannot exceed {top}.")
    return max(value, 0)


def issue_limit(request: web.Request) -> int:
    """`src/sentry/api/helpers/group_index/index.py` `build_query_params_from_request`:
    not an int → 400 "invalid limit"; the paginator clamps to 100
    (`src/sentry/api/paginator.py`, `limit = min(limit, self.max_limit)`)."""
    raw = request.query.get("limit")
    if not raw:
        return 100
    if not _INT.match(raw):
        refuse(400, "invalid limit")
    return max(0, min(int(raw.replace("_", "")), 100))


# --- time ---------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d+)([smhdw]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_STATS_PERIOD = 90 * 86400


class InvalidParams(ValueError):
    pass


def _period(value: str, now: float) -> float:
    m = _PERIOD.match(value)
    if m is None:
        raise InvalidParams(f"Invalid statsPeriod: {value!r}")
    return now - int(m.group(1)) * _UNITS[m.group(2)]


def _datetime(value: str) -> float:
    from datetime import UTC, datetime

    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParams(f"{value} is not a valid ISO8601 date query") from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def _range(request: web.Request, optional: bool) -> tuple[float, float] | None:
    q = request.query
    now = time.time()
    start, end = now - MAX_STATS_PERIOD, now
    if q.get("statsPeriod") is not None:
        start = _period(q["statsPeriod"], now)
    elif q.get("statsPeriodStart") or q.get("statsPeriodEnd"):
        if not (q.get("statsPeriodStart") and q.get("statsPeriodEnd")):
            raise InvalidParams("statsPeriodStart and statsPeriodEnd are both required")
        start, end = _period(q["statsPeriodStart"], now), _period(q["statsPeriodEnd"], now)
    elif q.get("start") or q.get("end"):
        if not (q.get("start") and q.get("end")):
            raise InvalidParams("start and end are both required")
        start, end = _datetime(q["start"]), _datetime(q["end"])
    elif optional:
        return None
    if start >= end:
        raise InvalidParams("start must be before end")
    return start, end


def date_range(
    request: web.Request, *, optional: bool = False, prefix: str = "", message: str = ""
) -> tuple[float, float] | None:
    """`src/sentry/api/utils.py` `get_date_range_from_stats_period`: `statsPeriod`, or
    `statsPeriodStart`+`statsPeriodEnd`, or `start`+`end`; default the last 90 days.
    A refusal says `message`, or `prefix` + the reason (endpoints word it differently)."""
    try:
        return _range(request, optional)
    except InvalidParams as exc:
        refuse(400, message or prefix + str(exc))


GROUP_STATS = {"24h": (24, 3600), "14d": (14, 86400)}


def group_stats_period(request: web.Request) -> str | None:
    """`src/sentry/issues/endpoints/organization_group_index.py` + `calculate_stats_period`:
    `groupStatsPeriod` in '', 24h (default), 14d, auto."""
    raw = request.query.get("groupStatsPeriod")
    if raw not in (None, "", "24h", "14d", "auto"):
        refuse(400, "Invalid stats_period. Valid choices are '', '24h', '14d' and 'auto'")
    if raw is None:
        return "24h"
    return raw or None


def project_stats_period(request: web.Request) -> str | None:
    """`src/sentry/issues/endpoints/project_group_index.py`: `statsPeriod` '', 24h, 14d."""
    raw = request.query.get("statsPeriod")
    if raw not in (None, "", "24h", "14d"):
        refuse(400, "Invalid stats_period. Valid choices are '', '24h', and '14d'")
    if raw is None:
        return "24h"
    return raw or None


# --- sort -----------------------------------------------------------------------------------

ISSUE_SORTS = ("date", "new", "freq", "user", "trends", "recommended", "inbox")
ISSUE_SORTS += ("recommended_v2", "progress")
"""`src/sentry/search/snuba/executors.py` `PostgresSnubaQueryExecutor.sort_strategies`
(+ `postgres_sort_strategies`); `priority` was removed."""


def issue_sort(request: web.Request) -> str:
    """`src/sentry/search/snuba/backend.py`: unknown sort → 400."""
    sort = request.query.get("sort", "date")
    if sort not in ISSUE_SORTS:
        refuse(400, f"Sort key '{sort}' not supported.")
    return sort
