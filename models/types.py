"""Input types shared by every schema: text that any database will store, ids that fit a column."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema


def storable(value: str) -> str:
    """Refuse what a database cannot store: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("不能包含空字符 (NUL)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("包含无效的 Unicode 字符") from None
    return value


def _storable_stripped(value: str) -> str:
    return storable(value).strip()


Text = Annotated[str, AfterValidator(_storable_stripped)]
DbId = Annotated[int, Field(ge=1, le=2_147_483_647)]


_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _clock_time(value: object) -> object:
    """A local wall-clock time as HH:MM; an offset (or a time object carrying one) is refused, never dropped."""
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if isinstance(value, str) and _HH_MM.fullmatch(value):
        return time(int(value[:2]), int(value[3:]))
    raise ValueError("时间格式应为 HH:MM（当地时间，不带时区），例如 14:30")


ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    WithJsonSchema({"type": "string", "pattern": f"^{_HH_MM.pattern}$", "examples": ["14:30"]}),
]
