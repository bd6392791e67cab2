"""Input types shared by every schema: text that any database will store, ids that fit a column."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field


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
