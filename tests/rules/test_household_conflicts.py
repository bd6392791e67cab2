"""Choosing the value that settles a household conflict, as a table."""

from __future__ import annotations

from typing import Any

import pytest

from models.enums import ConflictKeep
from services.errors import Conflict, Invalid
from services.rules.household_conflicts import NOT_GIVEN, chosen_value

SERVER, CLIENT, OTHER = ConflictKeep.server, ConflictKeep.client, ConflictKeep.other
PHONE = {"ciphertext": "x", "masked": "*******0001"}

CASES: list[tuple[str, str, ConflictKeep, Any, Any, Any, Any]] = [
    # name, field, keep, server value, client value, `value` sent, chosen
    ("server kept", "member_count", SERVER, 4, 5, NOT_GIVEN, 4),
    ("client kept", "member_count", CLIENT, 4, 5, NOT_GIVEN, 5),
    ("another value", "member_count", OTHER, 4, 5, 6, 6),
    ("a null value beside keep=client is ignored", "notes", CLIENT, "低保户", "独居", None, "独居"),
    ("client cleared notes", "notes", CLIENT, "低保户", None, NOT_GIVEN, None),
    ("notes cleared by hand", "notes", OTHER, "低保户", "独居", None, None),
    ("phone as stored", "phone", SERVER, PHONE, None, NOT_GIVEN, PHONE),
    ("phone cleared by the phone", "phone", CLIENT, PHONE, None, NOT_GIVEN, None),
]

REFUSED: list[tuple[str, str, ConflictKeep, Any, Any, Any, str, list[str]]] = [
    # name, field, keep, server value, client value, `value` sent, code, loc
    ("other without a value", "member_count", OTHER, 4, 5, NOT_GIVEN, "value_required", ["body", "value"]),
    ("a value beside keep=server", "member_count", SERVER, 4, 5, 6, "value_not_allowed", ["body", "value"]),
    ("required, emptied by hand", "head_name", OTHER, "张三", "张叁", None, "value_required", ["body", "value"]),
    ("required, kept empty", "address_text", CLIENT, "一组", None, NOT_GIVEN, "value_required", ["body", "keep"]),
]


@pytest.mark.parametrize(
    ("field", "keep", "server", "client", "other", "chosen"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_chosen_value(field: str, keep: ConflictKeep, server: Any, client: Any, other: Any, chosen: Any) -> None:
    assert chosen_value(field, keep, server, client, other) == chosen


@pytest.mark.parametrize(
    ("field", "keep", "server", "client", "other", "code", "loc"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_refused_choices_name_the_input(
    field: str, keep: ConflictKeep, server: Any, client: Any, other: Any, code: str, loc: list[str]
) -> None:
    with pytest.raises(Invalid) as raised:
        chosen_value(field, keep, server, client, other)
    assert raised.value.code == code
    assert raised.value.detail[0]["loc"] == loc


def test_a_field_sync_never_merges_is_refused() -> None:
    with pytest.raises(Conflict) as raised:
        chosen_value("grid_id", ConflictKeep.server, 1, 2)
    assert raised.value.code == "field_unsupported"
