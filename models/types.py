"""Input types shared by every schema: text that any database will store, ids that fit a column."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema


def storable(value: str) -> str:
    """Refuse what a database cannot store: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("不能包含空字符 (NUL)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("包含无效的 Unicode 字符") from None
    return value


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


# Stripped before its length is checked: two spaces are not a two-character reason.
Text = Annotated[str, BeforeValidator(_stripped), AfterValidator(storable)]
DbId = Annotated[int, Field(ge=1, le=2_147_483_647)]


_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _clock_time(value: object) -> object:
    """A local wall-clock time as HH:MM; an offset (or a time object carrying one) is refused, never dropped."""
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if isinstance(value, str) and _HH_MM.fullmatch(value):
        return time(int(value[:2]), int(value[3:]))
    raise ValueError("时间格式应为 HH:MM（当地时间，不带时区），例如 14:30")


def _hh_mm(value: time) -> str:
    return value.strftime("%H:%M")


# Read and written the same way: "14:30" in a request, "14:30" in the answer (never "14:30:00").
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(_hh_mm, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": f"^{_HH_MM.pattern}$", "examples": ["14:30"]}),
]
