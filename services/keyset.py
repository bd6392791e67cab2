"""Keyset cursors: opaque to clients, and any cursor we did not write is one 422 on the `cursor` query parameter."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_

from services.errors import Invalid

_MAX_ID = 2_147_483_647
T = TypeVar("T")


def _invalid() -> Invalid:
    return Invalid("分页游标无效", field="cursor", code="cursor_invalid", part="query")


def encode(at: datetime, row_id: uuid.UUID | int) -> str:
    """The cursor after a row ordered by (instant, id): both, base64url without padding."""
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode(cursor: str, id_type: Callable[[str], T]) -> tuple[datetime, T]:
    """The (aware instant, id) an `encode` cursor holds, the id read by `id_type`; anything else is invalid."""
    try:
        at, row_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, id_type(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _invalid() from None


def older_than(at_column: Any, id_column: Any, cursor: str, id_type: Callable[[str], Any] = uuid.UUID) -> Any:
    """Rows after the cursor, newest first: an earlier instant, or the same instant and a smaller id."""
    at, last_id = decode(cursor, id_type)
    clause: ColumnElement[bool] = or_(at_column < at, and_(at_column == at, id_column < last_id))
    return clause


def newer_than(at_column: Any, id_column: Any, cursor: str, id_type: Callable[[str], Any] = uuid.UUID) -> Any:
    """Rows after the cursor, oldest first: a later instant, or the same instant and a larger id."""
    at, last_id = decode(cursor, id_type)
    clause: ColumnElement[bool] = or_(at_column > at, and_(at_column == at, id_column > last_id))
    return clause


def int_id(text: str) -> int:
    """A row id in a cursor: a positive 32-bit integer in plain digits."""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= _MAX_ID:
        raise ValueError("not a row id")
    return int(text)


def parse_id(cursor: str | None) -> int | None:
    """A cursor that is a row id (a positive 32-bit integer in digits); None when there is none."""
    if cursor is None:
        return None
    try:
        return int_id(cursor)
    except ValueError:
        raise _invalid() from None
