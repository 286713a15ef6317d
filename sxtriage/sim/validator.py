"""Sentry's `GroupValidator`: what an issue PUT body may carry, with Sentry's refusals.

Follows `src/sentry/api/helpers/group_index/validators/group.py` (`GroupValidator`),
`.../validators/status_details.py` (`StatusDetailsValidator`),
`.../validators/in_commit.py`, `.../validators/inbox_details.py`,
`src/sentry/types/actor.py` (`parse_and_validate_actor`), `src/sentry/types/group.py`
(`SUBSTATUS_UPDATE_CHOICES`, `PriorityLevel`) and `src/sentry/models/group.py`
(`STATUS_UPDATE_CHOICES`).  Like every DRF serializer it ignores keys it does not know.
"""

from __future__ import annotations

from typing import Any

from sxtriage.sim import drf
from sxtriage.sim.dataset import SimProject, SimState

STATUSES = ("resolved", "unresolved", "ignored", "resolvedInNextRelease", "muted")
SUBSTATUSES = ("archived_until_escalating", "archived_until_condition_met")
SUBSTATUSES += ("archived_forever", "escalating", "ongoing", "regressed", "new")
PRIORITIES = ("low", "medium", "high")
WINDOW_MAX = 7 * 24 * 60
BOOLEANS = ("inbox", "hasSeen", "isBookmarked", "isPublic", "isSubscribed", "merge", "discard")
IGNORE_FIELDS = ("ignoreDuration", "ignoreCount", "ignoreWindow", "ignoreUserCount")
IGNORE_FIELDS += ("ignoreUserWindow",)
NO_RELEASE = "No release data present in the system to form a basis for 'Next Release'"
ACTOR_FORMAT = "Could not parse actor. Format should be `type:id` where type is `team` or `user`."


class Invalid(ValueError):
    """The body is refused: `errors` is the serializer's error object (400)."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def _ignore_int(name: str, value: Any) -> int | None:
    window = WINDOW_MAX if name.endswith("Window") else None
    return drf.integer(value, max_value=window)


def _latest(state: SimState, project: SimProject) -> str:
    releases = state.project_releases(project.slug)
    if not releases:
        raise drf.fail(NO_RELEASE)
    return releases[0].version


def status_details(state: SimState, value: Any, project: SimProject) -> dict[str, Any]:
    """`StatusDetailsValidator`; `inRelease`/`inNextRelease` become release versions."""
    data = drf.expect_object(value)
    out: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for key, raw in data.items():
        try:
            if key == "inNextRelease":
                drf.boolean(raw)
                out[key] = _latest(state, project)
            elif key == "inUpcomingRelease":
                drf.boolean(raw)
                raise drf.fail("Your organization does not have access to this feature.")
            elif key == "inRelease":
                version = drf.char(raw)
                if version == "latest":
                    out[key] = _latest(state, project)
                elif any(r.version == version for r in state.project_releases(project.slug)):
                    out[key] = version
                else:
                    raise drf.fail("Unable to find a release with the given version.")
            elif key == "inCommit":
                out[key] = _in_commit(raw)
            elif key in IGNORE_FIELDS:
                out[key] = _ignore_int(key, raw)
        except drf.FieldError as exc:
            errors[key] = exc.detail
    if errors:
        raise drf.FieldError(errors)
    return out


def _in_commit(value: Any) -> dict[str, str]:
    """`InCommitValidator`: `commit` and `repository`; the simulated org has no
    repositories, so a well-formed one is still refused."""
    data = drf.expect_object(value)
    errors: dict[str, Any] = {}
    for key in ("commit", "repository"):
        if key not in data:
            errors[key] = [drf.REQUIRED]
        else:
            try:
                drf.char(data[key])
            except drf.FieldError as exc:
                errors[key] = exc.detail
    if not errors:
        errors["repository"] = ["Unable to find the given repository."]
    raise drf.FieldError(errors)


def actor(state: SimState, value: Any) -> str | None:
    """`ActorField` → `parse_and_validate_actor`: "" unassigns; `user:ID`, `team:ID`, a
    user id, a username or e-mail; `null` is refused by DRF before parsing."""
    if value is None:
        raise drf.fail(drf.NULL)
    if not value:
        return None
    kind: str
    ident: int
    if isinstance(value, bool | int) or (isinstance(value, str) and value.isdigit()):
        kind, ident = "user", int(value)
    elif isinstance(value, str) and value.startswith(("user:", "team:")):
        kind, rest = value[:4], value[5:]
        if not rest.strip().lstrip("+-").isdigit():
            raise drf.fail(ACTOR_FORMAT)
        ident = int(rest)
    elif isinstance(value, str):
        member = next(
            (
                m
                for m in state.members.values()
                if value.lower() in (m.username.lower(), m.email.lower())
            ),
            None,
        )
        if member is None:
            raise drf.fail(ACTOR_FORMAT)
        kind, ident = "user", member.id
    else:
        raise drf.fail(ACTOR_FORMAT)
    table: dict[int, Any] = state.members if kind == "user" else state.teams
    if ident not in table:
        raise drf.fail(f"ActorType.{kind.upper()} does not exist")
    return f"{kind}:{ident}"


def _field(state: SimState, key: str, raw: Any, project: SimProject) -> Any:
    if key == "status":
        return drf.choice(raw, STATUSES)
    if key == "substatus":
        return drf.choice(raw, SUBSTATUSES, allow_null=True)
    if key == "priority":
        return drf.choice(raw, PRIORITIES)
    if key == "statusDetails":
        return status_details(state, raw, project)
    if key == "assignedTo":
        return actor(state, raw)
    if key in BOOLEANS:
        return drf.boolean(raw)
    if key in IGNORE_FIELDS:
        return _ignore_int(key, raw)
    if key == "snoozeDuration":
        return drf.integer(raw, allow_null=True)
    if key == "inboxDetails":
        drf.expect_object(raw)
        return {}
    raise KeyError(key)


def validate(state: SimState, body: Any, projects: list[SimProject]) -> dict[str, Any]:
    """`GroupValidator(data=body, partial=True)` once per project (`update.py`
    `validate_request`); raises `Invalid` with the serializer's errors."""
    if not isinstance(body, dict):
        kind = type(body).__name__ if body is not None else "NoneType"
        raise Invalid(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    result: dict[str, Any] = {}
    for project in projects:
        result, errors = {}, {}
        for key, raw in body.items():
            try:
                result[key] = _field(state, key, raw, project)
            except KeyError:
                continue  # DRF drops keys the serializer does not declare
            except drf.FieldError as exc:
                errors[key] = exc.detail
        if not errors and len(result) > 1 and "discard" in result:
            errors["non_field_errors"] = ["Other attributes cannot be updated when discarding"]
        if errors:
            raise Invalid(errors)
    return result
