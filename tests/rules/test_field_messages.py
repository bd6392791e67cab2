"""Chinese messages for field problems, from the errors pydantic really raises on the sync visit fields."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from models.sync_schemas import HouseholdFields, VisitFields
from services.rules.field_messages import by_path, problem

NOW = "2026-12-01T10:00:00+08:00"
ITEM = {"id": str(uuid.uuid4()), "kind": "difficulty", "description": "灯坏了", "outcome": "noted"}

CASES: list[tuple[str, type[Any], dict[str, Any], str, str]] = [
    # name, schema, fields sent, path, message
    ("missing", VisitFields, {"place_text": "广场"}, "visited_at", "必填"),
    ("extra key", VisitFields, {"visited_at": NOW, "id": "x"}, "id", "不应出现这一项"),
    ("naive time", VisitFields, {"visited_at": "2026-12-01T10:00:00"}, "visited_at", "时间须带时区"),
    ("bad time", VisitFields, {"visited_at": "昨天"}, "visited_at", "时间格式不正确"),
    ("too long", VisitFields, {"visited_at": NOW, "place_text": "地" * 201}, "place_text", "不能超过 200 个字"),
    (
        "unknown outcome",
        VisitFields,
        {"visited_at": NOW, "items": [{**ITEM, "outcome": "forgotten"}]},
        "items.0.outcome",
        "不是可选的值（可选：'solved_on_spot', 'became_request', 'noted'）",
    ),
    ("bad uuid", VisitFields, {"visited_at": NOW, "items": [{**ITEM, "id": "1"}]}, "items.0.id", "编号格式不正确"),
    ("empty text", HouseholdFields, {"head_name": ""}, "head_name", "不能为空"),
    ("too small", HouseholdFields, {"member_count": 0}, "member_count", "不能小于 1"),
    ("too large", HouseholdFields, {"member_count": 51}, "member_count", "不能大于 50"),
    ("not a number", HouseholdFields, {"member_count": "三"}, "member_count", "应为整数"),
    ("bad phone", HouseholdFields, {"phone": "abc"}, "phone", "格式不正确"),
    ("required cleared", HouseholdFields, {"head_name": None}, "head_name", "不能清空"),
]


@pytest.mark.parametrize(("schema", "sent", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_reads_in_chinese(schema: type[Any], sent: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        schema.model_validate(sent)
    assert by_path(caught.value.errors())[path] == message


def test_an_unknown_type_still_says_something() -> None:
    assert problem({"type": "something_new", "loc": ("x",)}) == "不符合要求"


def test_the_first_problem_of_a_path_wins() -> None:
    errors: list[dict[str, Any]] = [{"type": "missing", "loc": ("a",)}, {"type": "string_type", "loc": ("a",)}]
    assert by_path(errors) == {"a": "必填"}
