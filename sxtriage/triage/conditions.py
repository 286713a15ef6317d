"""Archive conditions typed by hand: "250 events", "50 users/day", "90m", "3d".

Sentry's archive menu (static/app/components/actions/archive.tsx) offers: for a duration,
until it occurs N more times (from now, or N times per hour/day/week), until it affects N
more users (likewise).  Windows are at most one week (GroupValidator's `ignoreWindow`
max_value, src/sentry/api/helpers/group_index/validators/status_details.py).
"""

from __future__ import annotations

import re

from sxtriage.models import IgnoreSpec

MAX_WINDOW_MIN = 7 * 24 * 60
_UNITS = {
    "m": 1,
    "min": 1,
    "mins": 1,
    "minute": 1,
    "minutes": 1,
    "h": 60,
    "hr": 60,
    "hour": 60,
    "hours": 60,
    "d": 1440,
    "day": 1440,
    "days": 1440,
    "w": 10080,
    "week": 10080,
    "weeks": 10080,
}
_DURATION = re.compile(r"^(?:for\s+)?(\d+)\s*([a-z]+)$")
_COUNT = re.compile(
    r"^(?:until\s+)?(\d+)\s*(?:more\s+)?(events?|times?|occurrences?|x|users?)"
    r"(?:\s*(?:/|per|in|an?|each)+\s*(\d+\s*)?([a-z]+))?$"
)
EXAMPLE = "type e.g. 250 events, 100 events/hour, 50 users/day, 90m or 3d"


class ConditionError(ValueError):
    """A condition that cannot be read; the message names it and shows the form."""


def _minutes(amount: int, unit: str, what: str) -> int:
    factor = _UNITS.get(unit)
    if factor is None:
        raise ConditionError(f"{what}: unknown unit {unit!r}; use m, h, d or w ({EXAMPLE})")
    return amount * factor


def parse_condition(text: str) -> IgnoreSpec:
    """Read one condition.  Raises ConditionError with a one-line message."""
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise ConditionError(f"no condition given; {EXAMPLE}")
    m = _DURATION.match(raw)
    if m and m.group(2) in _UNITS:
        minutes = _minutes(int(m.group(1)), m.group(2), raw)
        if minutes <= 0:
            raise ConditionError(f"{raw!r}: the duration must be more than 0")
        return IgnoreSpec(duration_min=minutes)
    m = _COUNT.match(raw)
    if m is None:
        raise ConditionError(f"{raw!r} is not an archive condition; {EXAMPLE}")
    count = int(m.group(1))
    if count <= 0:
        raise ConditionError(f"{raw!r}: the count must be more than 0")
    window: int | None = None
    if m.group(4):
        amount = int(m.group(3)) if m.group(3) else 1
        window = _minutes(amount, m.group(4), raw)
        if not 0 < window <= MAX_WINDOW_MIN:
            raise ConditionError(f"{raw!r}: the window must be between 1 minute and 1 week")
    if m.group(2).startswith("user"):
        return IgnoreSpec(user_count=count, user_window_min=window)
    return IgnoreSpec(count=count, window_min=window)
