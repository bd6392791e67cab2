from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest

from services import keyset
from services.errors import Invalid


def test_a_cursor_gives_back_its_instant_and_id() -> None:
    at, row_id = datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=UTC), uuid.uuid4()
    cursor = keyset.encode(at, row_id)
    assert "=" not in cursor and keyset.decode(cursor, uuid.UUID) == (at, row_id)
    assert keyset.decode(keyset.encode(at, 42), keyset.int_id) == (at, 42)


def naive(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "!!nope",
        "",
        naive("2026-11-25T09:30:00|" + str(uuid.uuid4())),
        naive("a|b|c"),
        naive("2026-11-25T09:30:00+00:00|42"),  # an integer id where a UUID belongs
    ],
)
def test_a_cursor_we_did_not_write_is_invalid(cursor: str) -> None:
    with pytest.raises(Invalid) as caught:
        keyset.decode(cursor, uuid.UUID)
    assert caught.value.code == "cursor_invalid" and caught.value.detail[0]["loc"] == ["query", "cursor"]


def test_id_cursors_are_positive_32_bit_integers() -> None:
    assert keyset.parse_id(None) is None and keyset.parse_id("42") == 42
    for bad in ("0", "-1", "2147483648", "4a", "٣"):
        with pytest.raises(Invalid):
            keyset.parse_id(bad)


def test_an_integer_id_cursor_holds_a_positive_32_bit_id() -> None:
    for bad in ("0", "2147483648", "4a", " 7"):
        with pytest.raises(Invalid):
            keyset.decode(naive(f"2026-11-25T09:30:00+00:00|{bad}"), keyset.int_id)
