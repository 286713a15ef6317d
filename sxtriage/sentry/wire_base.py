"""The base of every Sentry payload model: lenient, both spellings of a field."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class Wire(BaseModel):
    # GlitchTip sends some ids as integers (project ids, event projectID): accept both.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, coerce_numbers_to_str=True)


def either(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))
