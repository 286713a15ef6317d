"""Words and short badges for Sentry's issue workflow: priority, substatus, archive mode,
resolution, For Review.  Pure functions over an `Issue`; a value the server sends that we
do not know (a new substatus, a new priority) is shown as "?" — never an error.

Names follow Sentry: substatuses of src/sentry/types/group.py (GroupSubStatus), status
details of src/sentry/api/serializers/models/group.py (`_get_status`).
"""

from __future__ import annotations

from sxtriage.models import Issue, Status

PRIORITY_SHORT = {"high": "high", "medium": "med", "low": "low"}
UNRESOLVED = {"new": "NEW", "ongoing": "", "escalating": "ESC", "regressed": "REG"}
ARCHIVED = {
    "archived_until_escalating": "until escalating",
    "archived_forever": "forever",
    "archived_until_condition_met": "until a condition is met",
    "until_escalating": "until escalating",
    "forever": "forever",
    "until_condition_met": "until a condition is met",
}
REVIEW_GLYPH = "◆"
"""Badge of an issue waiting in Sentry's For Review."""


def priority_short(priority: str | None) -> str:
    """ "high" / "med" / "low"; "" when there is none; "?" for a value we do not know."""
    if not priority:
        return ""
    return PRIORITY_SHORT.get(priority.lower(), "?")


def priority_word(priority: str | None) -> str:
    if not priority:
        return "no priority"
    low = priority.lower()
    return f"{low} priority" if low in PRIORITY_SHORT else f"unknown priority ({priority})"


def _known_sub(issue: Issue) -> bool:
    sub = issue.substatus or ""
    if issue.status is Status.UNRESOLVED:
        return sub in UNRESOLVED or not sub
    if issue.status is Status.IGNORED:
        return sub in ARCHIVED or not sub
    return True


def state_word(issue: Issue) -> str:
    """The STATE column (≤ 11 cells): new, ongoing, escalating, regressed, open, resolved,
    arch·esc, arch·∞, arch·cond, archived; "?" for a substatus we do not know."""
    sub = issue.substatus or ""
    if not _known_sub(issue):
        return "?"
    if issue.status is Status.RESOLVED:
        return "resolved"
    if issue.status is Status.IGNORED:
        mode = ARCHIVED.get(sub, "")
        if mode == "until escalating":
            return "arch·esc"
        if mode == "forever":
            return "arch·∞"
        if mode:
            return "arch·cond"
        return "archived"
    return sub or "open"


def badge(issue: Issue) -> str:
    """Short uppercase badge for the title when no STATE column is shown."""
    if not _known_sub(issue):
        return "?"
    if issue.status is Status.RESOLVED:
        return "RES"
    if issue.status is Status.IGNORED:
        return "ARC"
    return UNRESOLVED.get(issue.substatus or "", "")


def _plural(n: object, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _window(minutes: object) -> str:
    if not isinstance(minutes, int) or minutes <= 0:
        return ""
    if minutes % 1440 == 0:
        return f" per {_plural(minutes // 1440, 'day')}".replace("per 1 day", "per day")
    if minutes % 60 == 0:
        return f" per {_plural(minutes // 60, 'hour')}".replace("per 1 hour", "per hour")
    return f" per {minutes} min"


def _condition(details: dict[str, object]) -> str:
    parts = []
    count, users = details.get("ignoreCount"), details.get("ignoreUserCount")
    if isinstance(count, int) and count > 0:
        parts.append(f"until {_plural(count, 'more event')}{_window(details.get('ignoreWindow'))}")
    if isinstance(users, int) and users > 0:
        parts.append(
            f"until {_plural(users, 'more user')}{_window(details.get('ignoreUserWindow'))}"
        )
    duration = details.get("ignoreDuration")
    if isinstance(duration, int) and duration > 0:
        parts.append(f"for {duration} min")
    until = details.get("ignoreUntil")
    if isinstance(until, str) and until:
        parts.append(f"until {until[:16].replace('T', ' ')} UTC")
    return ", ".join(parts)


def status_text(issue: Issue) -> str:
    """The whole state in words, as Sentry stored it: "unresolved · escalating",
    "archived until escalating", "archived until 100 more events per hour",
    "resolved in the next release", "resolved in 1.4.2"."""
    sub = issue.substatus or ""
    details = issue.status_details or {}
    if issue.status is Status.RESOLVED:
        release = details.get("inRelease")
        if details.get("inNextRelease"):
            return "resolved in the next release"
        if isinstance(release, str) and release:
            return f"resolved in {release}"
        if details.get("inCommit"):
            return "resolved in a commit"
        return "resolved"
    if issue.status is Status.IGNORED:
        mode = ARCHIVED.get(sub)
        if sub and mode is None:
            return f"archived (unknown substatus {sub!r})"
        if mode == "until a condition is met" or (not sub and _condition(details)):
            return f"archived {_condition(details) or mode}"
        return f"archived {mode}" if mode else "archived"
    if sub and sub not in UNRESOLVED:
        return f"unresolved · unknown substatus {sub!r}"
    return f"unresolved · {sub}" if sub else "unresolved"


def review_text(issue: Issue) -> str | None:
    """ "for review (new)" while the issue waits in Sentry's For Review; else None."""
    if not issue.for_review:
        return None
    reason = issue.inbox_reason
    return f"for review ({reason})" if reason else "for review"
