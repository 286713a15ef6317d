"""Django REST Framework's field rules, as Sentry's validators inherit them.

Sentry validates request bodies with DRF serializers (`rest_framework/fields.py`):
these helpers coerce one value the way the matching DRF field does and raise
`FieldError` with DRF's exact message when it would refuse.  Unknown keys of a body are
ignored by DRF serializers, so callers only look at the keys they know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

NULL = "This field may not be null."
REQUIRED = "This field is required."
BLANK = "This field may not be blank."

_TRUE = {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"}
_TRUE |= {"on", "On", "ON", "1"}
_FALSE = {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE"}
_FALSE |= {"off", "Off", "OFF", "0"}
_DECIMAL_TAIL = re.compile(r"\.0*\s*$")


class FieldError(ValueError):
    """One field refused: `detail` is DRF's error value for it (a list of messages or,
    for a nested serializer, an object of field → messages)."""

    def __init__(self, detail: list[str] | dict[str, Any]) -> None:
        super().__init__(str(detail))
        self.detail = detail


def fail(message: str) -> FieldError:
    return FieldError([message])


def boolean(value: Any) -> bool:
    """`serializers.BooleanField`."""
    if value is None:
        raise fail(NULL)
    if value is True or value is False:
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value in _TRUE:
        return True
    if isinstance(value, str) and value in _FALSE:
        return False
    raise fail("Must be a valid boolean.")


def integer(value: Any, *, max_value: int | None = None, allow_null: bool = False) -> int | None:
    """`serializers.IntegerField(max_value=...)`: ints, numeric strings, integral floats."""
    if value is None:
        if allow_null:
            return None
        raise fail(NULL)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise fail("A valid integer is required.")
    if isinstance(value, str) and len(value) > 1000:
        raise fail("String value too large.")
    try:
        number = int(_DECIMAL_TAIL.sub("", str(value)))
    except ValueError:
        raise fail("A valid integer is required.") from None
    if max_value is not None and number > max_value:
        raise fail(f"Ensure this value is less than or equal to {max_value}.")
    return number


def choice(value: Any, choices: Iterable[str], *, allow_null: bool = False) -> str | None:
    """`serializers.ChoiceField`: compares `str(value)` with the choices."""
    if value is None:
        if allow_null:
            return None
        raise fail(NULL)
    text = str(value) if not isinstance(value, bool) else ("True" if value else "False")
    if text not in set(choices):
        raise fail(f'"{value}" is not a valid choice.')
    return text


def char(value: Any) -> str:
    """`serializers.CharField()` (blank refused, surrounding whitespace trimmed)."""
    if value is None:
        raise fail(NULL)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail("Not a valid string.")
    text = str(value).strip()
    if not text:
        raise fail(BLANK)
    return text


def expect_object(value: Any) -> dict[str, Any]:
    """A nested `Serializer` field: the value must be a JSON object."""
    if value is None:
        raise fail(NULL)
    if not isinstance(value, dict):
        kind = {str: "str", list: "list", int: "int", float: "float", bool: "bool"}
        name = kind.get(type(value), type(value).__name__)
        raise FieldError(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {name}."]}
        )
    return value
